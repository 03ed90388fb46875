import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { OBJECT_CODECS } from './adu-object.codec';
import {
  type BitTable,
  COMPONENT_STATE_BITS,
  SYSTEM_OPERATION_BITS,
  SYSTEM_STATE_BITS,
  UITD_OPERATION_BITS,
  UITD_STATE_BITS,
} from './bit.table';
import {
  ADU_TYPES,
  ANALOG_TYPES,
  type AnalogTypeRef,
  type CodeRef,
  COMMANDS,
  COMPONENT_TYPES,
  SYSTEM_TYPES,
} from './code.table';
import { decodeAdu, decodeFrame, type DecodeOptions, encodeAdu, encodeFrame, MAX_ADU_LENGTH } from './frame.codec';
import type { Adu, Frame, KnownAduType } from './frame.model';
import { GB26875_ERROR_CODES, Gb26875Error, type Gb26875ErrorCode } from './gb26875.error';

/*
 * Property-based round trips over every ADU type of GB/T 26875.3.
 *
 * The spec keeps its own model of the wire grammar (LAYOUTS below, written from the standard's
 * object layouts, not taken from the codec) and builds frames byte by byte, header and checksum
 * included, so the codec is checked against something it did not produce:
 *   1. bytes first:  encode(JSON(decode(x))) = x for any valid wire bytes, frame and ADU level;
 *   2. values first: decode(encode(v)) = v for canonical values, and hand-written minimal inputs
 *      encode to the same bytes;
 *   3. the encoder refuses out-of-range input with a Gb26875Error naming the field.
 */

// ---------------------------------------------------------------------------------------------
// Wire model

type FieldKind =
  | 'sys'
  | 'compType'
  | 'compAddr'
  | 'sysState'
  | 'compState'
  | 'uitdState'
  | 'sysOps'
  | 'uitdOps'
  | 'operator'
  | 'version'
  | 'desc31'
  | 'descLen'
  | 'analog'
  | 'systemTime'
  | 'startTime'
  | 'recordCount'
  | 'reserved'
  | 'answerTimeout';

/** Bytes of each field on the wire; null for the length-prefixed description. */
const FIELD_SIZE: Readonly<Record<FieldKind, number | null>> = {
  sys: 2,
  compType: 1,
  compAddr: 4,
  sysState: 2,
  compState: 2,
  uitdState: 1,
  sysOps: 1,
  uitdOps: 1,
  operator: 1,
  version: 2,
  desc31: 31,
  descLen: null,
  analog: 3,
  systemTime: 6,
  startTime: 6,
  recordCount: 1,
  reserved: 1,
  answerTimeout: 1,
};

interface Layout {
  readonly fields: readonly FieldKind[];
  /** Whether a 6-byte time label may follow each object. */
  readonly timed: boolean;
}

const lay = (timed: boolean, ...fields: FieldKind[]): Layout => ({ fields, timed });

/** Object layouts of GB/T 26875.3 §8.2–§8.3 (Table 3), field by field. */
const LAYOUTS: Readonly<Record<KnownAduType, Layout>> = {
  1: lay(true, 'sys', 'sysState'),
  2: lay(true, 'sys', 'compType', 'compAddr', 'compState', 'desc31'),
  3: lay(true, 'sys', 'compType', 'compAddr', 'analog'),
  4: lay(true, 'sys', 'sysOps', 'operator'),
  5: lay(false, 'sys', 'version'),
  6: lay(false, 'sys', 'descLen'),
  7: lay(false, 'sys', 'compType', 'compAddr', 'desc31'),
  8: lay(false, 'sys', 'systemTime'),
  21: lay(true, 'uitdState'),
  24: lay(true, 'uitdOps', 'operator'),
  25: lay(false, 'version'),
  26: lay(false, 'descLen'),
  28: lay(false, 'systemTime'),
  61: lay(false, 'sys'),
  62: lay(false, 'sys', 'compAddr'),
  63: lay(false, 'sys', 'compAddr'),
  64: lay(false, 'sys', 'recordCount', 'startTime'),
  65: lay(false, 'sys'),
  66: lay(false, 'sys'),
  67: lay(false, 'sys', 'compAddr'),
  68: lay(false, 'sys'),
  81: lay(false, 'reserved'),
  84: lay(false, 'recordCount', 'startTime'),
  85: lay(false, 'reserved'),
  86: lay(false, 'reserved'),
  88: lay(false, 'reserved'),
  89: lay(false, 'reserved'),
  90: lay(false, 'systemTime'),
  91: lay(false, 'answerTimeout'),
};

const KNOWN_TYPES = Object.keys(LAYOUTS).map(Number) as KnownAduType[];
const isKnownType = (code: number): boolean => (LAYOUTS as Partial<Record<number, Layout>>)[code] !== undefined;
/** Type codes 0–127 with no layout: reserved, decoded as raw bytes. */
const RESERVED_TYPES = Array.from({ length: 128 }, (_, i) => i).filter((c) => !isKnownType(c));

function layoutOf(code: KnownAduType): Layout {
  return LAYOUTS[code];
}

function bodySize(l: Layout): number | null {
  let n = 0;
  for (const f of l.fields) {
    const s = FIELD_SIZE[f];
    if (s === null) return null;
    n += s;
  }
  return n;
}

/** The most objects one ADU of this layout can hold (count byte ≤ 255, ADU ≤ 1024 bytes). */
function maxObjects(l: Layout, withTime: boolean): number {
  const body = bodySize(l);
  if (body === null) return 255;
  return Math.min(255, Math.floor((MAX_ADU_LENGTH - 2) / (body + (withTime ? 6 : 0))));
}

function typeName(code: number): string {
  return ADU_TYPES.byCode[code]?.name ?? '?';
}

const hexOf = (bytes: readonly number[]): string => Buffer.from(bytes).toString('hex');

/** Little-endian bytes of a non-negative integer (up to 48 bits). */
function le(value: number, size: number): number[] {
  return Array.from({ length: size }, (_, i) => Math.floor(value / 256 ** i) % 256);
}

function leValue(bytes: readonly number[]): number {
  return bytes.reduce((acc, b, i) => acc + b * 256 ** i, 0);
}

interface Header {
  readonly serial: number;
  readonly major: number;
  readonly minor: number;
  readonly time: readonly number[];
  readonly source: readonly number[];
  readonly destination: readonly number[];
  readonly command: number;
}

/** A whole frame: "@@", control unit, ADU, checksum (sum of bytes 2 … 26+L mod 256), "##". */
function buildFrame(h: Header, adu: readonly number[]): Buffer {
  const control = [
    ...le(h.serial, 2),
    h.major,
    h.minor,
    ...h.time,
    ...h.source,
    ...h.destination,
    ...le(adu.length, 2),
    h.command,
  ];
  let sum = 0;
  for (const b of control) sum += b;
  for (const b of adu) sum += b;
  return Buffer.from([0x40, 0x40, ...control, ...adu, sum & 0xff, 0x23, 0x23]);
}

/** The naive local time string a 6-byte label (sec, min, hour, day, month, year − 2000) reads as. */
function timeLabel(b: readonly number[]): string {
  const p = (i: number): string => String(b[i] ?? 0).padStart(2, '0');
  return `${2000 + (b[5] ?? 0)}-${p(4)}-${p(3)}T${p(2)}:${p(1)}:${p(0)}`;
}

function gb18030(text: string): number[] {
  return [...iconv.encode(text, 'gb18030')];
}

function refOf(table: { readonly byCode: readonly CodeRef[] }, code: number): CodeRef {
  const r = table.byCode[code];
  if (r === undefined) throw new Error(`no code ${code}`);
  return { code: r.code, name: r.name };
}

function analogRefOf(code: number): AnalogTypeRef {
  const r = ANALOG_TYPES.byCode[code];
  if (r === undefined) throw new Error(`no analog code ${code}`);
  return { code: r.code, name: r.name, unit: r.unit, decimals: r.decimals };
}

