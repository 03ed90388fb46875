/**
 * The state and operation bit fields of GB/T 26875.3, bit 0 first, with the flag names fixed in
 * `shared/spec/contract.md`. A flag is listed when its bit is 1; reserved bits have no name and
 * survive only in the raw value.
 */
export type BitTable = readonly string[];

/** BFF system state 系统状态, §8.2.1.1 Fig. 6 (2 bytes). Bit 0 = 1 is normal operation, 0 is test. */
export const SYSTEM_STATE_BITS: BitTable = [
  'normal',
  'fire-alarm',
  'fault',
  'shielded',
  'supervisory',
  'started',
  'feedback',
  'delayed',
  'main-power-fault',
  'backup-power-fault',
  'bus-fault',
  'manual-mode',
  'config-changed',
  'reset',
];

/** BFF component state 部件状态, §8.2.1.2 Fig. 7 (2 bytes): bits 0–7 as the system state, bit 8 power fault. */
export const COMPONENT_STATE_BITS: BitTable = [
  'normal',
  'fire-alarm',
  'fault',
  'shielded',
  'supervisory',
  'started',
  'feedback',
  'delayed',
  'power-fault',
];

/** UITD running state 用户信息传输装置运行状态, §8.2.1.8 Fig. 13 (1 byte). */
export const UITD_STATE_BITS: BitTable = [
  'normal',
  'fire-alarm',
  'fault',
  'main-power-fault',
  'backup-power-fault',
  'channel-fault',
  'line-fault',
];

/** BFF operation flags 操作标志, §8.2.1.4 Fig. 9 (1 byte). */
export const SYSTEM_OPERATION_BITS: BitTable = [
  'reset',
  'silence',
  'manual-alarm',
  'alarm-clear',
  'self-check',
  'acknowledge',
  'test',
];

/** UITD operation flags, §8.2.1.9 Fig. 14: as the BFF flags, but bit 5 is the duty-check answer 查岗应答. */
export const UITD_OPERATION_BITS: BitTable = [
  'reset',
  'silence',
  'manual-alarm',
  'alarm-clear',
  'self-check',
  'duty-check-answer',
  'test',
];

export function flagsOf(table: BitTable, raw: number): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < table.length; bit++) if ((raw >>> bit) & 1) out.push(table[bit] as string);
  return out;
}

/** The bits for a list of names; returns the first unknown name instead when there is one. */
export function bitsOf(table: BitTable, names: readonly unknown[]): number | { unknown: unknown } {
  let raw = 0;
  for (const name of names) {
    const bit = typeof name === 'string' ? table.indexOf(name) : -1;
    if (bit < 0) return { unknown: name };
    raw |= 1 << bit;
  }
  return raw;
}

/** Mask of the bits that have a name. */
export function namedMask(table: BitTable): number {
  return (1 << table.length) - 1;
}
