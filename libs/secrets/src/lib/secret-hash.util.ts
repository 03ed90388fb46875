import { randomBytes, scrypt, ScryptOptions, timingSafeEqual } from 'node:crypto';
import { SecretError } from './secret.error';

/**
 * Hashes of secrets the platform checks but must never be able to read back: MQTT device
 * passwords (`devices.mqtt_secret`; CQC/SC 11002 4.1.1: data is collected from identified
 * devices only) and people's passwords (`users.password_hash`).
 *
 * Stored format: `scrypt$<N>$<r>$<p>$<salt, base64>$<hash, base64>` (node's `crypto.scrypt`,
 * memory-hard, 16-byte random salt, 32-byte key). The parameters travel with the hash, so they
 * can be raised later without invalidating stored secrets.
 *
 * Cost: N = 2^14, r = 8 (16 MiB, ≈ 50–70 ms on one core of the reference 2-core machine), run
 * on libuv's thread pool so the event loop never waits.
 */
export interface SecretHashParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SECRET_PARAMS: SecretHashParams = { N: 16_384, r: 8, p: 1 };

/**
 * A well-formed hash (default parameters, zero salt and key) that no secret matches: verifying
 * against it costs what verifying a real secret costs, so "unknown account" and "wrong secret"
 * take the same time.
 */
export const DUMMY_SECRET_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

const SALT_BYTES = 16;
const KEY_BYTES = 32;
export const MAX_SECRET_BYTES = 1024;
/** Bounds on what `verifySecret` accepts from storage, so a corrupt row cannot exhaust memory. */
const MAX_N = 1 << 20;
const MAX_MEM = 256 * 1024 * 1024;
const FORMAT = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function derive(secret: string | Buffer, salt: Buffer, keyLength: number, params: SecretHashParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: MAX_MEM };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function secretBytes(secret: string | Buffer): number {
  return typeof secret === 'string' ? Buffer.byteLength(secret, 'utf8') : secret.length;
}

/** Hashes a secret into the `scrypt$N$r$p$salt$hash` format. */
export async function hashSecret(
  secret: string | Buffer,
  params: SecretHashParams = DEFAULT_SECRET_PARAMS,
): Promise<string> {
  const size = secretBytes(secret);
  if (size === 0 || size > MAX_SECRET_BYTES) {
    throw new SecretError('invalid-secret', `a secret has 1 to ${MAX_SECRET_BYTES} bytes, not ${size}`);
  }
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(secret, salt, KEY_BYTES, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Whether `secret` matches a stored `scrypt$…` hash. Constant-time comparison; a malformed or
 * out-of-bounds stored value never matches (it does not throw).
 */
export async function verifySecret(secret: string | Buffer, stored: string): Promise<boolean> {
  const m = FORMAT.exec(stored);
  if (!m) return false;
  const [, n, r, p, saltB64, hashB64] = m as unknown as [string, string, string, string, string, string];
  const params: SecretHashParams = { N: Number(n), r: Number(r), p: Number(p) };
  const salt = Buffer.from(saltB64, 'base64');
  const expected = Buffer.from(hashB64, 'base64');
  const powerOfTwo = params.N > 1 && (params.N & (params.N - 1)) === 0;
  if (!powerOfTwo || params.N > MAX_N || params.r < 1 || params.p < 1 || 128 * params.N * params.r > MAX_MEM) {
    return false;
  }
  if (salt.length < 8 || expected.length < 16 || expected.length > 64) return false;
  const size = secretBytes(secret);
  if (size === 0 || size > MAX_SECRET_BYTES) return false;
  const actual = await derive(secret, salt, expected.length, params);
  return timingSafeEqual(actual, expected);
}

/** A new random secret (`bytes` random bytes, base64url): generated passwords, e.g. MQTT devices'. */
export function generateSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