function flagNames(table: BitTable, raw: number): string[] {
  return table.filter((_, bit) => ((raw >>> bit) & 1) === 1);
}

function namedBits(table: BitTable): number {
  return (1 << table.length) - 1;
}

function pick<T>(options: readonly T[], selector: number): T {
  const o = options[selector % options.length];
  if (o === undefined) throw new Error('no options');
  return o;
}

/** The ways a hand-written input may name a code: bare code, bare name, {code}, {name}, {code, name}. */
function refForms(
  table: { readonly byCode: readonly CodeRef[]; readonly byName: ReadonlyMap<string, number> },
  code: number,
): unknown[] {
  const ref = refOf(table, code);
  const forms: unknown[] = [code, { code }, { code, name: ref.name }];
  if (table.byName.get(ref.name) === code) forms.push(ref.name, { name: ref.name });
  return forms;
}

/** JSON as the CLI prints it and a user sends it back. */
function viaJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function decodedOrThrow(bytes: Buffer, options?: DecodeOptions): Frame {
  const r = decodeFrame(bytes, options);
  if (!r.ok) throw new Error(`decodeFrame refused ${bytes.toString('hex')}: ${r.error.code} ${r.error.message}`);
  return r.frame;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries shared by both directions. Object fields are cut from one random byte stream per
// ADU (cheap to generate, shrinks towards zeros); descriptions come from their own arbitraries.

const byte = fc.integer({ min: 0, max: 255 });
const bytesOf = (n: number, b: fc.Arbitrary<number> = byte): fc.Arbitrary<number[]> =>
  fc.array(b, { minLength: n, maxLength: n });
const stream = (n: number): fc.Arbitrary<number[]> =>
  fc.uint8Array({ minLength: n, maxLength: n }).map((u) => Array.from(u));
/** Byte strings of any length up to `max`, both short and long ones. */
const someBytes = (max: number): fc.Arbitrary<number[]> =>
  fc
    .oneof(stream(0), fc.uint8Array({ maxLength: max }), fc.uint8Array({ maxLength: max, size: 'max' }))
    .map((u) => Array.from(u));
/** A byte made valid BCD (00–99), for the vendor time encoding. */
const toBcd = (b: number): number => {
  const v = b % 100;
  return (Math.floor(v / 10) << 4) | (v % 10);
};
/** Selects one of several equivalent hand-written forms. */
const form = fc.nat({ max: 1000 });

const STANDARD_COMMAND = fc.integer({ min: 1, max: 6 });
const USER_COMMAND = fc.integer({ min: 128, max: 255 });
const ANY_COMMAND = fc.oneof(STANDARD_COMMAND, USER_COMMAND);

/** Bytes a field takes from the object byte stream (descriptions have their own arbitrary). */
const isDescription = (k: FieldKind): boolean => k === 'desc31' || k === 'descLen';
const isTimeField = (k: FieldKind): boolean => k === 'systemTime' || k === 'startTime';
const streamSizeOf = (k: FieldKind): number => (isDescription(k) ? 0 : (FIELD_SIZE[k] ?? 0));
const streamSize = (l: Layout): number => l.fields.reduce((n, k) => n + streamSizeOf(k), 0);
const descriptionKind = (l: Layout): FieldKind | undefined => l.fields.find(isDescription);

/** Object count for an ADU: often tiny, sometimes anything up to the capacity, sometimes full. */
function countArb(min: number, max: number): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.integer({ min, max: Math.max(min, Math.min(max, 3)) }), weight: 3 },
    { arbitrary: fc.integer({ min, max }), weight: 2 },
    { arbitrary: fc.constant(max), weight: 1 },
  );
}

/** Descriptions of length-prefixed objects are kept short when there are many objects, so they fill the ADU. */
const SHORT_DESCRIPTION_FROM = 9;

const SPECIAL_CHARS = ['，', '。', '（', '）', '：', '、', '℃', '№', '①', 'Ⅱ', '—', '·', '€', '😀', '🔥', '𠀀', '㐀'];
/**
 * A description character: CJK (2 bytes in GB18030), printable ASCII, an inner space, CJK
 * punctuation and symbols, or a 4-byte sequence (emoji, CJK extensions A and B). One integer
 * per character keeps generation cheap.
 */
const textChar = fc.nat({ max: 0xffff }).map((n) => {
  const kind = n % 10;
  const k = Math.floor(n / 10);
  if (kind < 4) return String.fromCharCode(0x4e00 + (k % (0x9fa6 - 0x4e00)));
  if (kind < 8) return String.fromCharCode(0x21 + (k % 94));
  if (kind === 8) return ' ';
  return SPECIAL_CHARS[k % SPECIAL_CHARS.length] ?? '?';
});

const gbLengths = new Map<string, number>();
function gbLength(c: string): number {
  let n = gbLengths.get(c);
  if (n === undefined) {
    n = gb18030(c).length;
    gbLengths.set(c, n);
  }
  return n;
}

/** Takes characters while their GB18030 encoding fits `maxBytes`; trims the edge spaces. */
function fitText(chars: readonly string[], maxBytes: number): string {
  let out = '';
  let n = 0;
  for (const c of chars) {
    const k = gbLength(c);
    if (n + k > maxBytes) break;
    out += c;
    n += k;
  }
  return out.trim();
}

/** Chinese and ASCII text that decodes back to itself (no edge padding) and fits `maxBytes`. */
function descriptionText(maxBytes: number): fc.Arbitrary<string> {
  return fc
    .oneof(fc.array(textChar, { maxLength: maxBytes }), fc.array(textChar, { maxLength: maxBytes, size: 'max' }))
    .map((chars) => fitText(chars, maxBytes));
}

/** Text whose GB18030 encoding is longer than `minBytes`. */
function longText(minBytes: number): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.array(
        fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((c) => String.fromCharCode(c)),
        {
          minLength: Math.floor(minBytes / 2) + 1,
          maxLength: Math.floor(minBytes / 2) + 40,
        },
      ),
      fc.string({ maxLength: 10 }),
    )
    .map(([cjk, ascii]) => `${cjk.join('')}${ascii}`);
}

// ---------------------------------------------------------------------------------------------
// Bytes first: random valid wire bytes

const padByte = fc.constantFrom(0x00, 0x20);

/**
 * The bytes of a description field as devices send them: random bytes, or text with leading
 * NULs/spaces, padding, a NUL terminator followed by junk.
 */
function descriptionWire(fixed: number | null, short: boolean): fc.Arbitrary<number[]> {
  const max = fixed ?? (short ? 6 : 255);
  const random = fixed === null ? someBytes(max) : stream(fixed);
  const texty = fc
    .tuple(fc.nat({ max: 3 }), padByte, descriptionText(max), padByte, fc.nat({ max: 3 }), fc.boolean(), someBytes(max))
    .map(([lead, leadPad, text, tailPad, tail, nulJunk, junk]) => {
      const out: number[] = [...new Array<number>(lead).fill(leadPad), ...gb18030(text)];
      if (nulJunk) out.push(0, ...junk);
      if (fixed === null) out.push(...new Array<number>(tail).fill(tailPad));
      else while (out.length < fixed) out.push(tailPad);
      return out.slice(0, max);
    });
  return fc.oneof(random, texty);
}

/**
 * The ADU of a known type with 0..max objects of random field bytes (state words with reserved
 * bits, int16 analogs, 32-bit component addresses, time labels of any byte), with or without
 * time labels. With `bcd`, every time-label byte is valid BCD.
 */
