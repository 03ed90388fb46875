import { Gb26875Error } from './gb26875.error';

/**
 * Readers for the encoder's input, which may be untrusted JSON (the `fireiot encode` CLI, an
 * HTTP body). Each names the field's path in its error, so a bad input says exactly what is wrong.
 */
export type InputRecord = Readonly<Record<string, unknown>>;

export function invalid(path: string, expected: string, got: unknown): Gb26875Error {
  return new Gb26875Error(
    'invalid-value',
    got === undefined
      ? `${path}: missing, expected ${expected}`
      : `${path}: expected ${expected}, got ${JSON.stringify(got)}`,
  );
}

export function asRecord(value: unknown, path: string): InputRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'an object', value);
  return value as InputRecord;
}

export function asArray(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) throw invalid(path, 'an array', value);
  return value;
}

export function asInt(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(path, `an integer ${min}–${max}`, value);
  }
  return value;
}

export function intField(obj: InputRecord, key: string, path: string, min: number, max: number, dflt?: number): number {
  const v = obj[key];
  if (v === undefined && dflt !== undefined) return dflt;
  // The common valid case builds no path string.
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  return asInt(v, `${path}.${key}`, min, max);
}

export function asString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalid(path, 'a string', value);
  return value;
}

/**
 * Throws unless every representation given for one value (up to three: label, value pairs)
 * agrees, or when none is given; returns that value.
 */
export function agree<T>(path: string, la: string, a: T | undefined, lb: string, b: T | undefined, lc = '', c?: T): T {
  let label = la;
  let found = a;
  if (b !== undefined) {
    if (found === undefined) [label, found] = [lb, b];
    else if (found !== b) throw disagree(path, label, found, lb, b);
  }
  if (c !== undefined) {
    if (found === undefined) [label, found] = [lc, c];
    else if (found !== c) throw disagree(path, label, found, lc, c);
  }
  if (found === undefined) {
    throw new Gb26875Error('invalid-value', `${path}: needs one of ${[la, lb, lc].filter(Boolean).join(', ')}`);
  }
  return found;
}

function disagree(path: string, la: string, a: unknown, lb: string, b: unknown): Gb26875Error {
  return new Gb26875Error('invalid-value', `${path}: ${la} (${String(a)}) and ${lb} (${String(b)}) disagree`);
}

/** A code given as a number, a name, or `{ code, name }`; when both are given the name must be the code's. */
export function refCode(
  table: { byName: ReadonlyMap<string, number>; byCode: ReadonlyArray<{ name: string }> },
  value: unknown,
  path: string,
): number {
  if (typeof value === 'number') return asInt(value, path, 0, 255);
  const o: InputRecord = typeof value === 'string' ? { name: value } : asRecord(value, path);
  const name = o['name'] === undefined ? undefined : asString(o['name'], `${path}.name`);
  if (o['code'] !== undefined) {
    const code = asInt(o['code'], `${path}.code`, 0, 255);
    if (name !== undefined && table.byCode[code]?.name !== name) {
      throw new Gb26875Error('invalid-value', `${path}: code ${code} is '${table.byCode[code]?.name}', not '${name}'`);
    }
    return code;
  }
  const code = name === undefined ? undefined : table.byName.get(name);
  // 'reserved' and 'user-defined' name many codes: they need the code beside them.
  if (code === undefined) throw invalid(path, 'a code, or a name that is unique to one code', value);
  return code;
}
