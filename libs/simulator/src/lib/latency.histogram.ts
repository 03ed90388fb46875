/** Percentiles of a latency distribution, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Sub-buckets per power of two: values are kept to within 1/16 (≈ 6 %), like an HDR histogram. */
const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
/** Values are microseconds in 32 bits: up to 71 minutes, far beyond any confirm timeout. */
const MAX_VALUE = 0xffff_ffff;
const BUCKETS = (32 - SUB_BITS + 1) * SUB;

function bucketOf(us: number): number {
  if (us < SUB) return us;
  const exponent = 31 - Math.clz32(us); // ≥ SUB_BITS
  const shift = exponent - SUB_BITS;
  return (shift + 1) * SUB + ((us >>> shift) & (SUB - 1));
}

/** The largest value that falls in a bucket. */
function upperOf(bucket: number): number {
  if (bucket < SUB) return bucket;
  const shift = Math.floor(bucket / SUB) - 1;
  const mantissa = SUB + (bucket % SUB);
  return (mantissa + 1) * 2 ** shift - 1;
}

/**
 * A fixed-size log-linear histogram of latencies (recorded in microseconds, reported in ms):
 * O(1) per record and a few kilobytes whatever the number of samples, so a load test of
 * millions of frames costs no memory. The maximum and the mean are exact; percentiles are the
 * upper edge of their bucket (never above the maximum), i.e. at most ≈ 6 % high.
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sumUs = 0;
  private maxUs = 0;

  /** Records one latency in microseconds (fractions are truncated; negatives count as 0). */
  recordMicros(us: number): void {
    const v = us <= 0 ? 0 : us >= MAX_VALUE ? MAX_VALUE : Math.floor(us);
    const b = bucketOf(v);
    this.counts[b] = (this.counts[b] as number) + 1;
    this.total++;
    this.sumUs += v;
    if (v > this.maxUs) this.maxUs = v;
  }

  /** Records the time between two `process.hrtime.bigint()` readings. */
  recordSince(startNs: bigint, endNs: bigint = process.hrtime.bigint()): void {
    this.recordMicros(Number(endNs - startNs) / 1000);
  }

  get count(): number {
    return this.total;
  }

  /** The value (ms) at or below which a fraction `q` (0–1) of the samples lie; 0 when empty. */
  quantileMs(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b] as number;
      if (seen >= rank) return Math.min(upperOf(b), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  summary(): LatencySummary {
    return {
      count: this.total,
      mean: this.total === 0 ? 0 : this.sumUs / this.total / 1000,
      p50: this.quantileMs(0.5),
      p90: this.quantileMs(0.9),
      p99: this.quantileMs(0.99),
      max: this.maxUs / 1000,
    };
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sumUs = 0;
    this.maxUs = 0;
  }
}