function wireKnownAdu(code: KnownAduType, bcd = false): fc.Arbitrary<number[]> {
  const l = layoutOf(code);
  const dk = descriptionKind(l);
  return fc.boolean().chain((withTime0) => {
    const withTime = l.timed && withTime0;
    const per = streamSize(l) + (withTime ? 6 : 0);
    return countArb(0, maxObjects(l, withTime))
      .chain((n) =>
        fc.tuple(
          fc.constant(n),
          stream(n * per),
          dk === undefined
            ? fc.constant<number[][]>([])
            : fc.array(descriptionWire(dk === 'desc31' ? 31 : null, n >= SHORT_DESCRIPTION_FROM), {
                minLength: n,
                maxLength: n,
              }),
        ),
      )
      .map(([n, bytes, descriptions]) => {
        const out = [code, 0];
        let count = 0;
        for (let i = 0; i < n; i++) {
          const o: number[] = [];
          let p = i * per;
          for (const k of l.fields) {
            const d = descriptions[i] ?? [];
            if (k === 'desc31') o.push(...d);
            else if (k === 'descLen') o.push(d.length, ...d);
            else {
              const field = bytes.slice(p, p + streamSizeOf(k));
              o.push(...(bcd && isTimeField(k) ? field.map(toBcd) : field));
              p += streamSizeOf(k);
            }
          }
          if (withTime) o.push(...bytes.slice(p, p + 6).map((b) => (bcd ? toBcd(b) : b)));
          if (out.length + o.length > MAX_ADU_LENGTH) break;
          out.push(...o);
          count++;
        }
        out[1] = count;
        return out;
      });
  });
}

/** An opaque ADU: a type byte and up to 1023 random bytes. */
const wireOpaqueAdu = (type: fc.Arbitrary<number>): fc.Arbitrary<number[]> =>
  fc.tuple(type, someBytes(MAX_ADU_LENGTH - 1)).map(([t, body]) => [t, ...body]);

const reservedType = fc.constantFrom(...RESERVED_TYPES);
const userDefinedType = fc.integer({ min: 128, max: 255 });

function wireHeader(command: fc.Arbitrary<number>, bcd = false): fc.Arbitrary<Header> {
  return fc.record({
    serial: fc.integer({ min: 0, max: 0xffff }),
    major: fc.oneof(fc.constant(1), byte),
    minor: fc.oneof(fc.constant(1), byte),
    time: bytesOf(6).map((t) => (bcd ? t.map(toBcd) : t)),
    source: bytesOf(6),
    destination: bytesOf(6),
    command,
  });
}

const wireFrame = (command: fc.Arbitrary<number>, adu: fc.Arbitrary<number[]>, bcd = false): fc.Arbitrary<Buffer> =>
  fc.tuple(wireHeader(command, bcd), adu).map(([h, a]) => buildFrame(h, a));

const wireKnownFrame = (code: KnownAduType): fc.Arbitrary<Buffer> => wireFrame(STANDARD_COMMAND, wireKnownAdu(code));
const wireReservedTypeFrame = wireFrame(STANDARD_COMMAND, wireOpaqueAdu(reservedType));
const wireUserDefinedTypeFrame = wireFrame(STANDARD_COMMAND, wireOpaqueAdu(userDefinedType));
/** A user-defined command carries an opaque ADU of any bytes (a known type byte included), or none. */
const wireUserCommandFrame = wireFrame(
  USER_COMMAND,
  fc.oneof(
    fc.constant<number[]>([]),
    wireOpaqueAdu(byte),
    fc.constantFrom(...KNOWN_TYPES).chain((c) => wireKnownAdu(c)),
  ),
);
const wireEmptyAduFrame = wireFrame(ANY_COMMAND, fc.constant<number[]>([]));
const wireAnyFrame = fc.oneof(
  { arbitrary: fc.constantFrom(...KNOWN_TYPES).chain(wireKnownFrame), weight: 6 },
  { arbitrary: wireReservedTypeFrame, weight: 1 },
  { arbitrary: wireUserDefinedTypeFrame, weight: 1 },
  { arbitrary: wireUserCommandFrame, weight: 1 },
  { arbitrary: wireEmptyAduFrame, weight: 1 },
);

/** Valid bytes with up to 4 bytes changed, and sometimes cut short or extended by a few bytes. */
function mutated(valid: fc.Arbitrary<number[]>): fc.Arbitrary<number[]> {
  return fc
    .tuple(valid, fc.array(fc.tuple(fc.nat(), byte), { maxLength: 4 }), fc.integer({ min: -3, max: 3 }), bytesOf(3))
    .map(([bytes, edits, resize, extra]) => {
      const out = [...bytes];
      for (const [at, v] of edits) if (out.length > 0) out[at % out.length] = v;
      return resize < 0 ? out.slice(0, Math.max(0, out.length + resize)) : [...out, ...extra.slice(0, resize)];
    });
}

/*
 * Checks for the hot paths: Jest's `expect` costs more than the codec under test, so it only
 * runs to report a difference.
 */
/** Deep strict equality. */
function expectSame(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toStrictEqual(expected);
}

/** Same primitive (hex strings, counts, names). */
function expectIs(actual: unknown, expected: unknown): void {
  if (actual !== expected) expect(actual).toBe(expected);
}

/** decodeFrame accepts the bytes, and its JSON, parsed back, encodes to the very same bytes. */
function assertBytesRoundTrip(bytes: Buffer, options?: DecodeOptions): Frame {
  const frame = decodedOrThrow(bytes, options);
  expectIs(encodeFrame(viaJson(frame), options).toString('hex'), bytes.toString('hex'));
  // And the decoded ADU reports what was on the wire.
  const aduLength = bytes.length - 30;
  expectIs(frame.adu?.raw ?? null, aduLength === 0 ? null : bytes.subarray(27, 27 + aduLength).toString('hex'));
  return frame;
}

function assertAduBytesRoundTrip(bytes: Buffer): Adu {
  const r = decodeAdu(bytes);
  if (!r.ok) throw new Error(`decodeAdu refused ${bytes.toString('hex')}: ${r.error.code} ${r.error.message}`);
  expectIs(r.frame.raw, bytes.toString('hex'));
  expectIs(encodeAdu(viaJson(r.frame)).toString('hex'), bytes.toString('hex'));
  return r.frame;
}

// ---------------------------------------------------------------------------------------------
// Values first: canonical decoded values, built from an independent model

/** One field (or object, or ADU): its wire bytes, its canonical JSON, and a hand-written form. */
interface Part {
  readonly bytes: readonly number[];
  readonly value: Readonly<Record<string, unknown>>;
  readonly minimal: Readonly<Record<string, unknown>>;
}

function merge(parts: readonly Part[]): Part {
  return {
    bytes: parts.flatMap((p) => p.bytes),
    value: parts.reduce<Record<string, unknown>>((acc, p) => ({ ...acc, ...p.value }), {}),
    minimal: parts.reduce<Record<string, unknown>>((acc, p) => ({ ...acc, ...p.minimal }), {}),
  };
}

/** A field model: its stream bytes, a selector byte (variants, hand-written form), its text if a description. */
type FieldModel = (b: readonly number[], s: number, text: string) => Part;

const first = (b: readonly number[]): number => b[0] ?? 0;

function refModel(key: string, table: typeof SYSTEM_TYPES): FieldModel {
  return (b, s) => ({
    bytes: [first(b)],
    value: { [key]: refOf(table, first(b)) },
    minimal: { [key]: pick(refForms(table, first(b)), s) },
  });
}

/** A state word; half the time without reserved bits, so that a flags-only input can express it. */
function stateModel(table: BitTable, size: 1 | 2): FieldModel {
  return (b, s) => {
    const raw = s & 1 ? leValue(b) & namedBits(table) : leValue(b);
    const flags = flagNames(table, raw);
    const forms: unknown[] = [{ raw }, { raw, flags }, { raw, flags: [...flags].reverse() }];
    if ((raw & ~namedBits(table)) === 0) forms.push({ flags }, { flags: [...flags].reverse() });
    return { bytes: le(raw, size), value: { state: { raw, flags } }, minimal: { state: pick(forms, s >> 1) } };
  };
}

