import type { ByteReader, ByteWriter } from './byte-cursor.util';
import {
  bitsOf,
  type BitTable,
  COMPONENT_STATE_BITS,
  flagsOf,
  namedMask,
  SYSTEM_OPERATION_BITS,
  SYSTEM_STATE_BITS,
  UITD_OPERATION_BITS,
  UITD_STATE_BITS,
} from './bit.table';
import { ANALOG_TYPES, type CodeRef, COMPONENT_TYPES, SYSTEM_TYPES } from './code.table';
import type { AduObject, ComponentAddress, KnownAduType, SoftwareVersion, StateBits } from './frame.model';
import { Gb26875Error } from './gb26875.error';
import { BoundedCache, decodeDescription, encodeGb18030 } from './gb18030.util';
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
import { readTimeLabel, type TimeEncoding, writeTimeLabel } from './time-label.codec';

/**
 * One entry of the ADU type registry: how the objects of one type flag look on the wire.
 * Fixed-size objects let the decoder check the whole ADU length before reading a byte
 * (never `(L-2)/n`, notes §7.8); length-prefixed ones (types 6 and 26) are read with bounds checks.
 */
export interface ObjectCodec {
  /** Size of one object without its time label; null for length-prefixed objects. */
  readonly bodySize: number | null;
  /** Whether a 6-byte time label follows each object (§8.1 Fig. 5: types 1, 2, 3, 4, 21, 24). */
  readonly timed: boolean;
  /** Reads one object's body; the caller reads the time label. */
  read(r: ByteReader, enc: TimeEncoding): AduObject;
  /** Writes one object's body from possibly untrusted input; the caller writes the time label. */
  write(w: ByteWriter, o: InputRecord, path: string, enc: TimeEncoding): void;
}

/** Width of the fixed description fields of types 2 and 7 (§8.2.1.2, §8.2.1.7). */
export const DESCRIPTION_SIZE = 31;
/** Pad byte for descriptions the encoder builds from text (devices use 0x00 or 0x20). */
const DESCRIPTION_PAD = 0x00;

// ---------------------------------------------------------------------------------------------
// Field readers and writers shared by the object layouts.

function readComponentAddress(r: ByteReader): ComponentAddress {
  const p = r.pos;
  const b = r.buf;
  const low16 = (b[p] as number) | ((b[p + 1] as number) << 8);
  const high16 = (b[p + 2] as number) | ((b[p + 3] as number) << 8);
  r.pos = p + 4;
  return { hex: toHex(b, p, p + 4), value: low16 + high16 * 0x10000, low16, high16 };
}

function writeComponentAddress(w: ByteWriter, value: unknown, path: string): void {
  const a = asRecord(value, path);
  const hex = a['hex'] === undefined ? undefined : hexToUint(a['hex'], 4, `${path}.hex`);
  const halves =
    a['low16'] === undefined && a['high16'] === undefined
      ? undefined
      : intField(a, 'low16', path, 0, 0xffff) + intField(a, 'high16', path, 0, 0xffff) * 0x10000;
  const v = agree<number>(
    path,
    'value',
    a['value'] === undefined ? undefined : asInt(a['value'], `${path}.value`, 0, 0xffffffff),
    'hex',
    hex,
    'low16/high16',
    halves,
  );
  w.u32le(v);
}

// Readers build each object in one literal: on Node 20 a spread of partial objects costs µs per object.
function readSystemType(r: ByteReader): CodeRef {
  return SYSTEM_TYPES.byCode[r.u8()] as CodeRef;
}

function readComponentType(r: ByteReader): CodeRef {
  return COMPONENT_TYPES.byCode[r.u8()] as CodeRef;
}

function writeSystem(w: ByteWriter, o: InputRecord, path: string): void {
  w.u8(refCode(SYSTEM_TYPES, o['systemType'], `${path}.systemType`));
  w.u8(intField(o, 'systemAddress', path, 0, 255));
}

function readState(r: ByteReader, table: BitTable, size: 1 | 2): StateBits {
  const raw = size === 2 ? r.u16le() : r.u8();
  return { raw, flags: flagsOf(table, raw) };
}

/**
 * A bit word given as `raw`, as `flags`, or both (then the named bits must agree; reserved bits
 * can only be given in `raw`).
 */
