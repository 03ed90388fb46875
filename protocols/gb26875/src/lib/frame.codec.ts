import { objectCodecFor } from './adu-object.codec';
import { ByteReader, ByteWriter } from './byte-cursor.util';
import { ADU_TYPES, COMMAND, COMMANDS, isKnownCommand, type CodeRef } from './code.table';
import type { Address, Adu, AduObject, Frame } from './frame.model';
import { Gb26875Error } from './gb26875.error';
import { hexToUint, parseHex, toHex } from './hex.util';
import {
  agree,
  asArray,
  asInt,
  asRecord,
  asString,
  type InputRecord,
  intField,
  invalid,
  refCode,
} from './input-field.util';
import { readTimeLabel, type TimeEncoding, writeTimeLabel, writeTimeLabelAt } from './time-label.codec';

/*
 * Frame 数据包 (GB/T 26875.3 §7, Table 1). Every integer is little-endian; there is no escaping,
 * so 0x40 and 0x23 occur inside frames and frames are delimited by the length field alone.
 *
 *   frame    = start control adu checksum end             ; 30 + L bytes
 *   start    = %x40 %x40                                  ; "@@"
 *   control  = serial(2) major(1) minor(1) time-label(6) source(6) destination(6) L(2) command(1)
 *   adu      = L bytes, L ≤ 1024, may be empty            ; §8, see adu-object.codec.ts
 *   checksum = (sum of the bytes of control and adu) mod 256   ; bytes 2 … 26+L, not a CRC, not XOR
 *   end      = %x23 %x23                                  ; "##"
 */
export const FRAME_OVERHEAD = 30;
export const MAX_ADU_LENGTH = 1024;
export const MAX_FRAME_LENGTH = FRAME_OVERHEAD + MAX_ADU_LENGTH;
/** Bytes needed to read the header up to and including the ADU length field. */
export const HEADER_LENGTH = 26;
export const START_BYTE = 0x40;
export const END_BYTE = 0x23;
const OFF_SERIAL = 2;
const OFF_TIME = 6;
const OFF_SOURCE = 12;
const OFF_DESTINATION = 18;
const OFF_LENGTH = 24;
const OFF_COMMAND = 26;
const OFF_ADU = 27;

export interface DecodeOptions {
  /** How the device writes time labels; default 'binary' as the standard says. */
  readonly timeEncoding?: TimeEncoding;
}

export type EncodeOptions = DecodeOptions;

export type DecodeResult<T = Frame> =
  { readonly ok: true; readonly frame: T } | { readonly ok: false; readonly error: Gb26875Error };

/** The checksum of the frame at `start` whose ADU is `aduLength` bytes long. */
export function frameChecksum(buf: Uint8Array, start: number, aduLength: number): number {
  let sum = 0;
  const end = start + OFF_ADU + aduLength;
  for (let i = start + OFF_SERIAL; i < end; i++) sum += buf[i] as number;
  return sum & 0xff;
}

function fail<T>(code: Gb26875Error['code'], message: string, bytes: Uint8Array, offset?: number): DecodeResult<T> {
  return { ok: false, error: Gb26875Error.report(code, message, toHex(bytes), offset) };
}

/**
 * The framing checks of §6.5.3 on exactly one frame: start and end characters, the length
 * limit, the length matching the bytes, the checksum. Null when the framing is sound.
 */
export function checkFraming(bytes: Uint8Array): Gb26875Error | null {
  const r = framing(bytes);
  return r.ok ? null : r.error;
}

