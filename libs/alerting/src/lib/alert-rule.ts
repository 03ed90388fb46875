import { z } from 'zod';

/**
 * Alert rules are data: each says which observations it applies to, when its condition is
 * active, the alert it raises and the clause that alert serves. The defaults (`DEFAULT_RULES`)
 * cover CQC/SC 11002 4.3.1 and every 4.3.2 item a–f; a unit or a device can replace a rule by
 * id (another threshold, other components, `enabled: false`) — rows of `alert_rules`, validated
 * with `alertRuleSchema`.
 */
const codes = z.array(z.number().int().min(0).max(255)).min(1).max(256).readonly();
const names = z.array(z.string().min(1).max(60)).min(1).max(50).readonly();

export const conditionSchema = z.discriminatedUnion('on', [
  /** GB/T 26875.3 state words (types 1, 2, 21): active while any of `flags` is set. */
  z.strictObject({
    on: z.literal('state'),
    aduTypes: z
      .array(z.union([z.literal(1), z.literal(2), z.literal(21)]))
      .min(1)
      .readonly(),
    flags: names,
    systemTypes: codes.optional(),
    componentTypes: codes.optional(),
    excludeComponentTypes: codes.optional(),
  }),
  /** GB/T 26875.3 analog values (type 3): active while outside [above, below]. */
  z.strictObject({
    on: z.literal('analog'),
    analogTypes: names,
    componentTypes: codes.optional(),
    below: z.number().optional(),
    above: z.number().optional(),
  }),
  /** MQTT sensor readings: a field's value in / not in a set, or a number below / above. */
  z.strictObject({
    on: z.literal('sensor'),
    sensorKinds: names,
    field: z.string().min(1).max(60),
    in: names.optional(),
    notIn: names.optional(),
    below: z.number().optional(),
    above: z.number().optional(),
    /** Other fields that must have one of the given values (e.g. `point`). */
    where: z.record(z.string().min(1).max(60), names).optional(),
  }),
]);
export type Condition = z.infer<typeof conditionSchema>;

export const alertRuleSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,79}$/, 'rule id: lower-case letters, digits, dots, dashes'),
    kind: z.enum(['fire-alarm', 'fault', 'abnormal']),
    clause: z.enum(['4.3.1', '4.3.2']),
    item: z.enum(['a', 'b', 'c', 'd', 'e', 'f']).nullable(),
    title: z.strictObject({ zh: z.string().min(1).max(60), en: z.string().min(1).max(120) }),
    when: conditionSchema,
    /** Only these subjects of the device (`sys:1/1/comp:131082`, `sensor`); device rules use it. */
    subjects: names.optional(),
    enabled: z.boolean().default(true),
  })
  .refine((r) => (r.kind === 'fire-alarm') === (r.clause === '4.3.1'), {
    message: 'fire alarms serve clause 4.3.1, faults and abnormal states 4.3.2',
  })
  .refine(
    (r) =>
      r.when.on === 'state' ||
      r.when.below !== undefined ||
      r.when.above !== undefined ||
      (r.when.on === 'sensor' && (r.when.in !== undefined || r.when.notIn !== undefined)),
    { message: 'a threshold (below/above) or a value set (in/notIn) is required' },
  );
export type AlertRule = z.infer<typeof alertRuleSchema>;

/** Fire detectors (GB/T 26875.3 Table 5): heat, smoke, multi-sensor, flame, image, acoustic. */
export const FIRE_DETECTOR_TYPES: readonly number[] = [
  25, 30, 31, 32, 33, 34, 35, 36, 37, 40, 41, 42, 43, 44, 50, 51, 52, 53, 61, 62, 69, 78, 79,
];
/** Fire pumps (91) and sprinkler pumps (95); a jockey pump is a component a device rule names. */
export const PUMP_TYPES: readonly number[] = [91, 95];
const WATER_TANK = 92;
const PUMP_SYSTEMS = [11, 12, 14]; // hydrant, automatic sprinkler, water-spray pump start

