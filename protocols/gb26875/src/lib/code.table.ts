/**
 * The code tables of GB/T 26875.3 (Tables 2–6), with the English names fixed in
 * `shared/spec/contract.md`. Every table covers all 256 codes: an unlisted code is `reserved`,
 * a code in the user-defined range is `user-defined`; a lookup never fails.
 */

export interface CodeRef {
  readonly code: number;
  readonly name: string;
}

export interface AnalogTypeRef extends CodeRef {
  /** Unit of the engineering value; null where the standard gives none. */
  readonly unit: string | null;
  /** Engineering value = raw / 10^decimals; null when the scale is unknown (reserved, user-defined). */
  readonly decimals: number | null;
}

type Listing = Readonly<Record<number, string>>;

interface CodeTable<R extends CodeRef> {
  /** The reference for a code: always defined for 0–255. */
  readonly byCode: readonly R[];
  /** Code for a unique name; `reserved` and `user-defined` are not unique and not here. */
  readonly byName: ReadonlyMap<string, number>;
}

function buildTable(listing: Listing, userDefinedFrom: number): CodeTable<CodeRef> {
  const byCode: CodeRef[] = [];
  const byName = new Map<string, number>();
  for (let code = 0; code < 256; code++) {
    const listed = listing[code];
    const name = listed ?? (code >= userDefinedFrom ? 'user-defined' : 'reserved');
    byCode.push(Object.freeze({ code, name }));
    if (listed !== undefined) byName.set(listed, code);
  }
  return { byCode, byName };
}

/** Command byte 命令字节, GB/T 26875.3 §7, Table 2. */
export const COMMAND = {
  CONTROL: 1,
  SEND_DATA: 2,
  CONFIRM: 3,
  REQUEST: 4,
  RESPONSE: 5,
  DENY: 6,
} as const;

export const COMMANDS = buildTable(
  { 1: 'control', 2: 'send-data', 3: 'confirm', 4: 'request', 5: 'response', 6: 'deny' },
  128,
);

/** A command the standard defines (1–6) or a user-defined one (128–255); 0 and 7–127 are check errors (§6.5.3). */
export function isKnownCommand(code: number): boolean {
  return (code >= 1 && code <= 6) || code >= 128;
}

/** Type flag 类型标志 of the application data unit, GB/T 26875.3 §8.1 Table 3. */
export const ADU_TYPES = buildTable(
  {
    1: 'system-state',
    2: 'component-state',
    3: 'component-analog',
    4: 'system-operation',
    5: 'system-software-version',
    6: 'system-config',
    7: 'component-config',
    8: 'system-time',
    21: 'uitd-state',
    24: 'uitd-operation',
    25: 'uitd-software-version',
    26: 'uitd-config',
    28: 'uitd-time',
    61: 'read-system-state',
    62: 'read-component-state',
    63: 'read-component-analog',
    64: 'read-system-operation',
    65: 'read-system-software-version',
    66: 'read-system-config',
    67: 'read-component-config',
    68: 'read-system-time',
    81: 'read-uitd-state',
    84: 'read-uitd-operation',
    85: 'read-uitd-software-version',
    86: 'read-uitd-config',
    88: 'read-uitd-time',
    89: 'init-uitd',
    90: 'sync-uitd-clock',
    91: 'duty-check',
  },
  // Table 3 says 128–254; Table 2 uses 128–255 for command bytes. 255 is treated alike.
  128,
);

/** System type 系统类型, GB/T 26875.3 §8.2.1.1 Table 4. */
export const SYSTEM_TYPES = buildTable(
  {
    0: 'generic',
    1: 'fire-alarm-system',
    10: 'fire-linkage-controller',
    11: 'hydrant-system',
    12: 'automatic-sprinkler-system',
    13: 'gas-extinguishing-system',
    14: 'water-spray-pump-start',
    15: 'water-spray-pressure-vessel-start',
    16: 'foam-extinguishing-system',
    17: 'dry-powder-extinguishing-system',
    18: 'smoke-control-system',
    19: 'fire-door-and-shutter-system',
    20: 'fire-elevator',
    21: 'emergency-broadcast',
    22: 'emergency-lighting-and-evacuation',
    23: 'fire-power-supply',
    24: 'fire-telephone',
  },
  128,
);

