/**
 * The closed set of reasons a GB/T 26875.3 frame or value is rejected.
 *
 * GB/T 26875.3 §6.5.3 names the check errors that must lead to a deny or a discard: a wrong
 * checksum, an unrecognised command byte, an ADU length over the limit, a wrong start or end
 * character. The other codes cover what a length-delimited reader and an exact object decoder
 * meet besides (a frame cut short, an object cut short, bytes left over) and what the encoder
 * refuses to build.
 */
export const GB26875_ERROR_CODES = [
  /** Fewer than the 30 bytes of the shortest frame. */
  'frame-too-short',
  /** Bytes 0–1 are not `@@` (0x40 0x40). */
  'bad-start',
  /** The two bytes after the checksum are not `##` (0x23 0x23). */
  'bad-end',
  /** The checksum byte is not the low 8 bits of the sum of bytes 2 … 26+L. */
  'bad-checksum',
  /** The buffer holds more or fewer bytes than the 30 + L the length field announces. */
  'length-mismatch',
  /** The ADU length field exceeds 1024. */
  'adu-too-long',
  /** The command byte is reserved (0, 7–127). */
  'unknown-command',
  /** The ADU ends inside an object (or before its count byte). */
  'truncated-object',
  /** Bytes remain in the ADU after the announced number of objects. */
  'trailing-bytes',
  /** The encoder was given a value it cannot put on the wire (out of range, malformed). */
  'invalid-value',
] as const;

export type Gb26875ErrorCode = (typeof GB26875_ERROR_CODES)[number];

export class Gb26875Error extends Error {
  override readonly name = 'Gb26875Error';

  constructor(
    readonly code: Gb26875ErrorCode,
    message: string,
    /** The offending frame (or what was read of it) as lowercase hex; '' when there is none. */
    readonly hex = '',
    /** The byte offset within the frame where the problem was found, when known. */
    readonly offset?: number,
  ) {
    super(message);
  }

  /**
   * An error to return, not throw (decode results, reader reports): built without a stack trace,
   * which would only point into the codec and costs about a microsecond for every bad frame a
   * peer streaming junk can send.
   */
  static report(code: Gb26875ErrorCode, message: string, hex = '', offset?: number): Gb26875Error {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new Gb26875Error(code, message, hex, offset);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  toJSON(): { code: Gb26875ErrorCode; message: string; hex: string; offset?: number } {
    return this.offset === undefined
      ? { code: this.code, message: this.message, hex: this.hex }
      : { code: this.code, message: this.message, hex: this.hex, offset: this.offset };
  }
}

export function isGb26875Error(value: unknown): value is Gb26875Error {
  return value instanceof Gb26875Error;
}
