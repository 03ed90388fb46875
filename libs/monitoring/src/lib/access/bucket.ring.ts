/**
 * A sliding window as a ring of fixed buckets: `size` buckets of `bucketMs`, the newest being
 * the current one. `sum()` covers the current bucket and the `size − 1` before it, i.e. the last
 * `(size − 1) × bucketMs` to `size × bucketMs` (precise to one bucket). O(1) memory; a clock
 * that goes backwards adds to the current bucket.
 */
export class BucketRing {
  private readonly values: Float64Array | Uint32Array;
  /** Absolute bucket number (`floor(now / bucketMs)`) of the current bucket. */
  private slot = Number.NEGATIVE_INFINITY;

  constructor(
    readonly bucketMs: number,
    readonly size: number,
    /** `uint32`: counts (4 bytes a bucket); `float`: sums of fractional values. */
    kind: 'uint32' | 'float' = 'float',
  ) {
    this.values = kind === 'uint32' ? new Uint32Array(size) : new Float64Array(size);
  }

  add(nowMs: number, value = 1): void {
    this.advance(nowMs);
    this.values[this.index()] = (this.values[this.index()] ?? 0) + value;
  }

  sum(nowMs: number): number {
    this.advance(nowMs);
    let total = 0;
    for (const v of this.values) total += v;
    return total;
  }

  private index(): number {
    return ((this.slot % this.size) + this.size) % this.size;
  }

  private advance(nowMs: number): void {
    const bucket = Math.floor(nowMs / this.bucketMs);
    if (bucket <= this.slot) return;
    if (bucket - this.slot >= this.size) {
      this.values.fill(0);
    } else {
      for (let b = this.slot + 1; b <= bucket; b++) this.values[((b % this.size) + this.size) % this.size] = 0;
    }
    this.slot = bucket;
  }
}
