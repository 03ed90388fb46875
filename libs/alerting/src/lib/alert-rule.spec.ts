import { ITEM_432, Item432 } from './alert-kind';
import {
  AlertRule,
  alertRuleSchema,
  DEFAULT_LOW_PRESSURE_MPA,
  DEFAULT_RULES,
  effectiveRules,
  FIRE_DETECTOR_TYPES,
  PUMP_TYPES,
} from './alert-rule';

/** A valid rule (4.3.2 b, tank level) to derive refusals and overrides from. */
const TANK: AlertRule = {
  id: 'b.tank-level.analog',
  kind: 'abnormal',
  clause: '4.3.2',
  item: 'b',
  title: { zh: '消防水箱(池)液位异常', en: 'Fire water tank level abnormal' },
  when: { on: 'analog', analogTypes: ['height'], componentTypes: [92], below: 2.5 },
  enabled: true,
};

function messagesOf(input: unknown): string[] {
  const result = alertRuleSchema.safeParse(input);
  expect(result.success).toBe(false);
  return result.success ? [] : result.error.issues.map((i) => i.message);
}

function byId(rules: readonly AlertRule[], id: string): AlertRule | undefined {
  return rules.find((r) => r.id === id);
}

describe('DEFAULT_RULES', () => {
  it.each(DEFAULT_RULES.map((r) => [r.id, r] as const))('%s parses with alertRuleSchema unchanged', (_id, rule) => {
    expect(alertRuleSchema.parse(rule)).toEqual(rule);
  });

  it('has unique ids, every rule enabled', () => {
    const ids = DEFAULT_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(DEFAULT_RULES.every((r) => r.enabled)).toBe(true);
  });

  it.each(Object.keys(ITEM_432) as Item432[])(
    'serves CQC/SC 11002 4.3.2 %s) with at least one enabled rule of clause 4.3.2',
    (item) => {
      const serving = DEFAULT_RULES.filter((r) => r.item === item);
      expect(serving.length).toBeGreaterThan(0);
      for (const r of serving) {
        expect(r.clause).toBe('4.3.2');
        expect(r.kind).not.toBe('fire-alarm');
      }
    },
  );

  it('serves 4.3.2 a–e from GB/T 26875.3 states or analog values and from MQTT sensors', () => {
    for (const item of ['a', 'b', 'c', 'd', 'e'] as const) {
      const sources = new Set(DEFAULT_RULES.filter((r) => r.item === item).map((r) => r.when.on));
      expect(sources.has('sensor')).toBe(true);
      expect(sources.has('state') || sources.has('analog')).toBe(true);
    }
  });

  it('raises fire alarms under CQC/SC 11002 4.3.1, from state words and smoke sensors', () => {
    const fire = DEFAULT_RULES.filter((r) => r.kind === 'fire-alarm');
    expect(fire.map((r) => r.when.on).sort()).toEqual(['sensor', 'state']);
    for (const r of fire) {
      expect(r.clause).toBe('4.3.1');
      expect(r.item).toBeNull();
    }
    expect(DEFAULT_RULES.filter((r) => r.clause === '4.3.1')).toEqual(fire);
  });

  it('watches the fire-alarm flag of all three state words (types 1, 2, 21) under 4.3.1', () => {
    const state = byId(DEFAULT_RULES, 'fire.state');
    expect(state?.when).toMatchObject({ on: 'state', flags: ['fire-alarm'] });
    expect(state?.when.on === 'state' && [...state.when.aduTypes].sort((a, b) => a - b)).toEqual([1, 2, 21]);
  });

  it('uses 0.10 MPa for the pressure floors of 4.3.2 c) and f) (GB 50974 §3.5)', () => {
    expect(DEFAULT_LOW_PRESSURE_MPA).toBe(0.1);
    for (const id of ['c.unfavourable-point.analog', 'c.unfavourable-point.sensor', 'f.hydrant-pressure.sensor']) {
      expect(byId(DEFAULT_RULES, id)?.when).toMatchObject({ below: 0.1 });
    }
  });

  it('keeps detectors and pumps out of the generic component rules (one alert per fault)', () => {
    const component = byId(DEFAULT_RULES, 'fault.component')?.when;
    const power = byId(DEFAULT_RULES, 'fault.component-power')?.when;
    expect(component?.on === 'state' && component.excludeComponentTypes).toEqual(FIRE_DETECTOR_TYPES);
    expect(power?.on === 'state' && power.excludeComponentTypes).toEqual(PUMP_TYPES);
  });

  it('cannot be changed at run time (frozen)', () => {
    expect(Object.isFrozen(DEFAULT_RULES)).toBe(true);
    expect(DEFAULT_RULES.every((r) => Object.isFrozen(r))).toBe(true);
  });
});