function operationsModel(table: BitTable): FieldModel {
  return (b, s) => {
    const raw = s & 1 ? first(b) & namedBits(table) : first(b);
    const operations = flagNames(table, raw);
    const forms: Array<Record<string, unknown>> = [{ operationsRaw: raw }, { operationsRaw: raw, operations }];
    if ((raw & ~namedBits(table)) === 0) forms.push({ operations }, { operations: [...operations].reverse() });
    return { bytes: [raw], value: { operations, operationsRaw: raw }, minimal: pick(forms, s >> 1) };
  };
}

function byteModel(key: string, zeroOften = false): FieldModel {
  return (b, s) => {
    const v = zeroOften && s & 1 ? 0 : first(b);
    // The reserved byte of the read-UITD types defaults to 0 when omitted.
    return { bytes: [v], value: { [key]: v }, minimal: zeroOften && v === 0 && s & 2 ? {} : { [key]: v } };
  };
}

function timeModel(key: string): FieldModel {
  return (b) => ({ bytes: [...b], value: { [key]: timeLabel(b) }, minimal: { [key]: timeLabel(b) } });
}

function descriptionModel(fixed: number | null): FieldModel {
  return (_b, s, text) => {
    const gb = gb18030(text);
    const field = fixed === null ? gb : [...gb, ...new Array<number>(fixed - gb.length).fill(0)];
    const raw = hexOf(field);
    const forms: Array<Record<string, unknown>> = [
      { description: text },
      { descriptionRaw: raw },
      { descriptionRaw: raw.toUpperCase() },
      { description: text, descriptionRaw: raw },
      // A raw field shorter than 31 bytes is padded with NULs.
      { descriptionRaw: hexOf(gb) },
    ];
    return {
      bytes: fixed === null ? [gb.length, ...gb] : field,
      value: { description: text, descriptionRaw: raw },
      minimal: pick(forms, s),
    };
  };
}

const FIELD_MODELS: Readonly<Record<FieldKind, FieldModel>> = {
  sys: (b, s) => {
    const [t = 0, a = 0] = b;
    return {
      bytes: [t, a],
      value: { systemType: refOf(SYSTEM_TYPES, t), systemAddress: a },
      minimal: { systemType: pick(refForms(SYSTEM_TYPES, t), s), systemAddress: a },
    };
  },
  compType: refModel('componentType', COMPONENT_TYPES),
  compAddr: (b, s) => {
    const v = leValue(b);
    const full = { hex: hexOf(b), value: v, low16: v % 0x10000, high16: Math.floor(v / 0x10000) };
    const forms = [
      { value: v },
      { hex: full.hex },
      { low16: full.low16, high16: full.high16 },
      full,
      { hex: full.hex.toUpperCase(), value: v },
    ];
    return { bytes: [...b], value: { componentAddress: full }, minimal: { componentAddress: pick(forms, s) } };
  },
  sysState: stateModel(SYSTEM_STATE_BITS, 2),
  compState: stateModel(COMPONENT_STATE_BITS, 2),
  uitdState: stateModel(UITD_STATE_BITS, 1),
  sysOps: operationsModel(SYSTEM_OPERATION_BITS),
  uitdOps: operationsModel(UITD_OPERATION_BITS),
  operator: byteModel('operator'),
  version: ([major = 0, minor = 0]) => ({
    bytes: [major, minor],
    value: { softwareVersion: { major, minor } },
    minimal: { softwareVersion: { major, minor } },
  }),
  desc31: descriptionModel(31),
  descLen: descriptionModel(null),
  analog: ([t0 = 0, lo = 0, hi = 0], s) => {
    // Half the time a type with a known scale (codes 0–12), else any code.
    const t = s & 1 ? t0 % 13 : t0;
    const u = lo | (hi << 8);
    const raw = u >= 0x8000 ? u - 0x10000 : u;
    const analogType = analogRefOf(t);
    const value = analogType.decimals === null ? null : raw / 10 ** analogType.decimals;
    const forms: Array<Record<string, unknown>> = [{ rawValue: raw }, { rawValue: raw, value }];
    if (value !== null) forms.push({ value });
    return {
      bytes: [t, lo, hi],
      value: { analogType, rawValue: raw, value },
      minimal: { analogType: pick(refForms(ANALOG_TYPES, t), s >> 3), ...pick(forms, s >> 1) },
    };
  },
  systemTime: timeModel('systemTime'),
  startTime: timeModel('startTime'),
  recordCount: byteModel('recordCount'),
  reserved: byteModel('reserved', true),
  answerTimeout: byteModel('answerTimeoutMinutes'),
};

/** A known-type ADU of `minCount`..`maxCount` objects (capped by what fits), with or without time labels. */
function knownAduModel(code: KnownAduType, minCount = 0, maxCount = 255): fc.Arbitrary<Part> {
  const l = layoutOf(code);
  const dk = descriptionKind(l);
  const nf = l.fields.length;
  return fc.tuple(fc.boolean(), form).chain(([withTime0, f]) => {
    const withTime = l.timed && withTime0;
    const per = streamSize(l) + (withTime ? 6 : 0);
    const textBytes = (n: number): number => (dk === 'desc31' ? 31 : n >= SHORT_DESCRIPTION_FROM ? 6 : 255);
    return countArb(minCount, Math.min(maxCount, maxObjects(l, withTime)))
      .chain((n) =>
        fc.tuple(
          fc.constant(n),
          stream(n * per),
          stream(n * nf),
          dk === undefined
            ? fc.constant<string[]>([])
            : fc.array(descriptionText(textBytes(n)), { minLength: n, maxLength: n }),
        ),
      )
      .map(([n, bytes, selectors, texts]) => {
        const out: number[] = [code, 0];
        const values: Array<Record<string, unknown>> = [];
        const minimals: Array<Record<string, unknown>> = [];
        for (let i = 0; i < n; i++) {
          let p = i * per;
          const parts = l.fields.map((k, j) => {
            const field = bytes.slice(p, p + streamSizeOf(k));
            p += streamSizeOf(k);
            return FIELD_MODELS[k](field, selectors[i * nf + j] ?? 0, texts[i] ?? '');
          });
          const o = merge(parts);
          const time = bytes.slice(p, p + 6);
          const ob = withTime ? [...o.bytes, ...time] : o.bytes;
          if (out.length + ob.length > MAX_ADU_LENGTH) break;
          out.push(...ob);
          values.push(withTime ? { ...o.value, occurredAt: timeLabel(time) } : o.value);
          minimals.push(withTime ? { ...o.minimal, occurredAt: timeLabel(time) } : o.minimal);
        }
        out[1] = values.length;
        return {
          bytes: out,
          value: { type: refOf(ADU_TYPES, code), objects: values, raw: hexOf(out) },
          minimal: { type: pick(refForms(ADU_TYPES, code), f), objects: minimals },
        };
      });
  });
}

/** An opaque ADU (reserved or user-defined type, or any ADU of a user-defined command). */
function opaqueAduModel(type: fc.Arbitrary<number>): fc.Arbitrary<Part> {
  return fc.tuple(type, someBytes(MAX_ADU_LENGTH - 1), form, form).map(([t, body, f, g]) => {
    const bytes = [t, ...body];
    const raw = hexOf(bytes);
    return {
      bytes,
      value: { type: refOf(ADU_TYPES, t), objects: [], raw },
      minimal: {
        type: pick(refForms(ADU_TYPES, t), f),
        // parseHex takes hex as people paste it: any case, whitespace, a 0x prefix.
        raw: pick([raw, raw.toUpperCase(), `0x${raw}`, raw.replace(/(..)/g, '$1 ').trim()], g),
      },
    };
  });
}

interface FrameModel {
  readonly bytes: Buffer;
  readonly value: Frame;
  readonly minimal: Readonly<Record<string, unknown>>;
}

function addressForms(bytes: readonly number[], f: number): unknown {
  const value = String(leValue(bytes));
  const hex = hexOf(bytes);
  return pick(
    [{ value }, { hex }, value, Number(value), { value: Number(value) }, { hex, value }, { hex: hex.toUpperCase() }],
    f,
  );
}

