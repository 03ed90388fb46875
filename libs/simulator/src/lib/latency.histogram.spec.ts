import { LatencyHistogram } from './latency.histogram';

describe(LatencyHistogram.name, () => {
  it('reports zeros when empty', () => {
    expect(new LatencyHistogram().summary()).toEqual({ count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });

  it('gives percentiles within 1/16 above the exact value, and the exact max and mean', () => {
    const h = new LatencyHistogram();
    const values: number[] = [];
    for (let i = 1; i <= 100_000; i++) {
      const us = (i * 7919) % 250_000; // 0 … 250 ms, scrambled
      values.push(us);
      h.recordMicros(us);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = (values[Math.ceil(q * values.length) - 1] as number) / 1000;
      const got = h.quantileMs(q);
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got).toBeLessThanOrEqual(exact * (1 + 1 / 16) + 0.001);
    }
    const s = h.summary();
    expect(s.count).toBe(100_000);
    expect(s.max).toBe((values[values.length - 1] as number) / 1000);
    expect(s.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length / 1000, 6);
  });

  it('is exact below 16 µs and never reports a percentile above the max', () => {
    const h = new LatencyHistogram();
    for (const us of [3, 3, 5, 9]) h.recordMicros(us);
    expect(h.quantileMs(0.5)).toBe(0.003);
    expect(h.quantileMs(1)).toBe(0.009);
    h.recordMicros(1_000_001);
    expect(h.summary().max).toBe(1000.001);
    expect(h.quantileMs(1)).toBe(1000.001);
  });

  it('records hrtime intervals and clamps absurd values', () => {
    const h = new LatencyHistogram();
    h.recordSince(0n, 2_500_000n); // 2.5 ms
    h.recordMicros(-5);
    h.recordMicros(1e12);
    expect(h.count).toBe(3);
    expect(h.quantileMs(0.3)).toBe(0);
    expect(h.quantileMs(0.5)).toBeCloseTo(2.5, 0);
    h.reset();
    expect(h.count).toBe(0);
  });
});
