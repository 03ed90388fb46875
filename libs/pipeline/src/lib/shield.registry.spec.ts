import { ShieldRegistry } from './shield.registry';

const T = Date.parse('2025-11-22T03:15:00Z');
const HOUR = 3_600_000;
const DETECTOR = 'sys:1/1/comp:131082';

describe(ShieldRegistry.name, () => {
  it('shields nothing when empty', () => {
    expect(new ShieldRegistry().isShielded('uitd:889', DETECTOR, T)).toBe(false);
  });

  it('shields every part of a device shielded as a whole (CQC/SC 11002 4.4.4), until the given time', () => {
    const shields = new ShieldRegistry();
    shields.shield('uitd:889', null, T + HOUR);
    expect(shields.isShielded('uitd:889', DETECTOR, T)).toBe(true);
    expect(shields.isShielded('uitd:889', 'uitd', T)).toBe(true);
    expect(shields.isShielded('uitd:889', 'sys:11/1', T + HOUR - 1)).toBe(true);
    expect(shields.isShielded('uitd:889', DETECTOR, T + HOUR)).toBe(false);
    expect(shields.isShielded('uitd:890', DETECTOR, T)).toBe(false);
  });

  it('shields only the part named', () => {
    const shields = new ShieldRegistry();
    shields.shield('uitd:889', DETECTOR, T + HOUR);
    expect(shields.isShielded('uitd:889', DETECTOR, T)).toBe(true);
    expect(shields.isShielded('uitd:889', 'sys:1/1/comp:131083', T)).toBe(false);
    expect(shields.isShielded('uitd:889', 'uitd', T)).toBe(false);
    expect(shields.isShielded('uitd:890', DETECTOR, T)).toBe(false);
  });

  it('lifts a shield on `unshield`, leaving the others', () => {
    const shields = new ShieldRegistry();
    shields.shield('uitd:889', null, T + HOUR);
    shields.shield('uitd:889', DETECTOR, T + HOUR);
    shields.unshield('uitd:889', null);
    expect(shields.isShielded('uitd:889', 'uitd', T)).toBe(false);
    expect(shields.isShielded('uitd:889', DETECTOR, T)).toBe(true);
    shields.unshield('uitd:889', DETECTOR);
    expect(shields.isShielded('uitd:889', DETECTOR, T)).toBe(false);
  });

  it('replaces the end time when shielded again (extend or shorten)', () => {
    const shields = new ShieldRegistry();
    shields.shield('mqtt:wp-1', 'sensor', T + HOUR);
    shields.shield('mqtt:wp-1', 'sensor', T + 2 * HOUR);
    expect(shields.isShielded('mqtt:wp-1', 'sensor', T + HOUR + 1)).toBe(true);
    shields.shield('mqtt:wp-1', 'sensor', T);
    expect(shields.isShielded('mqtt:wp-1', 'sensor', T)).toBe(false);
  });
});