function frameModel(command: fc.Arbitrary<number>, adu: fc.Arbitrary<Part | null>): fc.Arbitrary<FrameModel> {
  return fc
    .tuple(wireHeader(command), adu, form, form, form, fc.boolean(), fc.boolean())
    .map(([h, a, fs, fd, fcmd, omitVersion, omitAdu]) => {
      const value: Frame = {
        serial: h.serial,
        version: { major: h.major, minor: h.minor },
        sentAt: timeLabel(h.time),
        source: { hex: hexOf(h.source), value: String(leValue(h.source)) },
        destination: { hex: hexOf(h.destination), value: String(leValue(h.destination)) },
        command: refOf(COMMANDS, h.command),
        adu: a === null ? null : (a.value as unknown as Adu),
      };
      const minimal: Record<string, unknown> = {
        serial: h.serial,
        sentAt: value.sentAt,
        source: addressForms(h.source, fs),
        destination: addressForms(h.destination, fd),
        command: pick(refForms(COMMANDS, h.command), fcmd),
      };
      // The version may be left out when it is the default 1.1.
      if (!(omitVersion && h.major === 1 && h.minor === 1)) minimal['version'] = { major: h.major, minor: h.minor };
      if (a !== null) minimal['adu'] = a.minimal;
      else if (!omitAdu) minimal['adu'] = null;
      return { bytes: buildFrame(h, a?.bytes ?? []), value, minimal };
    });
}

const knownFrameModel = (code: KnownAduType, minCount = 0, maxCount = 255): fc.Arbitrary<FrameModel> =>
  frameModel(STANDARD_COMMAND, knownAduModel(code, minCount, maxCount));
const opaqueFrameModels = {
  'reserved type codes (0–127 without a layout)': frameModel(STANDARD_COMMAND, opaqueAduModel(reservedType)),
  'user-defined type codes (128–255)': frameModel(STANDARD_COMMAND, opaqueAduModel(userDefinedType)),
  'user-defined commands (128–255), opaque ADU of any type byte': frameModel(USER_COMMAND, opaqueAduModel(byte)),
  'empty ADU under any valid command': frameModel(ANY_COMMAND, fc.constant(null)),
};
const anyFrameModelOf = (maxCount: number): fc.Arbitrary<FrameModel> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...KNOWN_TYPES).chain((c) => knownFrameModel(c, 0, maxCount)), weight: 6 },
    ...Object.values(opaqueFrameModels).map((arbitrary) => ({ arbitrary, weight: 1 })),
  );
const anyFrameModel = anyFrameModelOf(255);
/** For the refusal properties, where a few objects are enough. */
const smallFrameModel = anyFrameModelOf(4);

// ---------------------------------------------------------------------------------------------
// Encoder validation helpers

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `fn` throws a Gb26875Error of `code` whose message starts with the field path. */
function expectRefusal(fn: () => unknown, code: Gb26875ErrorCode, path: string | RegExp): void {
  const e = thrownBy(fn);
  const pattern = typeof path === 'string' ? new RegExp(`^${escapeRegExp(path)}[:.]`) : path;
  if (!(e instanceof Gb26875Error && e.code === code && pattern.test(e.message))) {
    expect(e).toBeInstanceOf(Gb26875Error);
    expect((e as Gb26875Error).code).toBe(code);
    expect((e as Gb26875Error).message).toMatch(pattern);
  }
}

/** A rejected input is rejected with the codec's own error and a code of its closed set. */
function expectClosedRejection(error: unknown): void {
  expectIs(error instanceof Gb26875Error, true);
  expectIs(GB26875_ERROR_CODES.includes((error as Gb26875Error).code), true);
}

/** The frame value with object `i` of its ADU replaced. */
function withObject(
  frame: Readonly<Record<string, unknown>>,
  i: number,
  patch: (o: Record<string, unknown>) => Record<string, unknown>,
): Record<string, unknown> {
  const adu = frame['adu'] as Record<string, unknown>;
  const objects = (adu['objects'] as Array<Record<string, unknown>>).map((o, k) => (k === i ? patch({ ...o }) : o));
  return { ...frame, adu: { ...adu, objects } };
}

/** A frame of one of `codes` with at least one object, the index of one object, and the codes. */
function framesWithObject(codes: readonly KnownAduType[], useMinimal: fc.Arbitrary<boolean> = fc.boolean()) {
  return fc.constantFrom(...codes).chain((code) =>
    fc.tuple(knownFrameModel(code, 1, 4), fc.nat(), useMinimal).map(([m, k, minimal]) => {
      const input = minimal ? m.minimal : (viaJson(m.value) as unknown as Record<string, unknown>);
      const count = (m.value.adu?.objects.length ?? 1) || 1;
      return { code, input, index: k % count };
    }),
  );
}

/**
 * Per ADU type (29 of them, so the suite stays fast); the mixed properties over all types run more.
 * GB26875_PROPERTY_SCALE=10 multiplies every run count for a deeper search.
 */
const SCALE = Math.max(1, Number(process.env['GB26875_PROPERTY_SCALE'] ?? 1) || 1);
const PER_TYPE_RUNS = { numRuns: 60 * SCALE };
const RUNS = { numRuns: 150 * SCALE };
const MANY_RUNS = { numRuns: 300 * SCALE };

// =============================================================================================

describe('the spec model of the wire grammar', () => {
  it('covers exactly the ADU types of the codec registry, with the same object sizes and time labels', () => {
    expect([...KNOWN_TYPES].sort((a, b) => a - b)).toEqual(
      Object.keys(OBJECT_CODECS)
        .map(Number)
        .sort((a, b) => a - b),
    );
    for (const code of KNOWN_TYPES) {
      const codec = OBJECT_CODECS[code];
      expect({ code, bodySize: bodySize(layoutOf(code)), timed: layoutOf(code).timed }).toEqual({
        code,
        bodySize: codec.bodySize,
        timed: codec.timed,
      });
    }
  });
});

describe('bytes first: encodeFrame(JSON of decodeFrame(x)) returns x for any valid frame bytes', () => {
  describe.each(KNOWN_TYPES.map((c) => [c, typeName(c)] as const))('ADU type %i (%s)', (code) => {
    it('0..max objects of random field bytes, with and without time labels, round-trip byte for byte', () => {
      fc.assert(
        fc.property(wireKnownFrame(code), (bytes) => {
          const frame = assertBytesRoundTrip(bytes);
          expectIs(frame.adu?.objects.length, bytes[28]);
        }),
        PER_TYPE_RUNS,
      );
    });
  });

  it('reserved type codes with random raw bodies decode to no objects and round-trip', () => {
    fc.assert(
      fc.property(wireReservedTypeFrame, (bytes) => {
        expectIs(assertBytesRoundTrip(bytes).adu?.objects.length, 0);
      }),
      RUNS,
    );
  });

  it('user-defined type codes (128–255) with random raw bodies decode to no objects and round-trip', () => {
    fc.assert(
      fc.property(wireUserDefinedTypeFrame, (bytes) => {
        const adu = assertBytesRoundTrip(bytes).adu;
        expectIs(adu?.objects.length, 0);
        expectIs(adu?.type.name, 'user-defined');
      }),
      RUNS,
    );
  });

  it('user-defined commands (128–255) carry any ADU bytes opaquely and round-trip', () => {
    fc.assert(
      fc.property(wireUserCommandFrame, (bytes) => {
        const frame = assertBytesRoundTrip(bytes);
        expectIs(frame.command.name, 'user-defined');
        expectIs(frame.adu?.objects.length ?? 0, 0);
      }),
      RUNS,
    );
  });

  it('frames with an empty ADU under every valid command (1–6, 128–255) round-trip with adu null', () => {
    fc.assert(
      fc.property(wireEmptyAduFrame, (bytes) => {
        expectIs(assertBytesRoundTrip(bytes).adu, null);
      }),
      RUNS,
    );
  });

  it('any valid frame round-trips, and decoding the re-encoded frame gives the same JSON', () => {
    fc.assert(
      fc.property(wireAnyFrame, (bytes) => {
        const frame = assertBytesRoundTrip(bytes);
        expectSame(viaJson(decodedOrThrow(encodeFrame(frame))), viaJson(frame));
      }),
      MANY_RUNS,
    );
  });

  it('frames with BCD time labels round-trip under timeEncoding "bcd"', () => {
    const timedTypes: KnownAduType[] = [1, 2, 3, 4, 8, 21, 24, 28, 64, 84, 90];
    const bcdFrame = fc
      .constantFrom(...timedTypes)
      .chain((code) => wireFrame(STANDARD_COMMAND, wireKnownAdu(code, true), true));
    fc.assert(
      fc.property(bcdFrame, (bytes) => {
        assertBytesRoundTrip(bytes, { timeEncoding: 'bcd' });
      }),
      RUNS,
    );
  });
});

