import iconv from 'iconv-lite';

/**
 * Characters removed from the ends of a description: NUL and other C0 controls, space, DEL,
 * the ideographic space and U+FFFD (what an undecodable byte becomes). Real frames pad with
 * 0x20 or 0x00, put NULs before the text, and leave junk after a NUL terminator (notes §7.4).
 */
// eslint-disable-next-line no-control-regex -- NUL and C0 controls are exactly what is trimmed
const EDGE_JUNK = /^[\u0000-\u0020\u007f\u3000\ufffd]+|[\u0000-\u0020\u007f\u3000\ufffd]+$/g;

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) >= 0x80) return false;
  return true;
}

/**
 * Decodes a GB18030 description field (GB/T 26875.3 §8.2.1.2, §8.2.1.6, §8.2.1.7, §8.2.1.11) and trims it:
 * leading padding and junk are dropped, the text ends at the first NUL after it starts
 * (a C string terminator), and trailing padding is dropped.
 */
export function decodeDescription(bytes: Uint8Array): string {
  let start = 0;
  while (start < bytes.length && (bytes[start] === 0x00 || bytes[start] === 0x20)) start++;
  let end = bytes.indexOf(0x00, start);
  if (end < 0) end = bytes.length;
  const body = bytes.subarray(start, end);
  const text = isAscii(body)
    ? Buffer.from(body.buffer, body.byteOffset, body.length).toString('latin1')
    : iconv.decode(Buffer.from(body.buffer, body.byteOffset, body.length), 'gb18030');
  return text.length > 0 && (isEdgeJunk(text.charCodeAt(0)) || isEdgeJunk(text.charCodeAt(text.length - 1)))
    ? text.replace(EDGE_JUNK, '')
    : text;
}

/** The characters EDGE_JUNK removes, tested without a regex for the common clean case. */
function isEdgeJunk(c: number): boolean {
  return c <= 0x20 || c === 0x7f || c === 0x3000 || c === 0xfffd;
}

/**
 * A map that forgets everything when it reaches its size: descriptions repeat per device, so a
 * small cache catches nearly all of them, and a flood of distinct ones cannot grow it.
 */
export class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly size: number) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): V {
    if (this.map.size >= this.size) this.map.clear();
    this.map.set(key, value);
    return value;
  }
}

/** Encodes text as GB18030 (ASCII passes through unchanged). */
export function encodeGb18030(text: string): Buffer {
  // eslint-disable-next-line no-control-regex
  return /^[\u0000-\u007f]*$/.test(text) ? Buffer.from(text, 'latin1') : iconv.encode(text, 'gb18030');
}