function framing(bytes: Uint8Array): DecodeResult<number> {
  const n = bytes.length;
  if (n < FRAME_OVERHEAD) {
    return fail('frame-too-short', `${n} byte(s); the shortest frame has ${FRAME_OVERHEAD}`, bytes);
  }
  if (bytes[0] !== START_BYTE || bytes[1] !== START_BYTE) {
    return fail('bad-start', `starts with ${toHex(bytes, 0, 2)}, not 4040 ("@@")`, bytes, 0);
  }
  const aduLength = (bytes[OFF_LENGTH] as number) | ((bytes[OFF_LENGTH + 1] as number) << 8);
  if (aduLength > MAX_ADU_LENGTH) {
    return fail('adu-too-long', `ADU length ${aduLength} exceeds ${MAX_ADU_LENGTH}`, bytes, OFF_LENGTH);
  }
  if (n !== FRAME_OVERHEAD + aduLength) {
    return fail(
      'length-mismatch',
      `ADU length ${aduLength} means a ${FRAME_OVERHEAD + aduLength}-byte frame; got ${n} bytes`,
      bytes,
      OFF_LENGTH,
    );
  }
  if (bytes[n - 2] !== END_BYTE || bytes[n - 1] !== END_BYTE) {
    return fail('bad-end', `ends with ${toHex(bytes, n - 2, n)}, not 2323 ("##")`, bytes, n - 2);
  }
  const expected = frameChecksum(bytes, 0, aduLength);
  if (bytes[n - 3] !== expected) {
    const got = (bytes[n - 3] as number).toString(16).padStart(2, '0');
    return fail(
      'bad-checksum',
      `checksum is 0x${got}, the bytes sum to 0x${expected.toString(16).padStart(2, '0')}`,
      bytes,
      n - 3,
    );
  }
  return { ok: true, frame: aduLength };
}

function readAddress(b: Uint8Array, p: number): Address {
  const low32 =
    ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)) >>>
    0;
  const high16 = (b[p + 4] as number) | ((b[p + 5] as number) << 8);
  return { hex: toHex(b, p, p + 6), value: String(high16 * 0x1_0000_0000 + low32) };
}

/** What can be read of a frame's control unit, for denying a frame whose body is bad. */
export interface FrameHeader {
  readonly serial: number;
  readonly version: { readonly major: number; readonly minor: number };
  readonly sentAt: string;
  readonly source: Address;
  readonly destination: Address;
  readonly aduLength: number;
  /** Undefined when the bytes stop before the command byte. */
  readonly command?: CodeRef;
}

/**
 * Reads the header of something that starts like a frame (`@@` and at least 26 bytes), however
 * broken the rest is: the serial and addresses are what a deny needs (§6.3). Null otherwise.
 */
export function readFrameHeader(bytes: Uint8Array, options: DecodeOptions = {}): FrameHeader | null {
  if (bytes.length < HEADER_LENGTH || bytes[0] !== START_BYTE || bytes[1] !== START_BYTE) return null;
  const r = new ByteReader(bytes, OFF_SERIAL, bytes.length);
  const serial = r.u16le();
  const version = { major: r.u8(), minor: r.u8() };
  const sentAt = readTimeLabel(r, options.timeEncoding ?? 'binary');
  const header = {
    serial,
    version,
    sentAt,
    source: readAddress(bytes, OFF_SOURCE),
    destination: readAddress(bytes, OFF_DESTINATION),
    aduLength: (bytes[OFF_LENGTH] as number) | ((bytes[OFF_LENGTH + 1] as number) << 8),
  };
  const command = bytes[OFF_COMMAND];
  return command === undefined ? header : { ...header, command: COMMANDS.byCode[command] as CodeRef };
}

/**
 * Decodes one whole frame. Never throws for any input bytes: a frame that breaks the standard
 * comes back as `{ ok: false, error }` with a code from the closed set and the frame's hex.
 */