describe('alertRuleSchema', () => {
  it('accepts a unit rule and defaults `enabled` to true', () => {
    const { enabled: _enabled, ...withoutEnabled } = TANK;
    expect(alertRuleSchema.parse(withoutEnabled)).toEqual(TANK);
  });

  it('accepts a device rule limited to some subjects, and a sensor rule with a value set', () => {
    expect(alertRuleSchema.safeParse({ ...TANK, subjects: ['sys:11/1/comp:92'] }).success).toBe(true);
    const jockey = {
      id: 'd.jockey-pump',
      kind: 'abnormal',
      clause: '4.3.2',
      item: 'd',
      title: { zh: '稳压泵控制柜处于非自动状态', en: 'Jockey pump cabinet not in automatic mode' },
      when: { on: 'sensor', sensorKinds: ['pump-cabinet'], field: 'mode', in: ['manual', 'stopped'] },
    };
    expect(alertRuleSchema.safeParse(jockey).success).toBe(true);
  });

  it('refuses a fire alarm filed under clause 4.3.2, and a fault filed under 4.3.1', () => {
    const message = 'fire alarms serve clause 4.3.1, faults and abnormal states 4.3.2';
    expect(messagesOf({ ...TANK, kind: 'fire-alarm', clause: '4.3.2' })).toEqual([message]);
    expect(messagesOf({ ...TANK, kind: 'fault', clause: '4.3.1' })).toEqual([message]);
  });

  it('refuses an analog or numeric sensor rule without a threshold', () => {
    const message = 'a threshold (below/above) or a value set (in/notIn) is required';
    expect(messagesOf({ ...TANK, when: { on: 'analog', analogTypes: ['height'] } })).toEqual([message]);
    expect(messagesOf({ ...TANK, when: { on: 'sensor', sensorKinds: ['water-level'], field: 'value' } })).toEqual([
      message,
    ]);
  });

  it.each(['Fire.State', '', '-leading-dash', 'spaces here', 'x'.repeat(81), 'under_score'])(
    'refuses the rule id %j with a readable message',
    (id) => {
      expect(messagesOf({ ...TANK, id })).toEqual(['rule id: lower-case letters, digits, dots, dashes']);
    },
  );

  it('refuses unknown fields, 4.4.2 rules, an unknown 4.3.2 item and state words of other ADU types', () => {
    expect(messagesOf({ ...TANK, threshold: 1 }).length).toBeGreaterThan(0);
    expect(messagesOf({ ...TANK, kind: 'communication-loss', clause: '4.4.2' }).length).toBeGreaterThan(0);
    expect(messagesOf({ ...TANK, item: 'g' }).length).toBeGreaterThan(0);
    expect(messagesOf({ ...TANK, when: { on: 'state', aduTypes: [3], flags: ['fault'] } }).length).toBeGreaterThan(0);
    expect(messagesOf({ ...TANK, when: { on: 'state', aduTypes: [2], flags: [] } }).length).toBeGreaterThan(0);
  });
});

describe(effectiveRules.name, () => {
  const defaults = DEFAULT_RULES;

  it('is the defaults when neither the unit nor the device has rules', () => {
    expect(effectiveRules(defaults, [], [])).toEqual(defaults);
  });

  it("replaces a default by id with the unit's rule, keeping its place", () => {
    const unitTank = { ...TANK, when: { ...TANK.when, below: 2.5 } };
    const rules = effectiveRules(defaults, [unitTank], []);
    expect(rules).toHaveLength(defaults.length);
    expect(byId(rules, TANK.id)).toBe(unitTank);
    expect(rules.findIndex((r) => r.id === TANK.id)).toBe(defaults.findIndex((r) => r.id === TANK.id));
  });

  it("replaces the unit's rule with the device's", () => {
    const unitTank = { ...TANK, when: { on: 'analog' as const, analogTypes: ['height'], below: 2.5 } };
    const deviceTank = { ...TANK, when: { on: 'analog' as const, analogTypes: ['height'], below: 0.8 } };
    expect(byId(effectiveRules(defaults, [unitTank], [deviceTank]), TANK.id)).toBe(deviceTank);
  });

  it('drops a rule disabled by the unit, and lets the device enable it again', () => {
    const off = { ...TANK, enabled: false };
    expect(byId(effectiveRules(defaults, [off], []), TANK.id)).toBeUndefined();
    expect(effectiveRules(defaults, [off], [])).toHaveLength(defaults.length - 1);
    expect(byId(effectiveRules(defaults, [], [off]), TANK.id)).toBeUndefined();
    expect(byId(effectiveRules(defaults, [off], [TANK]), TANK.id)).toBe(TANK);
  });

  it('adds rules with new ids after the defaults (e.g. a jockey pump named by a device rule)', () => {
    const jockey: AlertRule = {
      id: 'e.jockey-pump-power',
      kind: 'fault',
      clause: '4.3.2',
      item: 'e',
      title: { zh: '稳压泵控制柜电源故障', en: 'Jockey pump cabinet power fault' },
      when: { on: 'state', aduTypes: [2], flags: ['power-fault'], componentTypes: [94] },
      enabled: true,
    };
    const rules = effectiveRules(defaults, [], [jockey]);
    expect(rules).toHaveLength(defaults.length + 1);
    expect(rules[rules.length - 1]).toBe(jockey);
  });

  it('leaves the defaults it was given untouched', () => {
    const before = JSON.stringify(defaults);
    effectiveRules(defaults, [{ ...TANK, enabled: false }], [{ ...TANK, id: 'x.new' }]);
    expect(JSON.stringify(defaults)).toBe(before);
  });
});
