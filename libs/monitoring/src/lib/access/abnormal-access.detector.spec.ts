import { AbnormalAccessDetector, AbnormalAccessOptions, AccessAlert } from './abnormal-access.detector';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 10, 22, 3, 0, 0);

class FakeClock {
  constructor(public ms = T0) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

const OPTIONS: AbnormalAccessOptions = { maxPerIpPerMinute: 3000, throttleMs: 60_000, spikeFactor: 10 };

function detector(clock: FakeClock, options: Partial<AbnormalAccessOptions> = {}): AbnormalAccessDetector {
  return new AbnormalAccessDetector({ ...OPTIONS, ...options }, clock.now);
}

/** `n` requests from `ip`, spread evenly over `overMs`; returns how many were refused and the alerts. */
function burst(d: AbnormalAccessDetector, clock: FakeClock, ip: string, n: number, overMs = 0, exempt = false) {
  let refused = 0;
  const alerts: AccessAlert[] = [];
  for (let i = 0; i < n; i++) {
    const decision = d.record(ip, exempt);
    if (decision.throttle !== null) refused++;
    alerts.push(...decision.alerts);
    clock.advance(overMs / n);
  }
  return { refused, alerts };
}

describe(AbnormalAccessDetector.name, () => {
  it('throttles an IP after its limit in a minute and alerts once (5,000 requests in 50 s)', () => {
    const clock = new FakeClock();
    const d = detector(clock);
    const { refused, alerts } = burst(d, clock, '203.0.113.7', 5000, 50_000);
    expect(refused).toBe(2000);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      reason: 'ip-rate',
      detail: { ip: '203.0.113.7', requestsLastMinute: 3001, limitPerMinute: 3000 },
    });
    expect(alerts[0]?.title).toContain('203.0.113.7');
  });

  it('answers a throttled IP with the time left and a reason citing 4.4.1', () => {
    const clock = new FakeClock();
    const d = detector(clock, { maxPerIpPerMinute: 5 });
    burst(d, clock, '198.51.100.1', 5);
    const first = d.record('198.51.100.1');
    clock.advance(20_000);
    const later = d.record('198.51.100.1');
    expect(first.throttle?.retryAfterMs).toBe(60_000);
    expect(later.throttle?.retryAfterMs).toBe(40_000);
    expect(later.throttle?.reason).toMatch(/more than 5 requests a minute.*4\.4\.1/);
    expect(later.alerts).toEqual([]);
  });

  it('leaves other IPs alone while one is throttled', () => {
    const clock = new FakeClock();
    const d = detector(clock);
    burst(d, clock, '203.0.113.7', 3500, 10_000);
    expect(d.record('203.0.113.7').throttle).not.toBeNull();
    const other = burst(d, clock, '203.0.113.8', 2999, 10_000);
    expect(other).toEqual({ refused: 0, alerts: [] });
  });

  it('lets the IP in again once the throttle expires, and alerts again only in a new throttle period', () => {
    const clock = new FakeClock();
    const d = detector(clock, { maxPerIpPerMinute: 100 });
    expect(burst(d, clock, '203.0.113.7', 150, 1_000).alerts).toHaveLength(1);
    clock.advance(59_000);
    expect(d.record('203.0.113.7').throttle).not.toBeNull();
    clock.advance(1_000);
    // The throttle (60 s) is over and the burst has left the sliding minute.
    expect(burst(d, clock, '203.0.113.7', 100, 1_000)).toEqual({ refused: 0, alerts: [] });
    const again = burst(d, clock, '203.0.113.7', 10, 1_000);
    expect(again.refused).toBe(10);
    expect(again.alerts.map((a) => a.reason)).toEqual(['ip-rate']);
  });

  it('counts a sliding minute, not a calendar one', () => {
    const clock = new FakeClock(T0 + 30_000);
    const d = detector(clock, { maxPerIpPerMinute: 100 });
    // 100 requests in the second half of a minute, 1 more in the first seconds of the next: refused.
    expect(burst(d, clock, '203.0.113.7', 100, 25_000).refused).toBe(0);
    clock.ms = T0 + 62_000;
    expect(d.record('203.0.113.7').throttle).not.toBeNull();
  });

