import {
  END_BYTE,
  frameChecksum,
  FRAME_OVERHEAD,
  HEADER_LENGTH,
  MAX_ADU_LENGTH,
  MAX_FRAME_LENGTH,
  START_BYTE,
} from './frame.codec';
import { Gb26875Error, type Gb26875ErrorCode } from './gb26875.error';

/** Where a FrameReader delivers what it finds. Every Buffer handed over stays valid. */
export interface FrameSink {
  /** A whole frame whose framing is sound: start, length ≤ 1024, end and checksum (§6.5.3). */
  frame(bytes: Buffer): void;
  /**
   * Something that starts like a frame, with a readable header, whose framing is broken: the
   * caller should deny it (§6.5.3) and keep it in quarantine. `bytes` is evidence (the header,
   * or the whole candidate) and may overlap bytes reported again afterwards as garbage.
   */
  invalid(bytes: Buffer, error: Gb26875Error): void;
  /** Bytes skipped while looking for the next `@@`. */
  garbage(bytes: Buffer): void;
}

export interface FrameReaderStats {
  readonly frames: number;
  readonly invalid: number;
  readonly garbageBytes: number;
  /** Bytes held for a frame not yet complete; never more than one maximum frame (1054). */
  readonly buffered: number;
}

/**
 * Reassembles GB/T 26875.3 frames from a TCP byte stream: any chunking, several frames per
 * chunk, frames delimited by the length field (never by searching for `##`: the body is not
 * escaped), and resynchronisation after garbage by rescanning from the byte after a failed `@@`.
 *
 * Memory is bounded: it holds at most one incomplete frame (1054 bytes) plus a fixed work buffer,
 * whatever a peer streams. Frames lying whole inside a pushed chunk are handed over as views of
 * that chunk without copying.
 *
 * A stream can stall on a false `@@` in junk whose length field promises more bytes than will
 * come (the device waits for our confirm). The reader has no clock; its owner calls `resync()`
 * when the connection has been quiet for a while, which gives up on that candidate and rescans
 * what is buffered behind it.
 */
export class FrameReader {
  private readonly pending = Buffer.allocUnsafe(MAX_FRAME_LENGTH);
  private pendingLength = 0;
  private readonly work = Buffer.allocUnsafe(2 * MAX_FRAME_LENGTH);
  private frames = 0;
  private invalids = 0;
  private garbageBytes = 0;

  constructor(private readonly sink: FrameSink) {}

  get stats(): FrameReaderStats {
    return {
      frames: this.frames,
      invalid: this.invalids,
      garbageBytes: this.garbageBytes,
      buffered: this.pendingLength,
    };
  }

  push(data: Uint8Array): void {
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
    let off = 0;
    // Finish what is pending, by stitching it to at most one frame's worth of the new chunk.
    while (this.pendingLength > 0 && off < chunk.length) {
      const held = this.pendingLength;
      const n = Math.min(chunk.length - off, MAX_FRAME_LENGTH);
      this.pending.copy(this.work, 0, 0, held);
      chunk.copy(this.work, held, off, off + n);
      const total = held + n;
      const stop = this.scan(this.work, 0, total, false);
      if (stop >= held) {
        this.pendingLength = 0;
        off += stop - held;
      } else {
        // Still inside the old bytes: the chunk is used up (had it held a whole frame's worth,
        // the candidate at `stop` would have been decided), so what is left fits in `pending`.
        this.work.copy(this.pending, 0, stop, total);
        this.pendingLength = total - stop;
        off += n;
      }
    }
    if (this.pendingLength === 0 && off < chunk.length) {
      const stop = this.scan(chunk, off, chunk.length, true);
      chunk.copy(this.pending, 0, stop, chunk.length);
      this.pendingLength = chunk.length - stop;
    }
  }

  /**
   * Gives up on the incomplete frame being assembled: it is reported (as invalid when its header
   * is readable, else as garbage) and the bytes behind its first byte are scanned again.
   */
  resync(): void {
    if (this.pendingLength === 0) return;
    const held = Buffer.from(this.pending.subarray(0, this.pendingLength));
    this.pendingLength = 0;
    if (held.length >= HEADER_LENGTH) {
      const announced = FRAME_OVERHEAD + held.readUInt16LE(24);
      this.reject(held, 'length-mismatch', `the stream stopped after ${held.length} of ${announced} bytes`);
    } else {
      this.report(held.subarray(0, 1));
    }
    this.push(held.subarray(1));
  }

  /** End of stream: everything still held is reported; the reader is then empty. */
  end(): void {
    while (this.pendingLength > 0) this.resync();
  }

  /**
   * Scans buf[i, end) for frames and returns where an incomplete candidate starts (or `end`).
   * `stable` says whether views of `buf` may be handed out; if not, they are copied.
   */
  private scan(buf: Buffer, i: number, end: number, stable: boolean): number {
    let garbageFrom = i;
    while (i < end) {
      if (buf[i] !== START_BYTE) {
        const at = buf.indexOf(START_BYTE, i);
        if (at < 0 || at >= end) {
          i = end;
          break;
        }
        i = at;
      }
      if (i + 1 >= end) break; // a lone '@' at the end: wait for the next byte
      if (buf[i + 1] !== START_BYTE) {
        i += 1;
        continue;
      }
      if (end - i < HEADER_LENGTH) break; // wait for the length field
      const aduLength = (buf[i + 24] as number) | ((buf[i + 25] as number) << 8);
      if (aduLength > MAX_ADU_LENGTH) {
        this.flushGarbage(buf, garbageFrom, i, stable);
        this.reject(
          view(buf, i, i + HEADER_LENGTH, stable),
          'adu-too-long',
          `ADU length ${aduLength} exceeds ${MAX_ADU_LENGTH}`,
        );
        garbageFrom = ++i;
        continue;
      }
      const total = FRAME_OVERHEAD + aduLength;
      if (end - i < total) break; // wait for the rest of the frame
      if (buf[i + total - 2] !== END_BYTE || buf[i + total - 1] !== END_BYTE) {
        this.flushGarbage(buf, garbageFrom, i, stable);
        this.reject(view(buf, i, i + total, stable), 'bad-end', `no "##" where the length field puts the end`);
        garbageFrom = ++i;
        continue;
      }
      this.flushGarbage(buf, garbageFrom, i, stable);
      if (buf[i + total - 3] !== frameChecksum(buf, i, aduLength)) {
        this.reject(view(buf, i, i + total, stable), 'bad-checksum', 'checksum does not match the bytes');
      } else {
        this.frames++;
        this.sink.frame(view(buf, i, i + total, stable));
      }
      i += total;
      garbageFrom = i;
    }
    this.flushGarbage(buf, garbageFrom, i, stable);
    return i;
  }

  private flushGarbage(buf: Buffer, from: number, to: number, stable: boolean): void {
    if (to > from) this.report(view(buf, from, to, stable));
  }

  private report(bytes: Buffer): void {
    this.garbageBytes += bytes.length;
    this.sink.garbage(bytes);
  }

  private reject(bytes: Buffer, code: Gb26875ErrorCode, message: string): void {
    this.invalids++;
    this.sink.invalid(bytes, Gb26875Error.report(code, message, bytes.toString('hex')));
  }
}

function view(buf: Buffer, from: number, to: number, stable: boolean): Buffer {
  return stable ? buf.subarray(from, to) : Buffer.from(buf.subarray(from, to));
}