describe('bytes first at ADU level: encodeAdu(JSON of decodeAdu(x)) returns x', () => {
  it('every known type with 0..max objects of random field bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KNOWN_TYPES).chain((c) => wireKnownAdu(c)),
        (adu) => {
          const decoded = assertAduBytesRoundTrip(Buffer.from(adu));
          expectIs(decoded.objects.length, adu[1]);
        },
      ),
      MANY_RUNS,
    );
  });

  it('reserved and user-defined type codes with random bodies (1–1024 bytes)', () => {
    fc.assert(
      fc.property(wireOpaqueAdu(fc.oneof(reservedType, userDefinedType)), (adu) => {
        expectIs(assertAduBytesRoundTrip(Buffer.from(adu)).objects.length, 0);
      }),
      RUNS,
    );
  });

  it('whatever decodeAdu accepts (short random bytes, mutated valid ADUs, the empty ADU) is an ADU with a type and re-encodes to the same bytes', () => {
    const validAdu = fc.oneof(
      fc.constantFrom(...KNOWN_TYPES).chain((c) => wireKnownAdu(c)),
      wireOpaqueAdu(byte),
    );
    const candidate = fc.oneof(someBytes(48), mutated(validAdu));
    fc.assert(
      fc.property(candidate, (bytes) => {
        const adu = Buffer.from(bytes);
        const r = decodeAdu(adu);
        if (!r.ok) {
          expectClosedRejection(r.error);
        } else {
          // An empty ADU has no type byte: it must be refused, not decoded to an Adu without a type.
          expectSame(
            r.frame.type,
            adu.length > 0 ? refOf(ADU_TYPES, adu[0] ?? 0) : 'a type read from a type byte, or a rejection',
          );
          expectIs(encodeAdu(viaJson(r.frame)).toString('hex'), adu.toString('hex'));
        }
      }),
      MANY_RUNS,
    );
  });
});

describe('bytes first, beyond the generators: whatever decodeFrame accepts re-encodes to the same bytes', () => {
  it('valid frames with random byte edits in the control unit and ADU (checksum fixed up)', () => {
    const edited = fc
      .tuple(wireAnyFrame, fc.array(fc.tuple(fc.nat(), byte), { minLength: 1, maxLength: 4 }))
      .map(([frame, edits]) => {
        const out = Buffer.from(frame);
        const aduLength = out.length - 30;
        // Anywhere from the serial to the end of the ADU, but not the length field.
        for (const [at, v] of edits) {
          const i = 2 + (at % (25 + aduLength));
          if (i !== 24 && i !== 25) out[i] = v;
        }
        let sum = 0;
        for (let i = 2; i < 27 + aduLength; i++) sum += out[i] ?? 0;
        out[27 + aduLength] = sum & 0xff;
        return out;
      });
    fc.assert(
      fc.property(edited, (bytes) => {
        const r = decodeFrame(bytes);
        if (!r.ok) expectClosedRejection(r.error);
        else expectIs(encodeFrame(viaJson(r.frame)).toString('hex'), bytes.toString('hex'));
      }),
      MANY_RUNS,
    );
  });
});

describe('values first: decodeFrame(encodeFrame(v)) deep-equals v for canonical values', () => {
  it.each(KNOWN_TYPES.map((c) => [c, typeName(c)] as const))(
    'ADU type %i (%s), text descriptions that fit: decode(encode(v)) = v, and v is what the model reads from its bytes',
    (code) => {
      fc.assert(
        fc.property(knownFrameModel(code), (m) => {
          expectSame(decodedOrThrow(m.bytes), m.value);
          const bytes = encodeFrame(m.value);
          expectIs(bytes.toString('hex'), m.bytes.toString('hex'));
          expectSame(decodedOrThrow(bytes), m.value);
        }),
        PER_TYPE_RUNS,
      );
    },
  );

  it.each(Object.entries(opaqueFrameModels))(
    '%s: decode(encode(v)) = v, and v is what the model reads from its bytes',
    (_name, arb) => {
      fc.assert(
        fc.property(arb, (m) => {
          expectSame(decodedOrThrow(m.bytes), m.value);
          expectSame(decodedOrThrow(encodeFrame(m.value)), m.value);
        }),
        RUNS,
      );
    },
  );

  it('at ADU level: decodeAdu(encodeAdu(v)) deep-equals v for every known and reserved type', () => {
    const aduModel = fc.oneof(
      fc.constantFrom(...KNOWN_TYPES).chain((c) => knownAduModel(c)),
      opaqueAduModel(fc.oneof(reservedType, userDefinedType)),
    );
    fc.assert(
      fc.property(aduModel, (m) => {
        const bytes = encodeAdu(m.value);
        expectIs(bytes.toString('hex'), hexOf(m.bytes));
        const r = decodeAdu(bytes);
        expectSame(r.ok && r.frame, m.value);
      }),
      MANY_RUNS,
    );
  });
});

describe('values first: hand-written minimal inputs encode to the canonical bytes and decode to the meaning', () => {
  it('refs as bare codes, names or {code}; addresses as value or hex; states as flags; analogs as value; descriptions as text; version omitted', () => {
    fc.assert(
      fc.property(anyFrameModel, (m) => {
        const bytes = encodeFrame(m.minimal);
        expectIs(bytes.toString('hex'), m.bytes.toString('hex'));
        expectSame(decodedOrThrow(bytes), m.value);
      }),
      MANY_RUNS,
    );
  });

  it('at ADU level, encodeAdu takes the same minimal forms', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KNOWN_TYPES).chain((c) => knownAduModel(c)),
        (m) => {
          expectIs(encodeAdu(m.minimal).toString('hex'), hexOf(m.bytes));
        },
      ),
      MANY_RUNS,
    );
  });

  const example = {
    serial: 7,
    sentAt: '2024-01-02T03:04:06',
    source: { value: '889' },
    destination: { value: 88888 },
    command: { name: 'send-data' },
    adu: {
      type: { code: 2 },
      objects: [
        {
          systemType: 1,
          systemAddress: 1,
          componentType: 40,
          componentAddress: { value: 5 },
          state: { flags: ['fire-alarm'] },
          description: '厨房',
          occurredAt: '2024-01-02T03:04:05',
        },
      ],
    },
  };

  it('the brief example (type 2, flags only, text description) decodes to the same meaning', () => {
    const frame = decodedOrThrow(encodeFrame(example));
    expect(frame).toMatchObject({
      serial: 7,
      version: { major: 1, minor: 1 },
      sentAt: '2024-01-02T03:04:06',
      source: { hex: '790300000000', value: '889' },
      destination: { hex: '385b01000000', value: '88888' },
      command: { code: 2, name: 'send-data' },
      adu: {
        type: { code: 2, name: 'component-state' },
        objects: [
          {
            systemType: { code: 1, name: 'fire-alarm-system' },
            systemAddress: 1,
            componentType: { code: 40, name: 'smoke-detector' },
            componentAddress: { hex: '05000000', value: 5, low16: 5, high16: 0 },
            state: { raw: 2, flags: ['fire-alarm'] },
            description: '厨房',
            descriptionRaw: `b3f8b7bf${'00'.repeat(27)}`,
            occurredAt: '2024-01-02T03:04:05',
          },
        ],
      },
    });
  });

  it('the brief example shape with any serial, times, addresses, flags and fitting text keeps its meaning', () => {
    const arb = fc.record({
      serial: fc.integer({ min: 0, max: 0xffff }),
      sentAt: bytesOf(6).map(timeLabel),
      occurredAt: bytesOf(6).map(timeLabel),
      source: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      destination: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      flags: fc.subarray([...COMPONENT_STATE_BITS]),
      description: descriptionText(31),
      componentAddress: fc.integer({ min: 0, max: 0xffffffff }),
    });
    fc.assert(
      fc.property(arb, (v) => {
        const input = {
          ...example,
          serial: v.serial,
          sentAt: v.sentAt,
          source: { value: String(v.source) },
          destination: { value: v.destination },
          adu: {
            type: { code: 2 },
            objects: [
              {
                systemType: 1,
                systemAddress: 1,
                componentType: 40,
                componentAddress: { value: v.componentAddress },
                state: { flags: v.flags },
                description: v.description,
                occurredAt: v.occurredAt,
              },
            ],
          },
        };
        const frame = decodedOrThrow(encodeFrame(input));
        expect(frame).toMatchObject({
          serial: v.serial,
          sentAt: v.sentAt,
          source: { value: String(v.source) },
          destination: { value: String(v.destination) },
          adu: {
            objects: [
              {
                componentAddress: { value: v.componentAddress },
                state: { flags: v.flags },
                description: v.description,
                occurredAt: v.occurredAt,
              },
            ],
          },
        });
      }),
      RUNS,
    );
  });
});

