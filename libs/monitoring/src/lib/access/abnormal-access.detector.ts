import { BucketRing } from './bucket.ring';

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Per-IP sliding minute: 12 buckets of 5 s (the count covers the last 55–60 s). */
const IP_BUCKET_MS = 5_000;
const IP_BUCKETS = 12;
/** Idle IPs (not seen for a minute, not throttled) are forgotten this often. */
const SWEEP_EVERY_MS = 10_000;

export interface AbnormalAccessOptions {
  /** Requests one client IP may make in a sliding minute; one more throttles it. */
  readonly maxPerIpPerMinute: number;
  /** How long a throttled IP is answered 429. */
  readonly throttleMs: number;
  /** Requests in the last minute above this many times the last hour's average per minute is a spike. */
  readonly spikeFactor: number;
  /** Fewer requests than this in the last minute are never a spike (a quiet platform's first burst). */
  readonly spikeFloorPerMinute?: number;
  /** IPs tracked at most (memory bound, ~130 bytes each); beyond it the longest-tracked is forgotten. */
  readonly maxTrackedIps?: number;
}

export type AccessAlertReason = 'ip-rate' | 'spike';

/** An abnormal access for the operators (CQC/SC 11002 4.4.1). */
export interface AccessAlert {
  readonly reason: AccessAlertReason;
  readonly title: string;
  readonly detail: Readonly<Record<string, string | number>>;
}

export interface AccessThrottle {
  readonly retryAfterMs: number;
  readonly reason: string;
}

export interface AccessDecision {
  /** null: serve the request; else answer 429 with this. */
  readonly throttle: AccessThrottle | null;
  /** Alerts to raise now: at most one per throttle period per IP, one spike an hour. */
  readonly alerts: readonly AccessAlert[];
}

interface IpState {
  /** This IP's counts are `counts[cell × 12 … cell × 12 + 11]`. */
  readonly cell: number;
  /** Absolute 5-s bucket of the newest count. */
  slot: number;
  lastSeenMs: number;
  throttledUntilMs: number;
  /** No new alert for this IP before. */
  quietUntilMs: number;
}

const NO_ALERTS: readonly AccessAlert[] = [];
const ALLOW: AccessDecision = { throttle: null, alerts: NO_ALERTS };

/**
 * Abnormal access (CQC/SC 11002 4.4.1: the platform watches its access and reacts to abnormal
 * access). Pure: no I/O, time from the injected clock (ms).
 *
 * - Per client IP, requests in a sliding minute (12 × 5-s buckets). The request that would make
 *   it more than `maxPerIpPerMinute` is refused and the IP is throttled for `throttleMs` (its
 *   requests answered 429 with Retry-After, and not counted); operators get one `ip-rate` alert
 *   per throttle period per IP.
 * - Platform-wide, every second at most: requests in the last minute against the average per
 *   minute before it over the last hour (or since start, if less; no verdict in the first two
 *   minutes). More than `spikeFactor` times that average, and at least `spikeFloorPerMinute`, is a
 *   `spike`; operators get one such alert an hour.
 * - Exempt requests (health checks, the metrics scrape) count towards the platform's figures but
 *   neither towards nor against their IP's limit: they are never throttled.
 * - Memory is bounded: at most `maxTrackedIps` IPs (counts in one preallocated array); an IP not
 *   seen for a minute and not throttled is forgotten within 10 s.
 */
export class AbnormalAccessDetector {
  private readonly ips = new Map<string, IpState>();
  private readonly counts: Uint32Array;
  private readonly freeCells: number[] = [];
  private nextCell = 0;
  private nextSweepMs: number;
  private readonly lastMinute = new BucketRing(IP_BUCKET_MS, IP_BUCKETS, 'uint32');
  /** 61 one-minute buckets: the last hour and the current minute. */
  private readonly lastHour = new BucketRing(MINUTE, 61, 'uint32');
  private readonly startedMs: number;
  private nextSpikeCheckMs = 0;
  private spikeQuietUntilMs = 0;
  private readonly maxTracked: number;
  private readonly spikeFloor: number;
  private readonly throttleReason: string;

  constructor(
    private readonly options: AbnormalAccessOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.maxTracked = options.maxTrackedIps ?? 100_000;
    this.spikeFloor = options.spikeFloorPerMinute ?? 600;
    this.counts = new Uint32Array(this.maxTracked * IP_BUCKETS);
    this.startedMs = now();
    this.nextSweepMs = this.startedMs + SWEEP_EVERY_MS;
    this.throttleReason =
      `more than ${options.maxPerIpPerMinute} requests a minute from this address: ` +
      `throttled for ${Math.round(options.throttleMs / SECOND)} s (abnormal access, CQC/SC 11002 4.4.1)`;
  }

  /** IPs currently tracked. */
  get trackedIps(): number {
    return this.ips.size;
  }