function bitWord(table: BitTable, raw: unknown, flags: unknown, path: string, rawPath: string, max: number): number {
  const fromFlags = flags === undefined ? undefined : bitsOf(table, asArray(flags, path));
  if (typeof fromFlags === 'object') throw invalid(path, `flag names among ${table.join(', ')}`, fromFlags.unknown);
  const r = raw === undefined ? undefined : asInt(raw, rawPath, 0, max);
  if (r !== undefined && fromFlags !== undefined && (r & namedMask(table)) !== fromFlags) {
    throw new Gb26875Error('invalid-value', `${path}: flags do not match ${rawPath} ${r}`);
  }
  return agree<number>(path, rawPath, r, 'flags', r === undefined ? fromFlags : undefined);
}

function writeState(w: ByteWriter, value: unknown, table: BitTable, size: 1 | 2, path: string): void {
  const s = asRecord(value, path);
  const raw = bitWord(table, s['raw'], s['flags'], `${path}.flags`, `${path}.raw`, size === 2 ? 0xffff : 0xff);
  if (size === 2) w.u16le(raw);
  else w.u8(raw);
}

function writeOperations(w: ByteWriter, o: InputRecord, table: BitTable, path: string): void {
  w.u8(bitWord(table, o['operationsRaw'], o['operations'], `${path}.operations`, `${path}.operationsRaw`, 0xff));
}

function readVersion(r: ByteReader): SoftwareVersion {
  return { major: r.u8(), minor: r.u8() };
}

function writeVersion(w: ByteWriter, value: unknown, path: string): void {
  const v = asRecord(value, path);
  w.u8(intField(v, 'major', path, 0, 255));
  w.u8(intField(v, 'minor', path, 0, 255));
}

interface DescriptionTarget {
  description: string;
  descriptionRaw: string;
}

function readFixedDescription(r: ByteReader, o: DescriptionTarget): void {
  const start = r.pos;
  const bytes = r.bytes(DESCRIPTION_SIZE);
  o.description = decodeDescription(bytes);
  o.descriptionRaw = toHex(r.buf, start, start + DESCRIPTION_SIZE);
}

/**
 * The bytes of a description given as `description` (text), `descriptionRaw` (hex), or both.
 * With both, the raw bytes are kept only if they decode to that text; so a decoded frame
 * re-encodes byte for byte, and an edited description is never silently replaced.
 */
function descriptionBytes(o: InputRecord, path: string, maxSize: number): Buffer {
  const text = o['description'] === undefined ? undefined : asString(o['description'], `${path}.description`);
  if (o['descriptionRaw'] !== undefined) {
    const hex = asString(o['descriptionRaw'], `${path}.descriptionRaw`);
    const raw = rawDescriptions.get(hex) ?? rawDescription(hex, `${path}.descriptionRaw`);
    if (raw.bytes.length > maxSize) throw invalid(`${path}.descriptionRaw`, `at most ${maxSize} bytes`, hex);
    if (text === undefined || raw.text === text) return raw.bytes;
  }
  if (text === undefined) throw new Gb26875Error('invalid-value', `${path}: needs description or descriptionRaw`);
  const { bytes, survives } = textDescriptions.get(text) ?? textDescription(text);
  // What the wire cannot carry back unchanged is refused, not silently altered: edge spaces and
  // NULs (trimmed on decode), characters GB18030 lacks (lone surrogates), iconv's one asymmetric
  // code point (U+E5E5).
  if (!survives) {
    throw invalid(
      `${path}.description`,
      'text that decodes back unchanged (no edge spaces, NULs or unencodable characters)',
      text,
    );
  }
  if (bytes.length > maxSize) {
    throw new Gb26875Error(
      'invalid-value',
      `${path}.description: ${bytes.length} bytes in GB18030, the field holds ${maxSize}`,
    );
  }
  return bytes;
}

/** Description text → its GB18030 bytes and whether they decode back to it (shared: never modified). */
const textDescriptions = new BoundedCache<string, { bytes: Buffer; survives: boolean }>(4096);

function textDescription(text: string): { bytes: Buffer; survives: boolean } {
  const bytes = encodeGb18030(text);
  return textDescriptions.set(text, { bytes, survives: decodeDescription(bytes) === text });
}