describe('encoder validation: out-of-range input throws a Gb26875Error naming the field', () => {
  it('serial outside 0–65535, fractional or not a number → invalid-value at frame.serial', () => {
    const badSerial = fc.oneof(
      fc.integer({ min: 0x10000, max: 2 ** 40 }),
      fc.integer({ min: -(2 ** 31), max: -1 }),
      fc.double({ min: 0, max: 65535, noNaN: true }).filter((d) => !Number.isInteger(d)),
      fc.constantFrom<unknown>('1', null, true, NaN, Infinity, undefined),
    );
    fc.assert(
      fc.property(smallFrameModel, fc.boolean(), badSerial, (m, minimal, serial) => {
        const input = minimal ? m.minimal : (viaJson(m.value) as unknown as Record<string, unknown>);
        expectRefusal(() => encodeFrame({ ...input, serial }), 'invalid-value', 'frame.serial');
      }),
      RUNS,
    );
  });

  it('systemAddress ≥ 256 (or negative, fractional) → invalid-value at adu.objects[i].systemAddress', () => {
    const withSystem = KNOWN_TYPES.filter((c) => layoutOf(c).fields.includes('sys'));
    const bad = fc.oneof(
      fc.integer({ min: 256, max: 2 ** 31 }),
      fc.integer({ min: -(2 ** 31), max: -1 }),
      fc.double({ min: 0, max: 255, noNaN: true }).filter((d) => !Number.isInteger(d)),
    );
    fc.assert(
      fc.property(framesWithObject(withSystem), bad, ({ input, index }, address) => {
        expectRefusal(
          () => encodeFrame(withObject(input, index, (o) => ({ ...o, systemAddress: address }))),
          'invalid-value',
          `adu.objects[${index}].systemAddress`,
        );
      }),
      RUNS,
    );
  });

  it('a description longer than its field in GB18030 (31 bytes; 255 prefixed) → invalid-value at .description', () => {
    fc.assert(
      fc.property(
        framesWithObject([2, 6, 7, 26]).chain((x) =>
          fc.tuple(fc.constant(x), longText(x.code === 2 || x.code === 7 ? 31 : 255)),
        ),
        ([{ input, index }, text]) => {
          expectRefusal(
            () =>
              encodeFrame(withObject(input, index, (o) => ({ ...o, description: text, descriptionRaw: undefined }))),
            'invalid-value',
            `adu.objects[${index}].description`,
          );
        },
      ),
      RUNS,
    );
  });

  it('a descriptionRaw longer than the field → invalid-value at .descriptionRaw', () => {
    fc.assert(
      fc.property(
        framesWithObject([2, 7]),
        fc.array(byte, { minLength: 32, maxLength: 300 }),
        ({ input, index }, raw) => {
          expectRefusal(
            () => encodeFrame(withObject(input, index, (o) => ({ ...o, descriptionRaw: hexOf(raw) }))),
            'invalid-value',
            `adu.objects[${index}].descriptionRaw`,
          );
        },
      ),
      RUNS,
    );
  });

  it('state flags that disagree with raw → invalid-value at .state.flags', () => {
    const tables: Partial<Record<KnownAduType, BitTable>> = {
      1: SYSTEM_STATE_BITS,
      2: COMPONENT_STATE_BITS,
      21: UITD_STATE_BITS,
    };
    fc.assert(
      fc.property(
        framesWithObject([1, 2, 21]),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        ({ code, input, index }, raw0, claimed0) => {
          const table = tables[code] ?? [];
          const max = code === 21 ? 0xff : 0xffff;
          const raw = raw0 & max;
          let claimed = claimed0 & namedBits(table);
          if (claimed === (raw & namedBits(table))) claimed ^= 1 << (raw0 % table.length);
          expectRefusal(
            () =>
              encodeFrame(
                withObject(input, index, (o) => ({ ...o, state: { raw, flags: flagNames(table, claimed) } })),
              ),
            'invalid-value',
            `adu.objects[${index}].state.flags`,
          );
        },
      ),
      RUNS,
    );
  });

  it('unknown flag or operation names → invalid-value at .state.flags / .operations', () => {
    const tables: Partial<Record<KnownAduType, BitTable>> = {
      1: SYSTEM_STATE_BITS,
      2: COMPONENT_STATE_BITS,
      21: UITD_STATE_BITS,
      4: SYSTEM_OPERATION_BITS,
      24: UITD_OPERATION_BITS,
    };
    const unknownName = fc.oneof(
      fc.string().filter((s) => !Object.values(tables).some((t) => t?.includes(s))),
      fc.constantFrom<unknown>('Fire-Alarm', 'fire_alarm', 'power-fault ', 'duty-check-answer', 'unknown', 1, null),
    );
    fc.assert(
      fc.property(
        framesWithObject([1, 2, 21, 4, 24]),
        unknownName,
        fc.nat(),
        fc.boolean(),
        ({ code, input, index }, name, at, withRaw) => {
          const table = tables[code] ?? [];
          // 'duty-check-answer' is a UITD operation, not a BFF one; skip where it is legitimate.
          fc.pre(!(typeof name === 'string' && table.includes(name)));
          const ops = code === 4 || code === 24;
          const flags: unknown[] = flagNames(table, 0b101);
          flags.splice(at % (flags.length + 1), 0, name);
          const patch = (o: Record<string, unknown>): Record<string, unknown> =>
            ops
              ? { ...o, operations: flags, operationsRaw: withRaw ? 0b101 : undefined }
              : { ...o, state: withRaw ? { raw: 0b101, flags } : { flags } };
          expectRefusal(
            () => encodeFrame(withObject(input, index, patch)),
            'invalid-value',
            `adu.objects[${index}].${ops ? 'operations' : 'state.flags'}`,
          );
        },
      ),
      RUNS,
    );
  });

  it('an analog value that is not a multiple of the resolution, out of int16 range, or on a scale-less type → invalid-value at .value', () => {
    const scaled = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const badAnalog = fc.oneof(
      // Not a multiple of 10^-decimals.
      fc
        .tuple(fc.constantFrom(...scaled), fc.integer({ min: -32000, max: 32000 }), fc.integer({ min: 1, max: 999 }))
        .map(([t, k, m]) => ({ t, value: (k + m / 1000) / 10 ** (analogRefOf(t).decimals ?? 0) })),
      // A multiple, but its raw value does not fit int16.
      fc
        .tuple(
          fc.constantFrom(...scaled),
          fc.oneof(fc.integer({ min: 32768, max: 10_000_000 }), fc.integer({ min: -10_000_000, max: -32769 })),
        )
        .map(([t, raw]) => ({ t, value: raw / 10 ** (analogRefOf(t).decimals ?? 0) })),
      // A number on a type with no known scale (unused, reserved, user-defined).
      fc
        .tuple(fc.oneof(fc.constant(0), fc.integer({ min: 13, max: 255 })), fc.integer({ min: -100, max: 100 }))
        .map(([t, value]) => ({ t, value })),
      fc.constantFrom(...scaled).map((t) => ({ t, value: '12' as unknown })),
    );
    fc.assert(
      fc.property(framesWithObject([3]), badAnalog, ({ input, index }, { t, value }) => {
        expectRefusal(
          () =>
            encodeFrame(
              withObject(input, index, (o) => ({ ...o, analogType: { code: t }, rawValue: undefined, value })),
            ),
          'invalid-value',
          `adu.objects[${index}].value`,
        );
      }),
      RUNS,
    );
  });

  it('hex of the wrong length → invalid-value at source.hex / destination.hex / componentAddress.hex', () => {
    const wrong = (n: number) =>
      fc
        .array(byte, { maxLength: 12 })
        .filter((b) => b.length !== n)
        .map(hexOf);
    fc.assert(
      fc.property(smallFrameModel, fc.constantFrom('source', 'destination'), wrong(6), (m, field, hex) => {
        const input = viaJson(m.value) as unknown as Record<string, unknown>;
        expectRefusal(() => encodeFrame({ ...input, [field]: { hex } }), 'invalid-value', `${field}.hex`);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(framesWithObject([2, 3, 7, 62, 63, 67]), wrong(4), ({ input, index }, hex) => {
        expectRefusal(
          () => encodeFrame(withObject(input, index, (o) => ({ ...o, componentAddress: { hex } }))),
          'invalid-value',
          `adu.objects[${index}].componentAddress.hex`,
        );
      }),
      RUNS,
    );
  });

  it('malformed hex (odd length, non-hex digits) → invalid-value at adu.raw / source.hex', () => {
    const malformed = fc.oneof(
      fc.array(byte, { maxLength: 20 }).map((b) => `${hexOf(b)}a`),
      fc
        .tuple(fc.array(byte, { maxLength: 20 }), fc.constantFrom('g', 'z', '-', ':', 'é', '0x', 'x'), fc.nat())
        .map(([b, c, at]) => {
          const h = hexOf(b);
          const i = (at % (h.length / 2 + 1)) * 2;
          return `${h.slice(0, i)}${c}${c}${h.slice(i)}`;
        }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          opaqueFrameModels['reserved type codes (0–127 without a layout)'],
          opaqueFrameModels['user-defined commands (128–255), opaque ADU of any type byte'],
        ),
        malformed,
        (m, raw) => {
          const input = viaJson(m.value) as unknown as Record<string, unknown>;
          const adu = input['adu'] as Record<string, unknown>;
          expectRefusal(() => encodeFrame({ ...input, adu: { ...adu, raw } }), 'invalid-value', 'adu.raw');
        },
      ),
      RUNS,
    );
    fc.assert(
      fc.property(smallFrameModel, malformed, (m, hex) => {
        const input = viaJson(m.value) as unknown as Record<string, unknown>;
        expectRefusal(() => encodeFrame({ ...input, source: { hex } }), 'invalid-value', 'source.hex');
      }),
      RUNS,
    );
  });

  it('more objects than fit in 1024 bytes → adu-too-long; more than 255 objects → invalid-value at adu.objects', () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom(...KNOWN_TYPES)
          .chain((code) => fc.tuple(knownAduModel(code, 1, 1), fc.integer({ min: 1, max: 300 }))),
        ([adu, extra]) => {
          // One object (with its time label, if it has one), repeated until it no longer fits.
          const size = adu.bytes.length - 2;
          const n = Math.floor((MAX_ADU_LENGTH - 2) / size) + extra;
          const o = (adu.value['objects'] as unknown[])[0];
          const input = {
            serial: 1,
            sentAt: '2024-01-01T00:00:00',
            source: '1',
            destination: '2',
            command: 2,
            adu: { type: adu.value['type'], objects: Array<unknown>(n).fill(o) },
          };
          if (n > 255) expectRefusal(() => encodeFrame(input), 'invalid-value', 'adu.objects');
          else expectRefusal(() => encodeFrame(input), 'adu-too-long', /1024/);
        },
      ),
      RUNS,
    );
  });

  it('an opaque raw ADU over 1024 bytes → adu-too-long, at frame and ADU level', () => {
    fc.assert(
      fc.property(
        fc.oneof(reservedType, userDefinedType),
        fc.array(byte, { minLength: 1024, maxLength: 3000 }),
        USER_COMMAND,
        (t, body, command) => {
          const raw = hexOf([t, ...body]);
          const frame = {
            serial: 1,
            sentAt: '2024-01-01T00:00:00',
            source: '1',
            destination: '2',
            command,
            adu: { type: { code: t }, raw },
          };
          expectRefusal(() => encodeFrame(frame), 'adu-too-long', /1024/);
          expectRefusal(() => encodeFrame({ ...frame, command: 2 }), 'adu-too-long', /1024/);
          expectRefusal(() => encodeAdu({ type: { code: t }, raw }), 'adu-too-long', /1024/);
        },
      ),
      RUNS,
    );
  });
});

