import { isoToMicros, microsToIso, ReceiveClock } from './receive.clock';

describe(ReceiveClock.name, () => {
  it('gives µs wall times that follow the monotonic clock between calibrations', () => {
    let mono = 5_000_000_000n;
    const clock = new ReceiveClock(
      1_000,
      () => 1_763_781_234_567,
      () => mono,
    );
    const a = clock.now();
    mono += 1_234_000n; // 1.234 ms later
    const b = clock.now();
    expect(b.wallUs - a.wallUs).toBe(1234n);
    expect(a.wallUs).toBe(1_763_781_234_567_000n);
  });

  it('never goes backwards when the wall clock is stepped back', () => {
    let mono = 0n;
    let wall = 1_763_781_234_567;
    const clock = new ReceiveClock(
      1,
      () => wall,
      () => mono,
    );
    const a = clock.now();
    mono += 2_000_000n;
    wall -= 10_000; // NTP steps the clock back 10 s
    const b = clock.now();
    expect(b.wallUs).toBeGreaterThan(a.wallUs);
  });
});

describe(microsToIso.name, () => {
  it('prints µs and parses back', () => {
    expect(microsToIso(1_763_781_234_567_890n)).toBe('2025-11-22T03:13:54.567890Z');
    expect(isoToMicros('2025-11-22T03:13:54.567890Z')).toBe(1_763_781_234_567_890n);
    expect(isoToMicros('2025-11-22T03:13:54Z')).toBe(1_763_781_234_000_000n);
    expect(() => isoToMicros('2025-11-22 03:13:54')).toThrow(RangeError);
  });
});
