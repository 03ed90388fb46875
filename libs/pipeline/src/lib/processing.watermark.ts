import { isoToMicros, microsToIso } from '@fireiot/events';

/**
 * How far the pipeline has durably got, as a receive time: every raw row received before it has
 * been classified and its alerts committed. Messages in flight (handed to the pipeline, writes
 * not yet committed) hold it back; so does the bus's own lag (messages published but not yet
 * delivered), covered by a margin of twice the largest delivery lag seen recently, at least
 * `minMarginMs`. After a crash, raw rows received after it are replayed (idempotently).
 */
export class ProcessingWatermark {
  private readonly pending = new Map<bigint, number>();
  private maxLagUs = 0n;
  private lagWindowStart = Date.now();

  constructor(private readonly minMarginMs = 30_000) {}

  get inFlight(): number {
    let n = 0;
    for (const c of this.pending.values()) n += c;
    return n;
  }

  /** A message was delivered (receive time of its raw row). */
  begin(receivedAt: string, nowUs: bigint): bigint {
    const us = isoToMicros(receivedAt);
    this.pending.set(us, (this.pending.get(us) ?? 0) + 1);
    const lag = nowUs - us;
    if (Date.now() - this.lagWindowStart > 60_000) {
      this.maxLagUs = 0n;
      this.lagWindowStart = Date.now();
    }
    if (lag > this.maxLagUs) this.maxLagUs = lag;
    return us;
  }

  /** Its writes committed (or it produced none). */
  end(us: bigint): void {
    const c = this.pending.get(us);
    if (c === undefined) return;
    if (c <= 1) this.pending.delete(us);
    else this.pending.set(us, c - 1);
  }

  /** The receive time through which everything is processed. */
  processedThrough(nowUs: bigint): string {
    let oldest = nowUs;
    for (const us of this.pending.keys()) if (us < oldest) oldest = us;
    const minMargin = BigInt(this.minMarginMs) * 1000n;
    const margin = 2n * this.maxLagUs > minMargin ? 2n * this.maxLagUs : minMargin;
    return microsToIso(oldest - margin);
  }
}