/** Raw description hex → its bytes and decoded text (shared: never modified). */
const rawDescriptions = new BoundedCache<string, { bytes: Buffer; text: string }>(4096);

function rawDescription(hex: string, path: string): { bytes: Buffer; text: string } {
  const bytes = parseHex(hex, path);
  return rawDescriptions.set(hex, { bytes, text: decodeDescription(bytes) });
}

function writeFixedDescription(w: ByteWriter, o: InputRecord, path: string): void {
  w.padded(descriptionBytes(o, path, DESCRIPTION_SIZE), DESCRIPTION_SIZE, DESCRIPTION_PAD);
}

function readPrefixedDescription(r: ByteReader, o: DescriptionTarget): void {
  r.need(1, 'description length');
  const len = r.u8();
  r.need(len, 'description');
  const start = r.pos;
  o.description = decodeDescription(r.bytes(len));
  o.descriptionRaw = toHex(r.buf, start, start + len);
}

function writePrefixedDescription(w: ByteWriter, o: InputRecord, path: string): void {
  const bytes = descriptionBytes(o, path, 255);
  w.u8(bytes.length);
  w.bytes(bytes);
}

function writeComponent(w: ByteWriter, o: InputRecord, path: string): void {
  writeSystem(w, o, path);
  w.u8(refCode(COMPONENT_TYPES, o['componentType'], `${path}.componentType`));
  writeComponentAddress(w, o['componentAddress'], `${path}.componentAddress`);
}

function analogValue(raw: number, decimals: number | null): number | null {
  return decimals === null ? null : decimals === 0 ? raw : raw / 10 ** decimals;
}

// ---------------------------------------------------------------------------------------------
// Upload objects (UITD → centre), GB/T 26875.3 §8.3.1 (object bodies in §8.2.1). "+time" = a 6-byte time label follows.

/*
 * Type 1, BFF system state (§8.3.1.1; body §8.2.1.1, Fig. 6):
 *   object = sysType(1) sysAddr(1) sysState(2, LE) +time          ; 10 bytes, n ≤ 102
 */
const systemState: ObjectCodec = {
  bodySize: 4,
  timed: true,
  read: (r) => ({ systemType: readSystemType(r), systemAddress: r.u8(), state: readState(r, SYSTEM_STATE_BITS, 2) }),
  write(w, o, path) {
    writeSystem(w, o, path);
    writeState(w, o['state'], SYSTEM_STATE_BITS, 2, `${path}.state`);
  },
};

/*
 * Type 2, BFF component running state (§8.3.1.2; body §8.2.1.2, Fig. 7):
 *   object = sysType(1) sysAddr(1) compType(1) compAddr(4, LE) compState(2, LE)
 *            compDesc(31, GB18030) +time                             ; 46 bytes, n ≤ 22
 */
const componentState: ObjectCodec = {
  bodySize: 40,
  timed: true,
  read(r) {
    const o = {
      systemType: readSystemType(r),
      systemAddress: r.u8(),
      componentType: readComponentType(r),
      componentAddress: readComponentAddress(r),
      state: readState(r, COMPONENT_STATE_BITS, 2),
      description: '',
      descriptionRaw: '',
    };
    readFixedDescription(r, o);
    return o;
  },
  write(w, o, path) {
    writeComponent(w, o, path);
    writeState(w, o['state'], COMPONENT_STATE_BITS, 2, `${path}.state`);
    writeFixedDescription(w, o, path);
  },
};

/*
 * Type 3, BFF component analog value (§8.3.1.3; body §8.2.1.3, Table 6):
 *   object = sysType(1) sysAddr(1) compType(1) compAddr(4, LE) analogType(1)
 *            analogValue(2, int16 LE) +sample time                   ; 16 bytes, n ≤ 63
 *   engineering value = analogValue × resolution of analogType
 */