export function decodeFrame(bytes: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  const f = framing(bytes);
  if (!f.ok) return f;
  const aduLength = f.frame;
  const command = bytes[OFF_COMMAND] as number;
  if (!isKnownCommand(command)) {
    return fail('unknown-command', `command byte ${command} is reserved (GB/T 26875.3 Table 2)`, bytes, OFF_COMMAND);
  }
  const enc = options.timeEncoding ?? 'binary';
  let adu: Adu | null = null;
  if (aduLength > 0) {
    const a = readAdu(bytes, OFF_ADU, OFF_ADU + aduLength, enc, command < 128);
    if (!a.ok) {
      const offset = a.error.offset === undefined ? undefined : OFF_ADU + a.error.offset; // ADU → frame offset
      return { ok: false, error: Gb26875Error.report(a.error.code, a.error.message, toHex(bytes), offset) };
    }
    adu = a.frame;
  }
  const r = new ByteReader(bytes, OFF_TIME, OFF_SOURCE);
  return {
    ok: true,
    frame: {
      serial: (bytes[OFF_SERIAL] as number) | ((bytes[OFF_SERIAL + 1] as number) << 8),
      version: { major: bytes[4] as number, minor: bytes[5] as number },
      sentAt: readTimeLabel(r, enc),
      source: readAddress(bytes, OFF_SOURCE),
      destination: readAddress(bytes, OFF_DESTINATION),
      command: COMMANDS.byCode[command] as CodeRef,
      adu,
    },
  };
}

/**
 * Decodes an ADU on its own (type flag, count, objects). Never throws. Offsets in its errors
 * count from the ADU's first byte; `decodeFrame`'s count from the frame's.
 */
export function decodeAdu(adu: Uint8Array, options: DecodeOptions = {}): DecodeResult<Adu> {
  const r = readAdu(adu, 0, adu.length, options.timeEncoding ?? 'binary', true);
  return r.ok
    ? r
    : { ok: false, error: Gb26875Error.report(r.error.code, r.error.message, toHex(adu), r.error.offset) };
}

/*
 * Application data unit 应用数据单元 (§8, Fig. 5):
 *   adu    = type(1) count(1) object{count}
 *   object = body [time-label(6)]      ; body size per type flag, see the registry
 *
 * Reserved and user-defined type flags, and the ADU of a user-defined command, are opaque: they
 * come back as raw bytes with no objects and never fail. Objects of a timed type are accepted
 * without their time labels when the length says so exactly (some devices omit them; notes §7.9).
 */
function readAdu(buf: Uint8Array, start: number, end: number, enc: TimeEncoding, parse: boolean): DecodeResult<Adu> {
  if (end <= start) return failAt('truncated-object', 'the ADU is empty: no type flag', 0);
  const typeCode = buf[start] as number;
  const type = ADU_TYPES.byCode[typeCode] as CodeRef;
  const raw = toHex(buf, start, end);
  const codec = parse ? objectCodecFor(typeCode) : undefined;
  if (codec === undefined) return { ok: true, frame: { type, objects: [], raw } };
  const length = end - start;
  const at = (offset: number) => offset - start;
  if (length < 2) {
    return failAt('truncated-object', `type ${typeCode} (${type.name}) has no object count`, at(end));
  }
  const count = buf[start + 1] as number;
  let timed = codec.timed;
  if (codec.bodySize !== null) {
    const body = codec.bodySize;
    const full = body + (timed ? 6 : 0);
    const available = length - 2;
    if (available !== count * full) {
      if (timed && count > 0 && available === count * body) {
        timed = false;
      } else if (available < count * full) {
        return failAt(
          'truncated-object',
          `type ${typeCode} (${type.name}) announces ${count} object(s) of ${full} bytes; only ${available} byte(s) follow`,
          at(end),
        );
      } else {
        return failAt(
          'trailing-bytes',
          `type ${typeCode} (${type.name}): ${available - count * full} byte(s) after ${count} object(s) of ${full} bytes`,
          at(start + 2 + count * full),
        );
      }
    }
  }
  const r = new ByteReader(buf, start + 2, end);
  const objects: AduObject[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const o = codec.read(r, enc) as AduObject & { occurredAt?: string };
      if (timed) {
        r.need(6, 'time label');
        o.occurredAt = readTimeLabel(r, enc);
      }
      objects.push(o);
    }
  } catch (e) {
    if (e instanceof Gb26875Error) return failAt(e.code, e.message, at(e.offset ?? r.pos));
    throw e;
  }
  if (r.remaining > 0) {
    return failAt(
      'trailing-bytes',
      `type ${typeCode} (${type.name}): ${r.remaining} byte(s) after ${count} object(s)`,
      at(r.pos),
    );
  }
  return { ok: true, frame: { type, objects, raw } };
}

