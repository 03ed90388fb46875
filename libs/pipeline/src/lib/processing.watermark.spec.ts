import { isoToMicros, microsToIso } from '@fireiot/events';
import { ProcessingWatermark } from './processing.watermark';

const S = 1_000_000n; // µs per second
const NOW = isoToMicros('2025-11-22T03:15:00.000000Z');
const at = (us: bigint) => microsToIso(us);

describe(ProcessingWatermark.name, () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('is now minus the minimum margin when nothing is in flight', () => {
    const w = new ProcessingWatermark(30_000);
    expect(w.inFlight).toBe(0);
    expect(w.processedThrough(NOW)).toBe(at(NOW - 30n * S));
  });

  it('is held back by the oldest message in flight, and released by `end`', () => {
    const w = new ProcessingWatermark(1_000);
    const old = w.begin(at(NOW - 2n * S), NOW);
    const newer = w.begin(at(NOW - 1n * S), NOW);
    expect(w.inFlight).toBe(2);
    // margin: 2 × the 2 s lag seen = 4 s
    expect(w.processedThrough(NOW)).toBe(at(NOW - 2n * S - 4n * S));
    w.end(old);
    expect(w.processedThrough(NOW)).toBe(at(NOW - 1n * S - 4n * S));
    w.end(newer);
    expect(w.inFlight).toBe(0);
    expect(w.processedThrough(NOW)).toBe(at(NOW - 4n * S));
  });

  it('returns the receive time of the message as its mark, with µs', () => {
    const w = new ProcessingWatermark();
    expect(w.begin('2025-11-22T03:14:59.123457Z', NOW)).toBe(isoToMicros('2025-11-22T03:14:59.123457Z'));
  });

  it('counts messages with the same receive time (one TCP chunk) separately', () => {
    const w = new ProcessingWatermark(1_000);
    const t = at(NOW - S);
    const a = w.begin(t, NOW);
    const b = w.begin(t, NOW);
    expect(a).toBe(b);
    w.end(a);
    expect(w.inFlight).toBe(1);
    expect(w.processedThrough(NOW)).toBe(at(NOW - S - 2n * S));
    w.end(b);
    expect(w.inFlight).toBe(0);
    expect(w.processedThrough(NOW)).toBe(at(NOW - 2n * S));
  });

  it('ignores an `end` it never began (and a second `end`)', () => {
    const w = new ProcessingWatermark(1_000);
    const held = w.begin(at(NOW - S), NOW);
    w.end(NOW - 5n * S);
    expect(w.inFlight).toBe(1);
    w.end(held);
    w.end(held);
    expect(w.inFlight).toBe(0);
  });

  it('keeps a margin of at least `minMarginMs` when the bus lag is small', () => {
    const w = new ProcessingWatermark(30_000);
    w.end(w.begin(at(NOW - 50_000n), NOW)); // 50 ms lag
    expect(w.processedThrough(NOW)).toBe(at(NOW - 30n * S));
  });

  it('keeps a margin of at least twice the largest recent delivery lag', () => {
    const w = new ProcessingWatermark(30_000);
    w.end(w.begin(at(NOW - 40n * S), NOW)); // a 40 s backlog on the bus
    w.end(w.begin(at(NOW - 1n * S), NOW));
    expect(w.processedThrough(NOW)).toBe(at(NOW - 80n * S));
  });

  it('forgets the lag of more than a minute ago', () => {
    jest.useFakeTimers({ now: new Date('2025-11-22T03:15:00Z') });
    const w = new ProcessingWatermark(30_000);
    w.end(w.begin(at(NOW - 40n * S), NOW));
    expect(w.processedThrough(NOW)).toBe(at(NOW - 80n * S));
    jest.setSystemTime(new Date('2025-11-22T03:16:01Z'));
    const later = NOW + 61n * S;
    w.end(w.begin(at(later - S), later));
    expect(w.processedThrough(later)).toBe(at(later - 30n * S));
  });

  it('never passes a message still in flight, however long it takes', () => {
    const w = new ProcessingWatermark(1_000);
    const t = NOW - 3n * S;
    const mark = w.begin(at(t), NOW);
    for (const later of [NOW + S, NOW + 60n * S, NOW + 3600n * S]) {
      expect(isoToMicros(w.processedThrough(later)) < t).toBe(true);
    }
    w.end(mark);
    expect(isoToMicros(w.processedThrough(NOW + 3600n * S)) > t).toBe(true);
  });
});
