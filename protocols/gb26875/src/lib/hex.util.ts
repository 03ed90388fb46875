import { Gb26875Error } from './gb26875.error';

const HEX_BODY = /^[0-9a-fA-F]*$/;

/**
 * Parses hex text as people paste it: whitespace anywhere, an optional `0x` prefix.
 * Anything else (odd length, non-hex characters) is refused with `invalid-value`.
 */
export function parseHex(text: string, what = 'hex'): Buffer {
  let s = text.replace(/\s+/g, '');
  if (s.startsWith('0x') || s.startsWith('0X')) s = s.slice(2);
  if (!HEX_BODY.test(s)) {
    const bad = /[^0-9a-fA-F]/.exec(s);
    throw new Gb26875Error(
      'invalid-value',
      `${what}: '${bad?.[0] ?? '?'}' at position ${bad?.index ?? 0} is not a hex digit`,
    );
  }
  if (s.length % 2 !== 0) {
    throw new Gb26875Error('invalid-value', `${what}: odd number of hex digits (${s.length})`);
  }
  return Buffer.from(s, 'hex');
}

const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Lowercase hex of a byte range, as used in every `hex` field of the decoded JSON. Short ranges
 * (addresses, the usual case) are joined from a table: cheaper than Buffer's encoder call.
 */
export function toHex(buf: Uint8Array, start = 0, end = buf.length): string {
  if (end - start <= 16) {
    let s = '';
    for (let i = start; i < end; i++) s += BYTE_HEX[buf[i] as number] as string;
    return s;
  }
  return (Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length)).toString('hex', start, end);
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20; // ASCII lower case
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/**
 * The little-endian unsigned value of exactly `size` bytes (≤ 6) given as hex text, as addresses
 * are written in the decoded JSON. Refuses anything else with `invalid-value` naming `path`.
 */
export function hexToUint(value: unknown, size: number, path: string): number {
  if (typeof value === 'string' && value.length === size * 2) {
    let n = 0;
    let ok = true;
    for (let i = size - 1; i >= 0; i--) {
      const hi = nibble(value.charCodeAt(2 * i));
      const lo = nibble(value.charCodeAt(2 * i + 1));
      ok &&= hi >= 0 && lo >= 0;
      n = n * 256 + hi * 16 + lo;
    }
    if (ok) return n;
  }
  throw new Gb26875Error(
    'invalid-value',
    `${path}: expected ${size} bytes of hex, got ${JSON.stringify(value) ?? 'nothing'}`,
  );
}
