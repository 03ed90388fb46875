import { AccessWindows } from './access.windows';

const T0 = Date.UTC(2025, 10, 22, 3, 0, 0);

describe(AccessWindows.name, () => {
  it('averages response times over the last minute and hour', () => {
    let now = T0;
    const w = new AccessWindows(() => now);
    expect(w.averageSeconds('1m')).toBe(0);
    w.record('10.0.0.1', 0.1);
    w.record('10.0.0.1', 0.3);
    expect(w.averageSeconds('1m')).toBeCloseTo(0.2);
    now += 5 * 60_000;
    w.record('10.0.0.2', 0.5);
    expect(w.averageSeconds('1m')).toBeCloseTo(0.5);
    expect(w.averageSeconds('1h')).toBeCloseTo(0.3);
    now += 3_600_000;
    expect(w.averageSeconds('1h')).toBe(0);
  });

  it('counts distinct client IPs per window, forgetting them after a day', () => {
    let now = T0;
    const w = new AccessWindows(() => now);
    w.record('10.0.0.1', 0.01);
    now += 2 * 3_600_000;
    w.record('10.0.0.2', 0.01);
    now += 10 * 60_000;
    w.record('10.0.0.3', 0.01);
    w.record('10.0.0.3', 0.01);
    expect(w.distinctIps()).toEqual({ '1m': 1, '1h': 2, '24h': 3 });
    now += 23 * 3_600_000;
    expect(w.distinctIps()).toEqual({ '1m': 0, '1h': 0, '24h': 2 });
  });

  it('tracks at most its cap of IPs, forgetting the least recently seen', () => {
    let now = T0;
    const w = new AccessWindows(() => now, 100);
    for (let i = 0; i < 1000; i++) {
      w.record(`10.0.${i >> 8}.${i & 255}`, 0.01);
      now += 1;
    }
    expect(w.distinctIps()['1m']).toBe(100);
  });
});