/** Component type 部件类型, GB/T 26875.3 §8.2.1.2 Table 5 (complete). */
export const COMPONENT_TYPES = buildTable(
  {
    0: 'generic',
    1: 'fire-alarm-controller',
    10: 'combustible-gas-detector',
    11: 'point-combustible-gas-detector',
    12: 'standalone-combustible-gas-detector',
    13: 'line-combustible-gas-detector',
    16: 'electrical-fire-monitor',
    17: 'residual-current-electrical-fire-detector',
    18: 'temperature-electrical-fire-detector',
    21: 'detection-loop',
    22: 'fire-display-panel',
    23: 'manual-call-point',
    24: 'hydrant-button',
    25: 'fire-detector',
    30: 'heat-detector',
    31: 'point-heat-detector',
    32: 'point-heat-detector-s',
    33: 'point-heat-detector-r',
    34: 'line-heat-detector',
    35: 'line-heat-detector-s',
    36: 'line-heat-detector-r',
    37: 'fibre-optic-heat-detector',
    40: 'smoke-detector',
    41: 'point-ionisation-smoke-detector',
    42: 'point-photoelectric-smoke-detector',
    43: 'linear-beam-smoke-detector',
    44: 'aspirating-smoke-detector',
    50: 'multi-sensor-detector',
    51: 'smoke-heat-detector',
    52: 'flame-heat-detector',
    53: 'flame-smoke-detector',
    61: 'uv-flame-detector',
    62: 'ir-flame-detector',
    69: 'light-sensing-fire-detector',
    74: 'gas-detector',
    78: 'image-fire-detector',
    79: 'acoustic-fire-detector',
    81: 'gas-extinguishing-controller',
    82: 'fire-electrical-control-unit',
    83: 'graphic-display-unit',
    84: 'module',
    85: 'input-module',
    86: 'output-module',
    87: 'input-output-module',
    88: 'relay-module',
    91: 'fire-pump',
    92: 'fire-water-tank',
    95: 'sprinkler-pump',
    96: 'water-flow-indicator',
    97: 'signal-valve',
    98: 'alarm-valve',
    99: 'pressure-switch',
    101: 'valve-actuator',
    102: 'fire-door',
    103: 'fire-damper',
    104: 'ventilation-air-conditioning',
    105: 'foam-liquid-pump',
    106: 'pipe-network-solenoid-valve',
    111: 'smoke-control-fan',
    113: 'smoke-exhaust-fire-damper',
    114: 'air-supply-outlet',
    115: 'smoke-outlet',
    116: 'smoke-curtain',
    117: 'fire-shutter-controller',
    118: 'fire-door-monitor',
    121: 'alarm-device',
  },
  128,
);

/** Analog type 模拟量类型, GB/T 26875.3 §8.2.1.3 Table 6: unit and resolution (as decimals). */
const ANALOG_LISTING: Readonly<Record<number, readonly [string, string | null, number | null]>> = {
  0: ['unused', null, null],
  1: ['event-count', '件', 0],
  2: ['height', 'm', 2],
  3: ['temperature', '°C', 1],
  4: ['pressure-mpa', 'MPa', 1],
  5: ['pressure-kpa', 'kPa', 1],
  6: ['gas-concentration', '%LEL', 1],
  7: ['time', 's', 0],
  8: ['voltage', 'V', 1],
  9: ['current', 'A', 1],
  10: ['flow', 'L/s', 1],
  11: ['air-volume', 'm³/min', 1],
  12: ['wind-speed', 'm/s', 0],
};

export const ANALOG_TYPES: CodeTable<AnalogTypeRef> = (() => {
  const names = buildTable(Object.fromEntries(Object.entries(ANALOG_LISTING).map(([k, [name]]) => [k, name])), 128);
  const byCode = names.byCode.map((ref) => {
    const [, unit, decimals] = ANALOG_LISTING[ref.code] ?? [ref.name, null, null];
    return Object.freeze({ code: ref.code, name: ref.name, unit, decimals });
  });
  return { byCode, byName: names.byName };
})();
