import type { ByteReader, ByteWriter } from './byte-cursor.util';
import { Gb26875Error } from './gb26875.error';

/**
 * How a device writes the six bytes of a time label. The standard says plain binary;
 * some vendor firmwares write BCD (notes §7.1), so this is configurable per device.
 */
export type TimeEncoding = 'binary' | 'bcd';

const PAD2: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i).padStart(2, '0'));
const YEAR: readonly string[] = Array.from({ length: 256 }, (_, i) => String(2000 + i));
const LABEL = /^(\d{4})-(\d{2,3})-(\d{2,3})T(\d{2,3}):(\d{2,3}):(\d{2,3})$/;

function fromBcd(b: number): number {
  return (b >>> 4) * 10 + (b & 0x0f);
}

function toBcd(v: number): number {
  return ((Math.floor(v / 10) % 10) << 4) | (v % 10);
}

/*
 * Time label 时间标签 (GB/T 26875.3 §8.2.2), 6 bytes:
 *
 *   time-label = second(1) minute(1) hour(1) day(1) month(1) year(1)   ; year = 2000 + value
 *
 * Naive local time (Asia/Shanghai in practice). It is rendered as "YYYY-MM-DDTHH:mm:ss"
 * whatever the bytes hold: an out-of-range byte (month 0, second 75) is shown as read, never
 * refused, so that a device with a broken clock loses nothing and the frame re-encodes exactly.
 */
export function readTimeLabel(r: ByteReader, encoding: TimeEncoding): string {
  const b = r.buf;
  const p = r.pos;
  r.pos = p + 6;
  if (encoding === 'bcd') {
    return formatTime(
      fromBcd(b[p + 5] as number),
      fromBcd(b[p + 4] as number),
      fromBcd(b[p + 3] as number),
      fromBcd(b[p + 2] as number),
      fromBcd(b[p + 1] as number),
      fromBcd(b[p] as number),
    );
  }
  return formatTime(
    b[p + 5] as number,
    b[p + 4] as number,
    b[p + 3] as number,
    b[p + 2] as number,
    b[p + 1] as number,
    b[p] as number,
  );
}

function formatTime(y: number, mo: number, d: number, h: number, mi: number, s: number): string {
  return `${YEAR[y]}-${PAD2[mo]}-${PAD2[d]}T${PAD2[h]}:${PAD2[mi]}:${PAD2[s]}`;
}

function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : NaN;
}

/** Reused by parseCommonLabel: encoding is synchronous, and this runs twice per frame. */
const common = [0, 0, 0, 0, 0, 0];

/** The usual 19-character "YYYY-MM-DDTHH:mm:ss", read by character codes; null for anything else. */
function parseCommonLabel(s: string): readonly number[] | null {
  if (s.length !== 19 || s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return null;
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  common[0] = digit(s, 17) * 10 + digit(s, 18);
  common[1] = digit(s, 14) * 10 + digit(s, 15);
  common[2] = digit(s, 11) * 10 + digit(s, 12);
  common[3] = digit(s, 8) * 10 + digit(s, 9);
  common[4] = digit(s, 5) * 10 + digit(s, 6);
  common[5] = year - 2000;
  for (let i = 0; i < 6; i++) if (Number.isNaN(common[i])) return null;
  return year >= 2000 && year <= 2255 ? common : null;
}

/**
 * The six label values in wire order (sec, min, hour, day, month, year − 2000), validated.
 * The array may be shared: read it before the next call.
 */
export function parseTimeLabel(text: unknown, path: string): readonly number[] {
  const fast = typeof text === 'string' ? parseCommonLabel(text) : null;
  if (fast) return fast;
  const m = typeof text === 'string' ? LABEL.exec(text) : null;
  if (!m) {
    throw new Gb26875Error(
      'invalid-value',
      `${path}: expected a time label "YYYY-MM-DDTHH:mm:ss", got ${JSON.stringify(text)}`,
    );
  }
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (year < 2000 || year > 2255 || [month, day, hour, minute, second].some((v) => v > 255)) {
    throw new Gb26875Error('invalid-value', `${path}: ${text as string} does not fit the 6-byte time label`);
  }
  return [second, minute, hour, day, month, year - 2000];
}

export function writeTimeLabel(w: ByteWriter, text: unknown, path: string, encoding: TimeEncoding): void {
  w.pos = writeTimeLabelAt(w.reserve(6), w.pos, text, path, encoding);
}

/** Writes the six label bytes into `buf` at `offset`; returns the offset after them. */
export function writeTimeLabelAt(
  buf: Uint8Array,
  offset: number,
  text: unknown,
  path: string,
  encoding: TimeEncoding,
): number {
  const values = parseTimeLabel(text, path);
  for (let i = 0; i < 6; i++) {
    const v = values[i] as number;
    if (encoding === 'bcd' && v > 99) throw new Gb26875Error('invalid-value', `${path}: ${v} cannot be written as BCD`);
    buf[offset + i] = encoding === 'bcd' ? toBcd(v) : v;
  }
  return offset + 6;
}

/**
 * The time label for an instant, in a zone given as a fixed UTC offset (China has no DST, so
 * Asia/Shanghai is +480 minutes). Used for the label of confirms, denies and clock syncs.
 */
export function timeLabelFromDate(date: Date, utcOffsetMinutes = 480): string {
  const t = new Date(date.getTime() + utcOffsetMinutes * 60_000);
  return formatTime(
    t.getUTCFullYear() - 2000,
    t.getUTCMonth() + 1,
    t.getUTCDate(),
    t.getUTCHours(),
    t.getUTCMinutes(),
    t.getUTCSeconds(),
  );
}

/** The instant a time label stands for, or null when the label is not a real calendar time. */
export function timeLabelToDate(label: string, utcOffsetMinutes = 480): Date | null {
  const m = LABEL.exec(label);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (check.getUTCDate() !== d) return null; // 31 February and friends
  return new Date(ms - utcOffsetMinutes * 60_000);
}
