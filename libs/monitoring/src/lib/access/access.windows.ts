import { BucketRing } from './bucket.ring';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export type ResponseTimeWindow = '1m' | '1h';
export type DistinctIpWindow = '1m' | '1h' | '24h';

/**
 * Access figures over sliding windows (CQC/SC 11002 4.4.1: response times, distinct visitors).
 * Pure: time from the injected clock (ms).
 *
 * - Average response time over the last minute (12 × 5-s buckets) and hour (60 × 1-min buckets).
 * - Distinct client IPs seen in the last minute, hour and day: one entry per IP (its last
 *   request time), kept in last-seen order and capped at `maxIps` (100,000 by default, a few MB):
 *   beyond it the least recently seen IP is forgotten, so a window holding more distinct IPs
 *   than the cap reports the cap.
 */
export class AccessWindows {
  private readonly sum1m = new BucketRing(5_000, 12);
  private readonly count1m = new BucketRing(5_000, 12);
  private readonly sum1h = new BucketRing(MINUTE, 60);
  private readonly count1h = new BucketRing(MINUTE, 60);
  private readonly lastSeen = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxIps = 100_000,
  ) {}

  /** A request from `ip` answered in `seconds`. */
  record(ip: string, seconds: number): void {
    const now = this.now();
    this.sum1m.add(now, seconds);
    this.count1m.add(now);
    this.sum1h.add(now, seconds);
    this.count1h.add(now);
    // Delete then set: the map stays in last-seen order, oldest first.
    if (!this.lastSeen.delete(ip) && this.lastSeen.size >= this.maxIps) {
      const oldest = this.lastSeen.keys().next().value as string;
      this.lastSeen.delete(oldest);
    }
    this.lastSeen.set(ip, now);
  }

  /** Mean response time in seconds over the window; 0 when nothing was answered in it. */
  averageSeconds(window: ResponseTimeWindow): number {
    const now = this.now();
    const [sum, count] = window === '1m' ? [this.sum1m, this.count1m] : [this.sum1h, this.count1h];
    const n = count.sum(now);
    return n === 0 ? 0 : sum.sum(now) / n;
  }

  distinctIps(): Record<DistinctIpWindow, number> {
    const now = this.now();
    const figures: Record<DistinctIpWindow, number> = { '1m': 0, '1h': 0, '24h': 0 };
    for (const [ip, at] of this.lastSeen) {
      const age = now - at;
      if (age > DAY) {
        this.lastSeen.delete(ip);
        continue;
      }
      figures['24h']++;
      if (age <= HOUR) figures['1h']++;
      if (age <= MINUTE) figures['1m']++;
    }
    return figures;
  }
}