  /** One request from `ip`; `exempt`: never throttled (health checks, metrics). */
  record(ip: string, exempt = false): AccessDecision {
    const now = this.now();
    this.lastMinute.add(now);
    this.lastHour.add(now);
    if (now >= this.nextSweepMs) this.sweep(now);
    const spike = now >= this.nextSpikeCheckMs ? this.checkSpike(now) : null;
    if (exempt) return spike ? { throttle: null, alerts: [spike] } : ALLOW;

    const state = this.ips.get(ip) ?? this.track(ip);
    state.lastSeenMs = now;
    if (now < state.throttledUntilMs) {
      return { throttle: this.throttle(state, now), alerts: spike ? [spike] : NO_ALERTS };
    }
    const count = this.countIp(state, now);
    if (count < this.options.maxPerIpPerMinute) {
      this.addIp(state);
      return spike ? { throttle: null, alerts: [spike] } : ALLOW;
    }
    // This request would be one too many: refuse it, throttle the IP.
    state.throttledUntilMs = now + this.options.throttleMs;
    const alerts: AccessAlert[] = spike ? [spike] : [];
    if (now >= state.quietUntilMs) {
      state.quietUntilMs = state.throttledUntilMs;
      alerts.push({
        reason: 'ip-rate',
        title: `Abnormal access: more than ${this.options.maxPerIpPerMinute} requests a minute from ${ip}, throttled for ${Math.round(this.options.throttleMs / SECOND)} s`,
        detail: {
          ip,
          requestsLastMinute: count + 1,
          limitPerMinute: this.options.maxPerIpPerMinute,
          throttledUntil: new Date(state.throttledUntilMs).toISOString(),
        },
      });
    }
    return { throttle: this.throttle(state, now), alerts };
  }

  private throttle(state: IpState, now: number): AccessThrottle {
    return { retryAfterMs: state.throttledUntilMs - now, reason: this.throttleReason };
  }

  private track(ip: string): IpState {
    if (this.ips.size >= this.maxTracked) {
      this.sweep(this.now());
      if (this.ips.size >= this.maxTracked) {
        // Still full of active IPs: forget the longest-tracked one.
        const [oldest, state] = this.ips.entries().next().value as [string, IpState];
        this.ips.delete(oldest);
        this.freeCells.push(state.cell);
      }
    }
    const cell = this.freeCells.pop() ?? this.nextCell++;
    this.counts.fill(0, cell * IP_BUCKETS, (cell + 1) * IP_BUCKETS);
    const state: IpState = {
      cell,
      slot: Number.NEGATIVE_INFINITY,
      lastSeenMs: 0,
      throttledUntilMs: 0,
      quietUntilMs: 0,
    };
    this.ips.set(ip, state);
    return state;
  }

  /** The IP's requests in the sliding minute, after moving its window to `now`. */
  private countIp(state: IpState, now: number): number {
    const base = state.cell * IP_BUCKETS;
    const bucket = Math.floor(now / IP_BUCKET_MS);
    if (bucket > state.slot) {
      if (bucket - state.slot >= IP_BUCKETS) this.counts.fill(0, base, base + IP_BUCKETS);
      else for (let b = state.slot + 1; b <= bucket; b++) this.counts[base + (b % IP_BUCKETS)] = 0;
      state.slot = bucket;
    }
    let n = 0;
    for (let i = base; i < base + IP_BUCKETS; i++) n += this.counts[i] ?? 0;
    return n;
  }

  private addIp(state: IpState): void {
    const i = state.cell * IP_BUCKETS + (state.slot % IP_BUCKETS);
    this.counts[i] = (this.counts[i] ?? 0) + 1;
  }

  private sweep(now: number): void {
    this.nextSweepMs = now + SWEEP_EVERY_MS;
    for (const [ip, state] of this.ips) {
      if (state.lastSeenMs <= now - MINUTE && state.throttledUntilMs <= now) {
        this.ips.delete(ip);
        this.freeCells.push(state.cell);
      }
    }
  }

  private checkSpike(now: number): AccessAlert | null {
    this.nextSpikeCheckMs = now + SECOND;
    const observedMs = Math.min(now - this.startedMs, HOUR);
    if (now < this.spikeQuietUntilMs || observedMs < 2 * MINUTE) return null;
    const lastMinute = this.lastMinute.sum(now);
    if (lastMinute < this.spikeFloor) return null;
    const before = Math.max(0, this.lastHour.sum(now) - lastMinute);
    const averagePerMinute = before / ((observedMs - MINUTE) / MINUTE);
    if (lastMinute <= this.options.spikeFactor * averagePerMinute) return null;
    this.spikeQuietUntilMs = now + HOUR;
    const average = Math.round(averagePerMinute);
    return {
      reason: 'spike',
      title: `Abnormal access: ${lastMinute} requests in the last minute, over ${this.options.spikeFactor} × the last hour's average (${average} a minute)`,
      detail: {
        requestsLastMinute: lastMinute,
        averagePerMinute: average,
        spikeFactor: this.options.spikeFactor,
        floorPerMinute: this.spikeFloor,
      },
    };
  }
}