const componentAnalog: ObjectCodec = {
  bodySize: 10,
  timed: true,
  read(r) {
    const systemType = readSystemType(r);
    const systemAddress = r.u8();
    const componentType = readComponentType(r);
    const componentAddress = readComponentAddress(r);
    const analogType = ANALOG_TYPES.byCode[r.u8()] as (typeof ANALOG_TYPES.byCode)[number];
    const rawValue = r.i16le();
    return {
      systemType,
      systemAddress,
      componentType,
      componentAddress,
      analogType,
      rawValue,
      value: analogValue(rawValue, analogType.decimals),
    };
  },
  write(w, o, path) {
    writeComponent(w, o, path);
    const typeCode = refCode(ANALOG_TYPES, o['analogType'], `${path}.analogType`);
    w.u8(typeCode);
    const decimals = ANALOG_TYPES.byCode[typeCode]?.decimals ?? null;
    const given = o['rawValue'] === undefined ? undefined : asInt(o['rawValue'], `${path}.rawValue`, -32768, 32767);
    let fromValue: number | undefined;
    if (o['value'] !== undefined && o['value'] !== null) {
      if (typeof o['value'] !== 'number' || decimals === null) {
        throw invalid(
          `${path}.value`,
          decimals === null ? 'null (this analog type has no known scale)' : 'a number',
          o['value'],
        );
      }
      fromValue = Math.round(o['value'] * 10 ** decimals);
      if (analogValue(fromValue, decimals) !== o['value'] || fromValue < -32768 || fromValue > 32767) {
        throw invalid(`${path}.value`, `a multiple of ${10 ** -decimals} that fits int16 raw`, o['value']);
      }
    }
    w.u16le(agree<number>(path, 'rawValue', given, 'value', fromValue) & 0xffff);
  },
};

/*
 * Type 4, BFF operation information (§8.3.1.4; body §8.2.1.4, Fig. 9):
 *   object = sysType(1) sysAddr(1) opFlags(1) operatorNo(1) +time   ; 10 bytes, n ≤ 102
 */
const systemOperation: ObjectCodec = {
  bodySize: 4,
  timed: true,
  read(r) {
    const systemType = readSystemType(r);
    const systemAddress = r.u8();
    const raw = r.u8();
    return {
      systemType,
      systemAddress,
      operations: flagsOf(SYSTEM_OPERATION_BITS, raw),
      operationsRaw: raw,
      operator: r.u8(),
    };
  },
  write(w, o, path) {
    writeSystem(w, o, path);
    writeOperations(w, o, SYSTEM_OPERATION_BITS, path);
    w.u8(intField(o, 'operator', path, 0, 255));
  },
};

/*
 * Type 5, BFF software version (§8.3.1.5; body §8.2.1.5):
 *   object = sysType(1) sysAddr(1) major(1) minor(1)                ; 4 bytes, no time
 */
const systemSoftwareVersion: ObjectCodec = {
  bodySize: 4,
  timed: false,
  read: (r) => ({ systemType: readSystemType(r), systemAddress: r.u8(), softwareVersion: readVersion(r) }),
  write(w, o, path) {
    writeSystem(w, o, path);
    writeVersion(w, o['softwareVersion'], `${path}.softwareVersion`);
  },
};

/*
 * Type 6, BFF system configuration (§8.3.1.6; body §8.2.1.6, which Fig. 23 wrongly calls §8.2.1.4):
 *   object = sysType(1) sysAddr(1) descLen(1) desc(descLen, GB18030) ; 3 + descLen bytes, n ≤ 3
 */
const systemConfig: ObjectCodec = {
  bodySize: null,
  timed: false,
  read(r) {
    r.need(2, 'system');
    const o = { systemType: readSystemType(r), systemAddress: r.u8(), description: '', descriptionRaw: '' };
    readPrefixedDescription(r, o);
    return o;
  },
  write(w, o, path) {
    writeSystem(w, o, path);
    writePrefixedDescription(w, o, path);
  },
};

/*
 * Type 7, BFF component configuration (§8.3.1.7; body §8.2.1.7):
 *   object = sysType(1) sysAddr(1) compType(1) compAddr(4, LE) compDesc(31, GB18030)
 *                                                                   ; 38 bytes, no time, n ≤ 26
 */
const componentConfig: ObjectCodec = {
  bodySize: 38,
  timed: false,
  read(r) {
    const o = {
      systemType: readSystemType(r),
      systemAddress: r.u8(),
      componentType: readComponentType(r),
      componentAddress: readComponentAddress(r),
      description: '',
      descriptionRaw: '',
    };
    readFixedDescription(r, o);
    return o;
  },
  write(w, o, path) {
    writeComponent(w, o, path);
    writeFixedDescription(w, o, path);
  },
};