describe('encoder robustness: any one-field mutation of a valid input', () => {
  type Path = ReadonlyArray<string | number>;

  function containerPaths(v: unknown, at: Path = []): Path[] {
    if (Array.isArray(v)) return v.flatMap((x, i) => [[...at, i], ...containerPaths(x, [...at, i])]);
    if (typeof v === 'object' && v !== null) {
      return Object.entries(v).flatMap(([k, x]) => [[...at, k], ...containerPaths(x, [...at, k])]);
    }
    return [];
  }

  function setAt(root: unknown, path: Path, replacement: unknown): unknown {
    const [head, ...rest] = path;
    if (head === undefined) return replacement;
    if (Array.isArray(root)) return root.map((x, i) => (i === head ? setAt(x, rest, replacement) : x));
    const o = root as Record<string, unknown>;
    return { ...o, [head]: setAt(o[String(head)], rest, replacement) };
  }

  const replacement = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom<unknown>(
      undefined,
      NaN,
      Infinity,
      -Infinity,
      -1,
      256,
      65536,
      2 ** 32,
      2 ** 48,
      2 ** 53,
      1.5,
      -0,
      '',
      'zz',
      '0x',
      [],
      {},
      null,
      true,
    ),
  );

  it('either throws a Gb26875Error (invalid-value or adu-too-long) or yields a frame decodeFrame accepts and that re-encodes identically', () => {
    fc.assert(
      fc.property(
        anyFrameModel.chain((m) =>
          fc.boolean().chain((useMinimal) => {
            const input: unknown = useMinimal ? m.minimal : viaJson(m.value);
            const paths = containerPaths(input);
            return fc.tuple(fc.constant(input), fc.constantFrom(...paths), replacement);
          }),
        ),
        ([input, path, value]) => {
          const mutated = setAt(input, path, value) as Record<string, unknown>;
          let out: Buffer;
          try {
            out = encodeFrame(mutated);
          } catch (e) {
            if (e instanceof Gb26875Error && (e.code === 'invalid-value' || e.code === 'adu-too-long')) return;
            throw e;
          }
          const frame = decodedOrThrow(out);
          expectIs(encodeFrame(viaJson(frame)).toString('hex'), out.toString('hex'));
        },
      ),
      MANY_RUNS,
    );
  });
});
