import { Gb26875Error } from './gb26875.error';

/**
 * A bounds-checked little-endian reader over a slice of a buffer. Every multi-byte integer in
 * GB/T 26875.3 is little-endian ("低字节传输在前", §7). Reading past `end` throws a
 * `truncated-object` error carrying the offset; the frame decoder turns it into a result.
 */
export class ByteReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless `n` more bytes can be read. */
  need(n: number, what: string): void {
    if (this.pos + n > this.end) {
      throw new Gb26875Error(
        'truncated-object',
        `${what} needs ${n} byte(s), ${this.end - this.pos} left`,
        '',
        this.pos,
      );
    }
  }

  u8(): number {
    return this.buf[this.pos++] as number;
  }

  u16le(): number {
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p] as number) | ((b[p + 1] as number) << 8);
  }

  i16le(): number {
    const v = this.u16le();
    return v >= 0x8000 ? v - 0x10000 : v;
  }

  u32le(): number {
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (
      ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)) >>>
      0
    );
  }

  /** A view of the next `n` bytes (no copy). */
  bytes(n: number): Uint8Array {
    const p = this.pos;
    this.pos = p + n;
    return this.buf.subarray(p, p + n);
  }
}

/**
 * A little-endian writer into a fixed-capacity buffer. Writing past the capacity throws an
 * `adu-too-long` error, so an encoder can never build an ADU over the 1024-byte limit.
 */
export class ByteWriter {
  pos = 0;

  constructor(readonly buf: Uint8Array) {}

  reset(): void {
    this.pos = 0;
  }

  /** Checks that `n` more bytes fit and returns the buffer, leaving `pos` for the caller to advance. */
  reserve(n: number): Uint8Array {
    this.room(n);
    this.pos -= n;
    return this.buf;
  }

  private room(n: number): number {
    const p = this.pos;
    if (p + n > this.buf.length) {
      throw new Gb26875Error('adu-too-long', `the ADU would exceed ${this.buf.length} bytes (GB/T 26875.3 §7)`);
    }
    this.pos = p + n;
    return p;
  }

  u8(v: number): void {
    this.buf[this.room(1)] = v;
  }

  u16le(v: number): void {
    const p = this.room(2);
    this.buf[p] = v & 0xff;
    this.buf[p + 1] = (v >>> 8) & 0xff;
  }

  u32le(v: number): void {
    const p = this.room(4);
    this.buf[p] = v & 0xff;
    this.buf[p + 1] = (v >>> 8) & 0xff;
    this.buf[p + 2] = (v >>> 16) & 0xff;
    this.buf[p + 3] = (v >>> 24) & 0xff;
  }

  bytes(src: Uint8Array): void {
    this.buf.set(src, this.room(src.length));
  }

  /** Writes `src` into a field of exactly `size` bytes, padding the rest with `pad`. */
  padded(src: Uint8Array, size: number, pad: number): void {
    const p = this.room(size);
    this.buf.set(src, p);
    this.buf.fill(pad, p + src.length, p + size);
  }
}
