import { createHash } from 'node:crypto';

/** The `prev_hash` of a device's first row. */
export const GENESIS_HASH: Buffer = Buffer.alloc(32);

/**
 * `sha256(prev ‖ int64_be(receivedAt in µs since the Unix epoch) ‖ bytes)`: the chain that makes
 * tampering with raw rows detectable (CQC/SC 11002 4.1.3). Anyone can recompute it from a row.
 */
export function chainHash(prev: Buffer, receivedAtUs: bigint, bytes: Buffer): Buffer {
  const time = Buffer.allocUnsafe(8);
  time.writeBigInt64BE(receivedAtUs);
  return createHash('sha256').update(prev).update(time).update(bytes).digest();
}
