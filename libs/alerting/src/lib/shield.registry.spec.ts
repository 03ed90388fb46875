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
    shields.set({ shieldId: 'a', deviceKey: 'uitd:889', subject: null, until: T + HOUR });
    expect(shields.isShielded('uitd:889', DETECTOR, T)).toBe(true);
    expect(shields.isShielded('uitd:889', 'link', T)).toBe(true);
    expect(shields.isShielded('uitd:889', 'sys:11/1', T + HOUR - 1)).toBe(true);
    expect(shields.isShielded('uitd:889', DETECTOR, T + HOUR)).toBe(false);
    expect(shields.isShielded('uitd:890', DETECTOR, T)).toBe(false);
  });

  it('shields only the part named', () => {
    const shields = new ShieldRegistry();
    shields.set({ shieldId: 'a', deviceKey: 'uitd:889', subject: DETECTOR, until: T + HOUR });
    expect(shields.isShielded('uitd:889', DETECTOR, T)).toBe(true);
    expect(shields.isShielded('uitd:889', 'sys:1/1/comp:131083', T)).toBe(false);
    expect(shields.isShielded('uitd:889', 'uitd', T)).toBe(false);
    expect(shields.isShielded('uitd:890', DETECTOR, T)).toBe(false);
  });

  it('lifts one shield by id, leaving the others, also on the same part', () => {
    const shields = new ShieldRegistry();
    shields.set({ shieldId: 'whole', deviceKey: 'uitd:889', subject: null, until: T + HOUR });
    shields.set({ shieldId: 'part-1', deviceKey: 'uitd:889', subject: DETECTOR, until: T + HOUR });
    shields.set({ shieldId: 'part-2', deviceKey: 'uitd:889', subject: DETECTOR, until: T + 2 * HOUR });
    shields.lift('whole');
    expect(shields.isShielded('uitd:889', 'uitd', T)).toBe(false);
    shields.lift('part-1');
    expect(shields.isShielded('uitd:889', DETECTOR, T + HOUR + 1)).toBe(true);
    shields.lift('part-2');
    expect(shields.isShielded('uitd:889', DETECTOR, T)).toBe(false);
    expect(shields.size).toBe(0);
  });

  it('replaces a shield set again under the same id, and everything on reset', () => {
    const shields = new ShieldRegistry();
    shields.set({ shieldId: 'a', deviceKey: 'mqtt:wp-1', subject: 'sensor', until: T + HOUR });
    shields.set({ shieldId: 'a', deviceKey: 'mqtt:wp-1', subject: 'sensor', until: T });
    expect(shields.isShielded('mqtt:wp-1', 'sensor', T)).toBe(false);
    shields.reset([{ shieldId: 'b', deviceKey: 'mqtt:wp-2', subject: null, until: T + HOUR }]);
    expect(shields.size).toBe(1);
    expect(shields.isShielded('mqtt:wp-2', 'sensor', T)).toBe(true);
  });
});
