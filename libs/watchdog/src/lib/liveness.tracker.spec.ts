import { DEFAULT_PROFILES, effectiveProfile } from '@fireiot/events';
import { LinkTransition, LivenessTracker, WatchedDevice } from './liveness.tracker';

const T0 = Date.parse('2026-11-22T08:00:00Z');
const S = 1000;
const H = 3600 * S;

const uitd = (deviceKey: string): WatchedDevice => ({
  deviceKey,
  kind: 'uitd',
  power: 'mains',
  profile: DEFAULT_PROFILES.mains,
});
const batteryCollector = (deviceKey: string): WatchedDevice => ({
  deviceKey,
  kind: 'collector',
  power: 'battery',
  profile: effectiveProfile('collector', 'battery'),
});

function setup(start = T0): { tracker: LivenessTracker; seen: LinkTransition[] } {
  const seen: LinkTransition[] = [];
  return { tracker: new LivenessTracker((t) => seen.push(t), start), seen };
}

describe(LivenessTracker.name, () => {
  it('declares a silent mains device lost at last seen + 90 s (4.4.2), not a moment before', () => {
    const { tracker, seen } = setup();
    tracker.watch(uitd('uitd:1'), T0);
    tracker.heard('uitd:1', T0);
    tracker.tick(T0 + 89_999);
    expect(seen).toEqual([]);
    tracker.tick(T0 + 90_000);
    expect(seen).toEqual([{ deviceKey: 'uitd:1', event: 'lost', cause: 'silence', atMs: T0 + 90_000, lastSeenMs: T0 }]);
    tracker.tick(T0 + 10 * H);
    expect(seen).toHaveLength(1);
    expect(tracker.watchOf('uitd:1')).toBe('lost');
  });

  it('keeps a device that beats every 60 s alive for a day', () => {
    const { tracker, seen } = setup();
    tracker.watch(uitd('uitd:1'), T0);
    for (let t = T0; t < T0 + 24 * H; t += 60 * S) {
      tracker.heard('uitd:1', t);
      tracker.tick(t + 59 * S);
    }
    expect(seen).toEqual([]);
    expect(tracker.watchOf('uitd:1')).toBe('online');
  });

  it('takes a connection closed by the device as a loss at once, and restores it when heard after', () => {
    const { tracker, seen } = setup();
    tracker.watch(uitd('uitd:1'), T0);
    tracker.heard('uitd:1', T0);
    tracker.disconnected('uitd:1', T0 + 5 * S);
    expect(seen.at(-1)).toMatchObject({ event: 'lost', cause: 'disconnected', atMs: T0 + 5 * S, lastSeenMs: T0 });
    // A heartbeat read before the close but delivered after it is no sign of recovery.
    tracker.heard('uitd:1', T0 + 4 * S);
    expect(seen).toHaveLength(1);
    tracker.heard('uitd:1', T0 + 7 * S);
    expect(seen.at(-1)).toEqual({
      deviceKey: 'uitd:1',
      event: 'restored',
      cause: 'heard',
      atMs: T0 + 7 * S,
      lastSeenMs: T0 + 4 * S,
    });
    // Watched again from the new sign of life.
    tracker.tick(T0 + 7 * S + 90 * S);
    expect(seen.at(-1)).toMatchObject({ event: 'lost', cause: 'silence', atMs: T0 + 97 * S });
  });

  it('takes an unanswered patrol as a loss, once', () => {
    const { tracker, seen } = setup();
    tracker.watch(uitd('uitd:1'), T0);
    tracker.heard('uitd:1', T0);
    tracker.patrolMissed('uitd:1', T0 + 40 * S);
    tracker.patrolMissed('uitd:1', T0 + 41 * S);
    tracker.tick(T0 + H);
    expect(seen).toEqual([
      { deviceKey: 'uitd:1', event: 'lost', cause: 'patrol-missed', atMs: T0 + 40 * S, lastSeenMs: T0 },
    ]);
  });

  it('watches a battery collector on its 24 h period plus grace, and ignores it going to sleep', () => {
    const { tracker, seen } = setup();
    tracker.watch(batteryCollector('mqtt:tank-1'), T0);
    // A week of daily reports, each followed by the device closing its connection.
    for (let day = 0; day < 7; day++) {
      const t = T0 + day * 24 * H;
      tracker.heard('mqtt:tank-1', t);
      tracker.disconnected('mqtt:tank-1', t + 2 * S);
      tracker.tick(t + 24 * H - S);
    }
    expect(seen).toEqual([]);
    const last = T0 + 6 * 24 * H;
    tracker.tick(last + 25 * H - 1);
    expect(seen).toEqual([]);
    tracker.tick(last + 25 * H);
    expect(seen).toEqual([
      { deviceKey: 'mqtt:tank-1', event: 'lost', cause: 'silence', atMs: last + 25 * H, lastSeenMs: last },
    ]);
  });

  it('after a restart gives every device one threshold to show life: survivors stay, the dead are found', () => {
    const restart = T0 + 2 * H;
    const { tracker, seen } = setup(restart);
    const lastSeenBeforeDowntime = T0 + H;
    for (const key of ['uitd:alive', 'uitd:dead']) {
      tracker.watch(uitd(key), restart, { lastSeenMs: lastSeenBeforeDowntime, lost: false }, restart);
    }
    tracker.tick(restart + S);
    expect(seen).toEqual([]); // no storm: an hour of silence is not held against anyone yet
    tracker.heard('uitd:alive', restart + 20 * S);
    tracker.tick(restart + 90 * S);
    expect(seen).toEqual([
      {
        deviceKey: 'uitd:dead',
        event: 'lost',
        cause: 'silence',
        atMs: restart + 90 * S,
        lastSeenMs: lastSeenBeforeDowntime,
      },
    ]);
    tracker.tick(restart + 20 * S + 90 * S - 1);
    expect(seen).toHaveLength(1);
  });

  it('keeps a device lost across a restart until it is heard, without a second loss', () => {
    const { tracker, seen } = setup();
    tracker.watch(uitd('uitd:1'), T0, { lastSeenMs: T0 - H, lost: true }, T0);
    tracker.tick(T0 + H);
    expect(seen).toEqual([]);
    expect(tracker.lost).toBe(1);
    tracker.heard('uitd:1', T0 + H + S);
    expect(seen).toEqual([
      { deviceKey: 'uitd:1', event: 'restored', cause: 'heard', atMs: T0 + H + S, lastSeenMs: T0 - H },
    ]);
    expect(tracker.lost).toBe(0);
  });

  it('does not watch a device never seen (not yet commissioned), unless armed by the restart grace', () => {
    const { tracker, seen } = setup();
    tracker.watch(uitd('uitd:new'), T0);
    tracker.tick(T0 + 24 * H);
    expect(seen).toEqual([]);
    expect(tracker.watchOf('uitd:new')).toBe('never-seen');
    expect(tracker.heard('uitd:unknown', T0)).toBe(false);
  });

  it('applies a changed profile to the next deadline', () => {
    const { tracker, seen } = setup();
    tracker.watch(uitd('uitd:1'), T0);
    tracker.heard('uitd:1', T0);
    tracker.watch({ ...uitd('uitd:1'), profile: { heartbeatS: 5, silenceThresholdS: 12, patrolPeriodS: 60 } }, T0);
    expect(tracker.deadlineOf('uitd:1')).toBe(T0 + 12 * S);
    tracker.tick(T0 + 12 * S);
    expect(seen).toHaveLength(1);
  });

  it('tracks 100,000 devices in typed arrays and finds exactly the silent ones', () => {
    const { tracker, seen } = setup();
    for (let i = 0; i < 100_000; i++) {
      const key = `uitd:${i}`;
      tracker.watch(uitd(key), T0);
      tracker.heard(key, T0 + (i % 60) * S);
    }
    // Everyone beats again except every 1,000th device.
    for (let i = 0; i < 100_000; i++) if (i % 1000 !== 0) tracker.heard(`uitd:${i}`, T0 + 60 * S + (i % 60) * S);
    tracker.tick(T0 + 149 * S);
    expect(seen).toHaveLength(100);
    expect(seen.every((t) => Number(t.deviceKey.slice(5)) % 1000 === 0)).toBe(true);
    expect(tracker.tracked).toBe(100_000);
    expect(tracker.arrayBytes).toBeLessThan(100_000 * 64);
  });
});
