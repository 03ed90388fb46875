import { performance } from 'node:perf_hooks';

/**
 * Turns a rate (events per second) into whole events per tick: each `take()` adds the time since
 * the last call times the rate, and hands out the whole part. A stalled event loop is caught up
 * for at most one second, so the average rate holds without an unbounded burst.
 */
export class RateCredit {
  private credit = 0;
  private last = performance.now();

  constructor(public rate: number) {}

  take(now = performance.now()): number {
    const elapsed = Math.min(1000, Math.max(0, now - this.last));
    this.last = now;
    this.credit = Math.min(this.credit + (this.rate * elapsed) / 1000, Math.max(1, this.rate));
    const whole = Math.floor(this.credit);
    this.credit -= whole;
    return whole;
  }
}