  it('never throttles exempt requests (health checks, metrics), even from a throttled IP', () => {
    const clock = new FakeClock();
    const d = detector(clock, { maxPerIpPerMinute: 10 });
    expect(burst(d, clock, '127.0.0.1', 500, 5_000, true).refused).toBe(0);
    expect(burst(d, clock, '127.0.0.1', 11).refused).toBe(1);
    expect(d.record('127.0.0.1', true).throttle).toBeNull();
    expect(d.record('127.0.0.1', false).throttle).not.toBeNull();
  });

  it('raises a spike alert when the last minute is over factor × the hourly average, once an hour', () => {
    const clock = new FakeClock();
    const d = detector(clock);
    // An hour of 100 requests a minute from 10 IPs.
    for (let m = 0; m < 60; m++) {
      const quiet = burst(d, clock, `10.0.0.${m % 10}`, 100, MINUTE);
      expect(quiet.alerts).toEqual([]);
    }
    // 2,000 in 30 s from 100 IPs (each far under its own limit).
    const alerts: AccessAlert[] = [];
    for (let i = 0; i < 2000; i++) {
      alerts.push(...d.record(`192.0.2.${i % 100}`).alerts);
      clock.advance(15);
    }
    expect(alerts.map((a) => a.reason)).toEqual(['spike']);
    expect(alerts[0]?.detail).toMatchObject({ averagePerMinute: 100, spikeFactor: 10 });
    expect(Number(alerts[0]?.detail['requestsLastMinute'])).toBeGreaterThan(1000);
    // Still spiking during the next 59 minutes: no second alert.
    for (let m = 0; m < 59; m++) expect(burst(d, clock, '192.0.2.1', 2000, MINUTE).alerts).toEqual([]);
  });

  it('does not take a quiet platform’s first burst for a spike (absolute floor; two minutes of history)', () => {
    const clock = new FakeClock();
    const d = detector(clock);
    // Right after start: no verdict at all.
    expect(burst(d, clock, '192.0.2.1', 2000, 50_000).alerts).toEqual([]);
    clock.advance(HOUR);
    // An hour of silence, then 500 requests in a minute: under the floor of 600.
    const spread = (n: number) => {
      const alerts: AccessAlert[] = [];
      for (let i = 0; i < n; i++) {
        alerts.push(...d.record(`192.0.2.${i % 50}`).alerts);
        clock.advance(MINUTE / n);
      }
      return alerts;
    };
    expect(spread(500)).toEqual([]);
    // Above the floor and 10 × an average of ~8 a minute: a spike.
    expect(spread(700).map((a) => a.reason)).toEqual(['spike']);
  });

  it('keeps memory bounded: idle IPs are forgotten, and no more than the cap are tracked', () => {
    const clock = new FakeClock();
    const d = detector(clock, { maxTrackedIps: 1000, maxPerIpPerMinute: 5, throttleMs: 120_000 });
    for (let i = 0; i < 5000; i++) d.record(`10.1.${i >> 8}.${i & 255}`);
    expect(d.trackedIps).toBe(1000);
    clock.advance(MINUTE + 10_001);
    d.record('10.9.9.9');
    expect(d.trackedIps).toBe(1);
    // A throttled IP is kept while its throttle lasts, though idle for over a minute.
    burst(d, clock, '10.9.9.8', 6);
    clock.advance(MINUTE + 10_001);
    d.record('10.9.9.7');
    expect(d.trackedIps).toBe(2);
    expect(d.record('10.9.9.8').throttle).not.toBeNull();
    clock.advance(MINUTE + 10_001);
    d.record('10.9.9.7');
    expect(d.trackedIps).toBe(1);
    expect(d.record('10.9.9.8').throttle).toBeNull();
  });
});