/*
 * Type 8, BFF system time (§8.3.1.8; time label §8.2.2):
 *   object = sysType(1) sysAddr(1) time-label(6)                    ; 8 bytes, n = 1
 */
const systemTime: ObjectCodec = {
  bodySize: 8,
  timed: false,
  read: (r, enc) => ({ systemType: readSystemType(r), systemAddress: r.u8(), systemTime: readTimeLabel(r, enc) }),
  write(w, o, path, enc) {
    writeSystem(w, o, path);
    writeTimeLabel(w, o['systemTime'], `${path}.systemTime`, enc);
  },
};

/*
 * Type 21, UITD running state (§8.3.1.9; body §8.2.1.8, Fig. 13):
 *   object = uitdState(1) +time                                     ; 7 bytes, n = 1
 */
const uitdState: ObjectCodec = {
  bodySize: 1,
  timed: true,
  read: (r) => ({ state: readState(r, UITD_STATE_BITS, 1) }),
  write: (w, o, path) => writeState(w, o['state'], UITD_STATE_BITS, 1, `${path}.state`),
};

/*
 * Type 24, UITD operation information (§8.3.1.10; body §8.2.1.9, Fig. 14):
 *   object = opFlags(1) operatorNo(1) +time                         ; 8 bytes, n ≤ 127
 */
const uitdOperation: ObjectCodec = {
  bodySize: 2,
  timed: true,
  read(r) {
    const raw = r.u8();
    return { operations: flagsOf(UITD_OPERATION_BITS, raw), operationsRaw: raw, operator: r.u8() };
  },
  write(w, o, path) {
    writeOperations(w, o, UITD_OPERATION_BITS, path);
    w.u8(intField(o, 'operator', path, 0, 255));
  },
};

/*
 * Type 25, UITD software version (§8.3.1.11; body §8.2.1.10):
 *   object = major(1) minor(1)                                      ; 2 bytes, n = 1
 */
const uitdSoftwareVersion: ObjectCodec = {
  bodySize: 2,
  timed: false,
  read: (r) => ({ softwareVersion: readVersion(r) }),
  write: (w, o, path) => writeVersion(w, o['softwareVersion'], `${path}.softwareVersion`),
};

/*
 * Type 26, UITD configuration (§8.3.1.12; body §8.2.1.11):
 *   object = descLen(1) desc(descLen, GB18030)                      ; 1 + descLen bytes, n = 1
 */
const uitdConfig: ObjectCodec = {
  bodySize: null,
  timed: false,
  read(r) {
    const o = { description: '', descriptionRaw: '' };
    readPrefixedDescription(r, o);
    return o;
  },
  write: (w, o, path) => writePrefixedDescription(w, o, path),
};

/*
 * Type 28, UITD system time (§8.3.1.13):
 *   object = time-label(6)                                          ; 6 bytes, n = 1
 */
const uitdTime: ObjectCodec = {
  bodySize: 6,
  timed: false,
  read: (r, enc) => ({ systemTime: readTimeLabel(r, enc) }),
  write: (w, o, path, enc) => writeTimeLabel(w, o['systemTime'], `${path}.systemTime`, enc),
};

// ---------------------------------------------------------------------------------------------
// Download objects (centre → UITD), GB/T 26875.3 §8.3.2.

/*
 * Types 61, 65, 66, 68: read BFF system state / software version / configuration / time
 * (§8.3.2.1, §8.3.2.5, §8.3.2.6, §8.3.2.8):
 *   object = sysType(1) sysAddr(1)                                  ; n ≤ 102 (61), 1 (65, 68), 3 (66)
 */
const systemRef: ObjectCodec = {
  bodySize: 2,
  timed: false,
  read: (r) => ({ systemType: readSystemType(r), systemAddress: r.u8() }),
  write: (w, o, path) => writeSystem(w, o, path),
};

/*
 * Types 62, 63, 67: read component running state / analog values / configuration
 * (§8.3.2.2, §8.3.2.3, §8.3.2.7). There is no component-type byte:
 *   object = sysType(1) sysAddr(1) compAddr(4, LE)                  ; n ≤ 22 (62), 63 (63), 26 (67)
 */
