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

/** Lowercase hex of a byte range, as used in every `hex` field of the decoded JSON. */
export function toHex(buf: Uint8Array, start = 0, end = buf.length): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('hex');
}