function failAt<T>(code: Gb26875Error['code'], message: string, offset: number): DecodeResult<T> {
  return { ok: false, error: Gb26875Error.report(code, message, '', offset) };
}

// -------------------------------------------------------------------------------------------------
// Encoding

/**
 * The input `encodeFrame` accepts: the decoded JSON, or a hand-written subset of it. References
 * (command, types) may be `{ code }`, `{ name }`, a bare code or a bare name; addresses
 * `{ hex }` or `{ value }`. Where several forms are given they must agree.
 */
export type FrameInput = Frame | Readonly<Record<string, unknown>>;

const scratchBuffer = Buffer.allocUnsafe(MAX_ADU_LENGTH);
const scratch = new ByteWriter(scratchBuffer);

/** A decimal string of at most 15 digits as a number; NaN for anything else. */
function decimalOf(s: string): number {
  if (s.length === 0 || s.length > 15) return NaN;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

function writeAddress(frame: Buffer, offset: number, value: unknown, path: string): void {
  const a = typeof value === 'string' || typeof value === 'number' ? { value } : asRecord(value, path);
  const fromHex = a['hex'] === undefined ? undefined : hexToUint(a['hex'], 6, `${path}.hex`);
  const v = a['value'];
  const fromValue =
    v === undefined ? undefined : asInt(typeof v === 'string' ? decimalOf(v) : v, `${path}.value`, 0, 0xffff_ffff_ffff);
  frame.writeUIntLE(agree<number>(path, 'value', fromValue, 'hex', fromHex), offset, 6);
}

/** Writes the ADU into `w`. Objects of a known type are encoded; otherwise `raw` is used as given. */
function writeAdu(w: ByteWriter, input: InputRecord, command: number, enc: TimeEncoding): void {
  const typeCode = refCode(ADU_TYPES, input['type'], 'adu.type');
  const codec = command < 128 ? objectCodecFor(typeCode) : undefined;
  if (codec !== undefined && input['objects'] !== undefined) {
    const objects = asArray(input['objects'], 'adu.objects');
    if (objects.length > 255) throw invalid('adu.objects', 'at most 255 objects', `${objects.length} objects`);
    // Timed types carry a time label on every object, or (as some devices send them) on none.
    // A peek only: the loop below validates each object and names its index when it is not one.
    const timed = codec.timed && objects.some((o) => (o as InputRecord | null)?.['occurredAt'] !== undefined);
    w.u8(typeCode);
    w.u8(objects.length);
    for (let i = 0; i < objects.length; i++) {
      const path = `adu.objects[${i}]`;
      const o = asRecord(objects[i], path);
      codec.write(w, o, path, enc);
      if (timed) writeTimeLabel(w, o['occurredAt'], `${path}.occurredAt`, enc);
      else if (o['occurredAt'] !== undefined)
        throw invalid(`${path}.occurredAt`, 'nothing (type has no time label)', o['occurredAt']);
    }
    return;
  }
  if (input['raw'] === undefined) {
    throw new Gb26875Error(
      'invalid-value',
      codec === undefined
        ? `adu.raw: type ${typeCode} has no object layout; give its bytes as raw hex`
        : 'adu: needs objects or raw',
    );
  }
  const raw = parseHex(asString(input['raw'], 'adu.raw'), 'adu.raw');
  if (raw[0] !== typeCode) throw invalid('adu.raw', `bytes starting with the type flag ${typeCode}`, input['raw']);
  w.bytes(raw);
}

/**
 * Builds a frame from the decoded JSON shape (possibly untrusted). Throws a Gb26875Error with
 * code `invalid-value` naming the field, or `adu-too-long`, when the input cannot be encoded.
 */
export function encodeFrame(input: FrameInput, options: EncodeOptions = {}): Buffer {
  const f = asRecord(input, 'frame');
  const enc = options.timeEncoding ?? 'binary';
  const command = refCode(COMMANDS, f['command'], 'command');
  if (!isKnownCommand(command)) throw invalid('command', 'a command 1–6 or 128–255', f['command']);
  scratch.reset();
  if (f['adu'] !== undefined && f['adu'] !== null) writeAdu(scratch, asRecord(f['adu'], 'adu'), command, enc);
  const aduLength = scratch.pos;
  const frame = Buffer.allocUnsafe(FRAME_OVERHEAD + aduLength);
  frame[0] = START_BYTE;
  frame[1] = START_BYTE;
  frame.writeUInt16LE(intField(f, 'serial', 'frame', 0, 0xffff), OFF_SERIAL);
  const version = f['version'] === undefined ? { major: 1, minor: 1 } : asRecord(f['version'], 'version');
  frame[4] = intField(version, 'major', 'version', 0, 255);
  frame[5] = intField(version, 'minor', 'version', 0, 255);
  writeTimeLabelAt(frame, OFF_TIME, f['sentAt'], 'sentAt', enc);
  writeAddress(frame, OFF_SOURCE, f['source'], 'source');
  writeAddress(frame, OFF_DESTINATION, f['destination'], 'destination');
  frame.writeUInt16LE(aduLength, OFF_LENGTH);
  frame[OFF_COMMAND] = command;
  scratchBuffer.copy(frame, OFF_ADU, 0, aduLength);
  frame[OFF_ADU + aduLength] = frameChecksum(frame, 0, aduLength);
  frame[OFF_ADU + aduLength + 1] = END_BYTE;
  frame[OFF_ADU + aduLength + 2] = END_BYTE;
  return frame;
}

/** Encodes an ADU on its own (what `decodeAdu` reads). */
export function encodeAdu(input: Adu | Readonly<Record<string, unknown>>, options: EncodeOptions = {}): Buffer {
  scratch.reset();
  writeAdu(scratch, asRecord(input, 'adu'), COMMAND.SEND_DATA, options.timeEncoding ?? 'binary');
  return Buffer.from(scratchBuffer.subarray(0, scratch.pos));
}

/**
 * The reply to a received frame (§6.2, §6.3): confirm (command 3) or deny (command 6), empty
 * ADU, the serial number and protocol version echoed, source and destination swapped, and the
 * replier's own time label. `received` needs only a readable header (26 bytes starting `@@`),
 * so a frame with a broken body can still be denied.
 */
export function buildReply(
  received: Uint8Array,
  command: typeof COMMAND.CONFIRM | typeof COMMAND.DENY,
  sentAt: string,
): Buffer {
  if (received.length < HEADER_LENGTH || received[0] !== START_BYTE || received[1] !== START_BYTE) {
    throw new Gb26875Error('frame-too-short', 'no readable frame header to reply to', toHex(received));
  }
  const out = Buffer.allocUnsafe(FRAME_OVERHEAD);
  out[0] = START_BYTE;
  out[1] = START_BYTE;
  out.set(received.subarray(OFF_SERIAL, OFF_TIME), OFF_SERIAL); // serial and version echoed
  writeTimeLabelAt(out, OFF_TIME, sentAt, 'sentAt', 'binary');
  out.set(received.subarray(OFF_DESTINATION, OFF_LENGTH), OFF_SOURCE);
  out.set(received.subarray(OFF_SOURCE, OFF_DESTINATION), OFF_DESTINATION);
  out[OFF_LENGTH] = 0;
  out[OFF_LENGTH + 1] = 0;
  out[OFF_COMMAND] = command;
  out[OFF_ADU] = frameChecksum(out, 0, 0);
  out[OFF_ADU + 1] = END_BYTE;
  out[OFF_ADU + 2] = END_BYTE;
  return out;
}

export function buildConfirm(received: Uint8Array, sentAt: string): Buffer {
  return buildReply(received, COMMAND.CONFIRM, sentAt);
}

export function buildDeny(received: Uint8Array, sentAt: string): Buffer {
  return buildReply(received, COMMAND.DENY, sentAt);
}
