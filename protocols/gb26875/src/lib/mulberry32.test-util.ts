/**
 * mulberry32: a tiny PRNG giving the same uint32 sequence on every machine for a seed, so fuzz
 * runs, stream tests and benchmarks repeat exactly. Not for anything that needs real randomness.
 */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