const componentRef: ObjectCodec = {
  bodySize: 6,
  timed: false,
  read: (r) => ({ systemType: readSystemType(r), systemAddress: r.u8(), componentAddress: readComponentAddress(r) }),
  write(w, o, path) {
    writeSystem(w, o, path);
    writeComponentAddress(w, o['componentAddress'], `${path}.componentAddress`);
  },
};

/*
 * Type 64, read BFF operation records (§8.3.2.4):
 *   object = sysType(1) sysAddr(1) recordCount(1, ≤ 102) startTime(6) ; n = 1
 */
const readSystemOperation: ObjectCodec = {
  bodySize: 9,
  timed: false,
  read: (r, enc) => ({
    systemType: readSystemType(r),
    systemAddress: r.u8(),
    recordCount: r.u8(),
    startTime: readTimeLabel(r, enc),
  }),
  write(w, o, path, enc) {
    writeSystem(w, o, path);
    w.u8(intField(o, 'recordCount', path, 0, 255));
    writeTimeLabel(w, o['startTime'], `${path}.startTime`, enc);
  },
};

/*
 * Types 81, 85, 86, 88, 89: read UITD running state / software version / configuration / time,
 * initialise UITD (§8.3.2.9, §8.3.2.11–§8.3.2.14):
 *   object = reserved(1) = 0                                        ; n = 1, e.g. ADU `51 01 00`
 */
const reservedByte: ObjectCodec = {
  bodySize: 1,
  timed: false,
  read: (r) => ({ reserved: r.u8() }),
  write: (w, o, path) => w.u8(intField(o, 'reserved', path, 0, 255, 0)),
};

/*
 * Type 84, read UITD operation records (§8.3.2.10):
 *   object = recordCount(1, ≤ 102) startTime(6)                     ; n = 1
 */
const readUitdOperation: ObjectCodec = {
  bodySize: 7,
  timed: false,
  read: (r, enc) => ({ recordCount: r.u8(), startTime: readTimeLabel(r, enc) }),
  write(w, o, path, enc) {
    w.u8(intField(o, 'recordCount', path, 0, 255));
    writeTimeLabel(w, o['startTime'], `${path}.startTime`, enc);
  },
};

/*
 * Type 90, synchronise UITD clock (§8.3.2.15):
 *   object = centreTime(6)                                          ; n = 1
 */
const syncClock: ObjectCodec = {
  bodySize: 6,
  timed: false,
  read: (r, enc) => ({ systemTime: readTimeLabel(r, enc) }),
  write: (w, o, path, enc) => writeTimeLabel(w, o['systemTime'], `${path}.systemTime`, enc),
};

/*
 * Type 91, duty check 查岗命令 (§8.3.2.16):
 *   object = answerTimeout(1, minutes)                              ; n = 1, e.g. ADU `5b 01 0a`
 */
const dutyCheck: ObjectCodec = {
  bodySize: 1,
  timed: false,
  read: (r) => ({ answerTimeoutMinutes: r.u8() }),
  write: (w, o, path) => w.u8(intField(o, 'answerTimeoutMinutes', path, 0, 255)),
};

/** The registry: every type flag the standard defines. Others decode to raw bytes. */
export const OBJECT_CODECS: Readonly<Record<KnownAduType, ObjectCodec>> = {
  1: systemState,
  2: componentState,
  3: componentAnalog,
  4: systemOperation,
  5: systemSoftwareVersion,
  6: systemConfig,
  7: componentConfig,
  8: systemTime,
  21: uitdState,
  24: uitdOperation,
  25: uitdSoftwareVersion,
  26: uitdConfig,
  28: uitdTime,
  61: systemRef,
  62: componentRef,
  63: componentRef,
  64: readSystemOperation,
  65: systemRef,
  66: systemRef,
  67: componentRef,
  68: systemRef,
  81: reservedByte,
  84: readUitdOperation,
  85: reservedByte,
  86: reservedByte,
  88: reservedByte,
  89: reservedByte,
  90: syncClock,
  91: dutyCheck,
};

const BY_CODE: ReadonlyArray<ObjectCodec | undefined> = Array.from(
  { length: 256 },
  (_, code) => (OBJECT_CODECS as Partial<Record<number, ObjectCodec>>)[code],
);

export function objectCodecFor(typeCode: number): ObjectCodec | undefined {
  return BY_CODE[typeCode];
}