/** The most unfavourable point / hydrant static pressure floor, MPa (GB 50974 §3.5: ≥ 0.10 MPa). */
export const DEFAULT_LOW_PRESSURE_MPA = 0.1;
/** Tank level floor, metres: a device rule sets the tank's own level. */
export const DEFAULT_LOW_LEVEL_M = 1.0;

const rule = (r: Omit<AlertRule, 'enabled'>): AlertRule => Object.freeze({ ...r, enabled: true });

export const DEFAULT_RULES: readonly AlertRule[] = Object.freeze([
  // CQC/SC 11002 4.3.1: fire alarms.
  rule({
    id: 'fire.state',
    kind: 'fire-alarm',
    clause: '4.3.1',
    item: null,
    title: { zh: '火警', en: 'Fire alarm' },
    when: { on: 'state', aduTypes: [1, 2, 21], flags: ['fire-alarm'] },
  }),
  rule({
    id: 'fire.sensor',
    kind: 'fire-alarm',
    clause: '4.3.1',
    item: null,
    title: { zh: '火警', en: 'Fire alarm' },
    when: { on: 'sensor', sensorKinds: ['smoke-detector'], field: 'state', in: ['fire-alarm'] },
  }),
  // 4.3.2 a) fire detector fault.
  rule({
    id: 'a.detector-fault.state',
    kind: 'fault',
    clause: '4.3.2',
    item: 'a',
    title: { zh: '火灾探测器故障', en: 'Fire detector fault' },
    when: { on: 'state', aduTypes: [2], flags: ['fault'], componentTypes: FIRE_DETECTOR_TYPES },
  }),
  rule({
    id: 'a.detector-fault.sensor',
    kind: 'fault',
    clause: '4.3.2',
    item: 'a',
    title: { zh: '火灾探测器故障', en: 'Fire detector fault' },
    when: { on: 'sensor', sensorKinds: ['smoke-detector'], field: 'state', in: ['fault'] },
  }),
  // 4.3.2 b) fire water tank / pool level abnormal.
  rule({
    id: 'b.tank-level.analog',
    kind: 'abnormal',
    clause: '4.3.2',
    item: 'b',
    title: { zh: '消防水箱(池)液位异常', en: 'Fire water tank level abnormal' },
    when: { on: 'analog', analogTypes: ['height'], componentTypes: [WATER_TANK], below: DEFAULT_LOW_LEVEL_M },
  }),
  rule({
    id: 'b.tank-level.sensor',
    kind: 'abnormal',
    clause: '4.3.2',
    item: 'b',
    title: { zh: '消防水箱(池)液位异常', en: 'Fire water tank level abnormal' },
    when: { on: 'sensor', sensorKinds: ['water-level'], field: 'value', below: DEFAULT_LOW_LEVEL_M },
  }),
  // 4.3.2 c) low pressure at the most unfavourable point of a water-supply zone.
  rule({
    id: 'c.unfavourable-point.analog',
    kind: 'abnormal',
    clause: '4.3.2',
    item: 'c',
    title: { zh: '最不利点压力低', en: 'Low pressure at the most unfavourable point' },
    when: { on: 'analog', analogTypes: ['pressure-mpa'], below: DEFAULT_LOW_PRESSURE_MPA },
  }),
  rule({
    id: 'c.unfavourable-point.sensor',
    kind: 'abnormal',
    clause: '4.3.2',
    item: 'c',
    title: { zh: '最不利点压力低', en: 'Low pressure at the most unfavourable point' },
    when: {
      on: 'sensor',
      sensorKinds: ['water-pressure'],
      field: 'value',
      below: DEFAULT_LOW_PRESSURE_MPA,
      where: { point: ['most-unfavourable-point'] },
    },
  }),
  // 4.3.2 d) fire pump / jockey pump control cabinet not in automatic mode.
  rule({
    id: 'd.pump-not-auto.state',
    kind: 'abnormal',
    clause: '4.3.2',
    item: 'd',
    title: { zh: '消防泵控制柜处于非自动状态', en: 'Pump control cabinet not in automatic mode' },
    when: { on: 'state', aduTypes: [1], flags: ['manual-mode'], systemTypes: PUMP_SYSTEMS },
  }),
  rule({
    id: 'd.pump-not-auto.sensor',
    kind: 'abnormal',
    clause: '4.3.2',
    item: 'd',
    title: { zh: '消防泵控制柜处于非自动状态', en: 'Pump control cabinet not in automatic mode' },
    when: { on: 'sensor', sensorKinds: ['pump-cabinet'], field: 'mode', notIn: ['auto'] },
  }),
  // 4.3.2 e) fire pump / jockey pump control cabinet power fault.
  rule({
    id: 'e.pump-power.state',
    kind: 'fault',
    clause: '4.3.2',
    item: 'e',
    title: { zh: '消防泵控制柜电源故障', en: 'Pump control cabinet power fault' },
    when: { on: 'state', aduTypes: [2], flags: ['power-fault'], componentTypes: PUMP_TYPES },
  }),
  rule({
    id: 'e.pump-power.sensor',
    kind: 'fault',
    clause: '4.3.2',
    item: 'e',
    title: { zh: '消防泵控制柜电源故障', en: 'Pump control cabinet power fault' },
    when: { on: 'sensor', sensorKinds: ['pump-cabinet'], field: 'power', in: ['fault'] },
  }),
  // 4.3.2 f) test hydrant / outdoor hydrant low pressure.
  rule({
    id: 'f.hydrant-pressure.sensor',
    kind: 'abnormal',
    clause: '4.3.2',
    item: 'f',
    title: { zh: '消火栓压力低', en: 'Hydrant low pressure' },
    when: {
      on: 'sensor',
      sensorKinds: ['water-pressure'],
      field: 'value',
      below: DEFAULT_LOW_PRESSURE_MPA,
      where: { point: ['test-hydrant', 'outdoor-hydrant'] },
    },
  }),
  // Other faults (4.3.2 "at least" a–f): components, systems, the UITD itself, sensors.
  rule({
    id: 'fault.component',
    kind: 'fault',
    clause: '4.3.2',
    item: null,
    title: { zh: '部件故障', en: 'Component fault' },
    when: {
      on: 'state',
      aduTypes: [2],
      flags: ['fault'],
      excludeComponentTypes: [...FIRE_DETECTOR_TYPES],
    },
  }),
  rule({
    id: 'fault.component-power',
    kind: 'fault',
    clause: '4.3.2',
    item: null,
    title: { zh: '部件电源故障', en: 'Component power fault' },
    when: { on: 'state', aduTypes: [2], flags: ['power-fault'], excludeComponentTypes: PUMP_TYPES },
  }),
  rule({
    id: 'fault.system',
    kind: 'fault',
    clause: '4.3.2',
    item: null,
    title: { zh: '系统故障', en: 'System fault' },
    when: { on: 'state', aduTypes: [1], flags: ['fault', 'main-power-fault', 'backup-power-fault', 'bus-fault'] },
  }),
  rule({
    id: 'fault.uitd',
    kind: 'fault',
    clause: '4.3.2',
    item: null,
    title: { zh: '用户信息传输装置故障', en: 'Transmission device fault' },
    when: {
      on: 'state',
      aduTypes: [21],
      flags: ['fault', 'main-power-fault', 'backup-power-fault', 'channel-fault', 'line-fault'],
    },
  }),
  rule({
    id: 'fault.sensor',
    kind: 'fault',
    clause: '4.3.2',
    item: null,
    title: { zh: '探测器异常', en: 'Detector abnormal' },
    when: { on: 'sensor', sensorKinds: ['smoke-detector'], field: 'state', in: ['low-battery', 'tamper'] },
  }),
]);

/**
 * The rules in force for one device: the defaults, replaced by id with the unit's rules, then
 * with the device's; a rule with `enabled: false` is dropped; new ids are added.
 */
export function effectiveRules(
  defaults: readonly AlertRule[],
  unitRules: readonly AlertRule[],
  deviceRules: readonly AlertRule[],
): readonly AlertRule[] {
  const byId = new Map<string, AlertRule>();
  for (const r of defaults) byId.set(r.id, r);
  for (const r of unitRules) byId.set(r.id, r);
  for (const r of deviceRules) byId.set(r.id, r);
  return [...byId.values()].filter((r) => r.enabled);
}
