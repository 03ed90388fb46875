import { AlertRule, DEFAULT_RULES } from './alert-rule';
import { classify, Evaluation } from './alert.classifier';
import { Observation } from './observation';
import { analog, componentState, sensor, systemState, uitdState } from './observation.test-util';

/** `rule id` for an active rule, `rule id (clear)` for one that applies but does not hold. */
function outcome(evaluations: readonly Evaluation[]): string[] {
  return evaluations.map((e) => (e.active ? e.rule.id : `${e.rule.id} (clear)`)).sort();
}

function active(evaluations: readonly Evaluation[]): string[] {
  return evaluations
    .filter((e) => e.active)
    .map((e) => e.rule.id)
    .sort();
}

const SMOKE_DETECTOR = 40;
const PRESSURE_SWITCH = 99;
const FIRE_PUMP = 91;
const WATER_TANK = 92;

describe(classify.name, () => {
  describe('GB/T 26875.3 state words', () => {
    it.each<[string, Observation, string[]]>([
      [
        'fire-alarm on a system (type 1)',
        systemState(1, ['normal', 'fire-alarm']),
        ['fault.system (clear)', 'fire.state'],
      ],
      [
        'fire-alarm on a smoke detector (type 2)',
        componentState(SMOKE_DETECTOR, ['normal', 'fire-alarm']),
        ['a.detector-fault.state (clear)', 'fault.component-power (clear)', 'fire.state'],
      ],
      [
        'fire-alarm in test mode (bit 0 clear, as in the public vector FM-1)',
        componentState(SMOKE_DETECTOR, ['fire-alarm']),
        ['a.detector-fault.state (clear)', 'fault.component-power (clear)', 'fire.state'],
      ],
      ['fire-alarm on the UITD (type 21)', uitdState(['normal', 'fire-alarm']), ['fault.uitd (clear)', 'fire.state']],
      [
        'fault on a smoke detector: 4.3.2 a) only, not the generic component fault',
        componentState(SMOKE_DETECTOR, ['normal', 'fault']),
        ['a.detector-fault.state', 'fault.component-power (clear)', 'fire.state (clear)'],
      ],
      [
        'fault on a heat detector (25): 4.3.2 a)',
        componentState(25, ['fault']),
        ['a.detector-fault.state', 'fault.component-power (clear)', 'fire.state (clear)'],
      ],
      [
        'fault on a non-detector: the generic component fault',
        componentState(PRESSURE_SWITCH, ['normal', 'fault']),
        ['fault.component', 'fault.component-power (clear)', 'fire.state (clear)'],
      ],
      [
        'power-fault on fire pump 91: 4.3.2 e) only, not the generic power fault',
        componentState(FIRE_PUMP, ['normal', 'power-fault']),
        ['e.pump-power.state', 'fault.component (clear)', 'fire.state (clear)'],
      ],
      [
        'power-fault on a sprinkler pump 95: 4.3.2 e)',
        componentState(95, ['power-fault']),
        ['e.pump-power.state', 'fault.component (clear)', 'fire.state (clear)'],
      ],
      [
        'power-fault on a non-pump: the generic component power fault',
        componentState(PRESSURE_SWITCH, ['power-fault']),
        ['fault.component (clear)', 'fault.component-power', 'fire.state (clear)'],
      ],
      [
        'manual-mode on a hydrant system 11: 4.3.2 d)',
        systemState(11, ['normal', 'manual-mode']),
        ['d.pump-not-auto.state', 'fault.system (clear)', 'fire.state (clear)'],
      ],
      [
        'manual-mode on a sprinkler system 12: 4.3.2 d)',
        systemState(12, ['manual-mode']),
        ['d.pump-not-auto.state', 'fault.system (clear)', 'fire.state (clear)'],
      ],
      [
        'manual-mode on a fire alarm system 1: not a pump cabinet',
        systemState(1, ['normal', 'manual-mode']),
        ['fault.system (clear)', 'fire.state (clear)'],
      ],
      [
        'pump system back in automatic mode: 4.3.2 d) applies and is clear',
        systemState(11, ['normal']),
        ['d.pump-not-auto.state (clear)', 'fault.system (clear)', 'fire.state (clear)'],
      ],
      [
        'main-power-fault of a system',
        systemState(1, ['normal', 'main-power-fault']),
        ['fault.system', 'fire.state (clear)'],
      ],
      [
        'main-power-fault of the UITD (public vector FM-4)',
        uitdState(['main-power-fault']),
        ['fault.uitd', 'fire.state (clear)'],
      ],
      [
        'a normal smoke detector: every rule that watches it is clear',
        componentState(SMOKE_DETECTOR, ['normal']),
        ['a.detector-fault.state (clear)', 'fault.component-power (clear)', 'fire.state (clear)'],
      ],
    ])('%s', (_name, observation, expected) => {
      expect(outcome(classify(observation, DEFAULT_RULES))).toEqual(expected);
    });

    it('reports the flag that made a state rule active as its value', () => {
      const [fire] = classify(uitdState(['normal', 'fire-alarm']), DEFAULT_RULES).filter((e) => e.active);
      expect(fire).toMatchObject({ value: 'fire-alarm', rule: { kind: 'fire-alarm', clause: '4.3.1' } });
    });

    it('raises the fire alarm and the fault together when both flags are set (4.3.1 and 4.3.2 a)', () => {
      expect(active(classify(componentState(SMOKE_DETECTOR, ['fire-alarm', 'fault']), DEFAULT_RULES))).toEqual([
        'a.detector-fault.state',
        'fire.state',
      ]);
    });
  });

  describe('GB/T 26875.3 analog values (type 3)', () => {
    it.each<[string, Observation, string[]]>([
      ['water tank 92 height 0.55 m, below 1 m: 4.3.2 b)', analog(WATER_TANK, 'height', 0.55), ['b.tank-level.analog']],
      [
        'water tank 92 height 1.5 m: 4.3.2 b) applies and is clear',
        analog(WATER_TANK, 'height', 1.5),
        ['b.tank-level.analog (clear)'],
      ],
      [
        'water tank 92 exactly at 1 m: clear (strictly below)',
        analog(WATER_TANK, 'height', 1),
        ['b.tank-level.analog (clear)'],
      ],
      ['height of another component: no tank rule', analog(PRESSURE_SWITCH, 'height', 0.2), []],
      ['pressure 0.05 MPa: 4.3.2 c)', analog(PRESSURE_SWITCH, 'pressure-mpa', 0.05), ['c.unfavourable-point.analog']],
      [
        'pressure exactly 0.1 MPa: clear',
        analog(PRESSURE_SWITCH, 'pressure-mpa', 0.1),
        ['c.unfavourable-point.analog (clear)'],
      ],
      [
        'pressure 0.3 MPa: clear',
        analog(PRESSURE_SWITCH, 'pressure-mpa', 0.3),
        ['c.unfavourable-point.analog (clear)'],
      ],
      ['a temperature: no rule', analog(PRESSURE_SWITCH, 'temperature', 80), []],
    ])('%s', (_name, observation, expected) => {
      expect(outcome(classify(observation, DEFAULT_RULES))).toEqual(expected);
    });

    it('reports the compared value', () => {
      expect(classify(analog(WATER_TANK, 'height', 0.55), DEFAULT_RULES)).toEqual([
        expect.objectContaining({ active: true, value: 0.55 }),
      ]);
    });
  });

  describe('MQTT sensors', () => {
    it.each<[string, Observation, string[]]>([
      [
        'water-pressure 0.05 MPa at the most unfavourable point: 4.3.2 c)',
        sensor('water-pressure', { value: 0.05, point: 'most-unfavourable-point' }),
        ['c.unfavourable-point.sensor'],
      ],
      [
        'water-pressure 0.25 MPa at the most unfavourable point: clear',
        sensor('water-pressure', { value: 0.25, point: 'most-unfavourable-point' }),
        ['c.unfavourable-point.sensor (clear)'],
      ],
      [
        'water-pressure 0.05 MPa at a test hydrant: 4.3.2 f)',
        sensor('water-pressure', { value: 0.05, point: 'test-hydrant' }),
        ['f.hydrant-pressure.sensor'],
      ],
      [
        'water-pressure 0.05 MPa at an outdoor hydrant: 4.3.2 f)',
        sensor('water-pressure', { value: 0.05, point: 'outdoor-hydrant', location: 'north gate' }),
        ['f.hydrant-pressure.sensor'],
      ],
      ['water-pressure without a point: nothing', sensor('water-pressure', { value: 0.01 }), []],
      [
        'water-pressure at a sprinkler zone: nothing',
        sensor('water-pressure', { value: 0.01, point: 'sprinkler-zone' }),
        [],
      ],
      ['water-level 0.4 m: 4.3.2 b)', sensor('water-level', { value: 0.4, tank: 'roof' }), ['b.tank-level.sensor']],
      ['water-level 3 m: clear', sensor('water-level', { value: 3 }), ['b.tank-level.sensor (clear)']],
      [
        'fire pump cabinet in manual mode: 4.3.2 d)',
        sensor('pump-cabinet', { pump: 'fire-pump', mode: 'manual', power: 'normal', running: false }),
        ['d.pump-not-auto.sensor', 'e.pump-power.sensor (clear)'],
      ],
      [
        'jockey pump cabinet stopped: 4.3.2 d)',
        sensor('pump-cabinet', { pump: 'jockey-pump', mode: 'stopped', power: 'normal', running: false }),
        ['d.pump-not-auto.sensor', 'e.pump-power.sensor (clear)'],
      ],
      [
        'fire pump cabinet power fault: 4.3.2 e)',
        sensor('pump-cabinet', { pump: 'fire-pump', mode: 'auto', power: 'fault', running: false }),
        ['d.pump-not-auto.sensor (clear)', 'e.pump-power.sensor'],
      ],
      [
        'jockey pump cabinet power fault: 4.3.2 e)',
        sensor('pump-cabinet', { pump: 'jockey-pump', mode: 'auto', power: 'fault', running: true }),
        ['d.pump-not-auto.sensor (clear)', 'e.pump-power.sensor'],
      ],
      [
        'pump cabinet in auto, power normal: everything clear',
        sensor('pump-cabinet', { pump: 'fire-pump', mode: 'auto', power: 'normal', running: false }),
        ['d.pump-not-auto.sensor (clear)', 'e.pump-power.sensor (clear)'],
      ],
      [
        'smoke detector fault: 4.3.2 a)',
        sensor('smoke-detector', { state: 'fault', battery: 80 }),
        ['a.detector-fault.sensor', 'fault.sensor (clear)', 'fire.sensor (clear)'],
      ],
      [
        'smoke detector fire-alarm: 4.3.1',
        sensor('smoke-detector', { state: 'fire-alarm' }),
        ['a.detector-fault.sensor (clear)', 'fault.sensor (clear)', 'fire.sensor'],
      ],
      [
        'smoke detector low battery: a detector abnormal state',
        sensor('smoke-detector', { state: 'low-battery', battery: 5 }),
        ['a.detector-fault.sensor (clear)', 'fault.sensor', 'fire.sensor (clear)'],
      ],
      [
        'smoke detector normal: everything clear',
        sensor('smoke-detector', { state: 'normal' }),
        ['a.detector-fault.sensor (clear)', 'fault.sensor (clear)', 'fire.sensor (clear)'],
      ],
      ['an unknown sensor kind: nothing', sensor('thermometer', { value: 80 }), []],
    ])('%s', (_name, observation, expected) => {
      expect(outcome(classify(observation, DEFAULT_RULES))).toEqual(expected);
    });

    it('does not take a state, analog or sensor rule for another kind of signal', () => {
      const stateOnly = DEFAULT_RULES.filter((r) => r.when.on === 'state');
      const sensorOnly = DEFAULT_RULES.filter((r) => r.when.on === 'sensor');
      expect(classify(sensor('smoke-detector', { state: 'fire-alarm' }), stateOnly)).toEqual([]);
      expect(classify(componentState(SMOKE_DETECTOR, ['fire-alarm']), sensorOnly)).toEqual([]);
      expect(classify(analog(WATER_TANK, 'height', 0.1), sensorOnly)).toEqual([]);
    });
  });

  describe('unit and device rules', () => {
    const deviceTank: AlertRule = {
      id: 'b.tank-level.analog',
      kind: 'abnormal',
      clause: '4.3.2',
      item: 'b',
      title: { zh: '消防水箱(池)液位异常', en: 'Fire water tank level abnormal' },
      when: { on: 'analog', analogTypes: ['height'], below: 2.5 },
      subjects: ['sys:11/1/comp:7'],
      enabled: true,
    };

    it('applies a device rule with `subjects` to those subjects only', () => {
      const there = analog(WATER_TANK, 'height', 2, { subject: 'sys:11/1/comp:7' });
      const elsewhere = analog(WATER_TANK, 'height', 2, { subject: 'sys:11/1/comp:8' });
      expect(outcome(classify(there, [deviceTank]))).toEqual(['b.tank-level.analog']);
      expect(classify(elsewhere, [deviceTank])).toEqual([]);
    });

    it('uses a device threshold with `above` as well as `below`', () => {
      const band: AlertRule = { ...deviceTank, when: { on: 'analog', analogTypes: ['height'], below: 1, above: 4 } };
      const at = (m: number) =>
        active(classify(analog(WATER_TANK, 'height', m, { subject: 'sys:11/1/comp:7' }), [band]));
      expect([at(0.5), at(2), at(4.5)]).toEqual([[band.id], [], [band.id]]);
    });
  });
});
