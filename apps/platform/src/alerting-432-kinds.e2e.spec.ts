import { SimulatedUitd } from '@fireiot/simulator';
import { eventually } from '@fireiot/testing';
import {
  AlertingHarness,
  AlertView,
  AttemptView,
  pushed,
  SensorClient,
  timeLabel,
} from './lib/alerting-harness.test-util';

jest.setTimeout(120_000);

/** Where a case's signal comes from: a simulated UITD (GB/T 26875.3) or an MQTT collector. */
interface Source {
  readonly uitd: SimulatedUitd | null;
  readonly sensor: SensorClient | null;
}

type Send = (source: Source) => Promise<void>;

interface KindCase {
  readonly item: 'a' | 'b' | 'c' | 'd' | 'e' | 'f';
  readonly name: string;
  readonly via: 'gb' | 'mqtt';
  readonly kind: 'fault' | 'abnormal';
  readonly ruleId: string;
  /** The rule's Chinese title: what the SMS says. */
  readonly zh: string;
  readonly raise: Send;
  readonly clear: Send;
}

/** Uploads one ADU (the codec's encode JSON) and expects the gateway's confirm. */
function gb(adu: Readonly<Record<string, unknown>>): Send {
  return async ({ uitd }) => {
    if (uitd === null) throw new Error('this case needs a UITD');
    const sent = await uitd.upload(adu);
    expect(sent.outcome).toBe('confirmed');
  };
}

/** Publishes one sensor event (QoS 1: resolves once stored). */
function mqtt(payload: Readonly<Record<string, unknown>>): Send {
  return async ({ sensor }) => {
    if (sensor === null) throw new Error('this case needs an MQTT collector');
    await sensor.publish(payload);
  };
}

const DETECTOR = { low16: 7, high16: 2 };
const component = (
  systemType: number,
  componentType: number,
  flags: readonly string[],
  description: string,
): Record<string, unknown> => ({
  type: 2,
  objects: [
    {
      systemType,
      systemAddress: 1,
      componentType,
      componentAddress: DETECTOR,
      state: { flags },
      description,
      occurredAt: timeLabel(),
    },
  ],
});
const analog = (
  systemType: number,
  componentType: number,
  analogType: string,
  value: number,
): Record<string, unknown> => ({
  type: 3,
  objects: [
    {
      systemType,
      systemAddress: 1,
      componentType,
      componentAddress: { low16: 1, high16: 1 },
      analogType,
      value,
      occurredAt: timeLabel(),
    },
  ],
});
const system = (systemType: number, flags: readonly string[]): Record<string, unknown> => ({
  type: 1,
  objects: [{ systemType, systemAddress: 1, state: { flags }, occurredAt: timeLabel() }],
});
const cabinet = (mode: string, power: string, pump = 'fire-pump'): Record<string, unknown> => ({
  kind: 'pump-cabinet',
  pump,
  mode,
  power,
  running: false,
  location: 'B1 pump room',
});

const TANK = '消防水箱(池)液位异常';
const POINT = '最不利点压力低';
const NOT_AUTO = '消防泵控制柜处于非自动状态';
const POWER = '消防泵控制柜电源故障';
const HYDRANT = '消火栓压力低';

/** CQC/SC 11002 4.3.2 a–f, each from the wire(s) that carry it (CQC83-831102-2025 Table B.2 rows). */
const CASES: readonly KindCase[] = [
  {
    item: 'a',
    name: 'fire detector fault: UITD component state (type 2) `fault` on a smoke detector',
    via: 'gb',
    kind: 'fault',
    ruleId: 'a.detector-fault.state',
    zh: '火灾探测器故障',
    raise: gb(component(1, 40, ['fault'], '3层走廊')),
    clear: gb(component(1, 40, ['normal'], '3层走廊')),
  },
  {
    item: 'a',
    name: 'fire detector fault: MQTT smoke detector `state: fault`',
    via: 'mqtt',
    kind: 'fault',
    ruleId: 'a.detector-fault.sensor',
    zh: '火灾探测器故障',
    raise: mqtt({ kind: 'smoke-detector', state: 'fault', battery: 80, location: '3F corridor' }),
    clear: mqtt({ kind: 'smoke-detector', state: 'normal', battery: 80, location: '3F corridor' }),
  },
  {
    item: 'b',
    name: 'water tank level low: MQTT `water-level` 0.4 m (< 1.0 m)',
    via: 'mqtt',
    kind: 'abnormal',
    ruleId: 'b.tank-level.sensor',
    zh: TANK,
    raise: mqtt({ kind: 'water-level', value: 0.4, tank: 'roof-tank', location: 'roof' }),
    clear: mqtt({ kind: 'water-level', value: 3.2, tank: 'roof-tank', location: 'roof' }),
  },
  {
    item: 'b',
    name: 'water tank level low: GB analog (type 3) `height` 0.5 m on a fire water tank (92)',
    via: 'gb',
    kind: 'abnormal',
    ruleId: 'b.tank-level.analog',
    zh: TANK,
    raise: gb(analog(11, 92, 'height', 0.5)),
    clear: gb(analog(11, 92, 'height', 3)),
  },
  {
    item: 'c',
    name: 'most-unfavourable point low pressure: MQTT `water-pressure` 0.05 MPa (< 0.1 MPa)',
    via: 'mqtt',
    kind: 'abnormal',
    ruleId: 'c.unfavourable-point.sensor',
    zh: POINT,
    raise: mqtt({ kind: 'water-pressure', value: 0.05, point: 'most-unfavourable-point' }),
    clear: mqtt({ kind: 'water-pressure', value: 0.32, point: 'most-unfavourable-point' }),
  },
  {
    item: 'c',
    name: 'most-unfavourable point low pressure: GB analog `pressure-mpa` 0.0 MPa',
    via: 'gb',
    kind: 'abnormal',
    ruleId: 'c.unfavourable-point.analog',
    zh: POINT,
    raise: gb(analog(11, 99, 'pressure-mpa', 0)),
    clear: gb(analog(11, 99, 'pressure-mpa', 0.3)),
  },
  {
    item: 'd',
    name: 'pump cabinet not automatic: MQTT `pump-cabinet` `mode: manual`',
    via: 'mqtt',
    kind: 'abnormal',
    ruleId: 'd.pump-not-auto.sensor',
    zh: NOT_AUTO,
    raise: mqtt(cabinet('manual', 'normal')),
    clear: mqtt(cabinet('auto', 'normal')),
  },
  {
    item: 'd',
    name: 'jockey pump cabinet not automatic: MQTT `pump-cabinet` `pump: jockey-pump`, `mode: stopped`',
    via: 'mqtt',
    kind: 'abnormal',
    ruleId: 'd.pump-not-auto.sensor',
    zh: NOT_AUTO,
    raise: mqtt(cabinet('stopped', 'normal', 'jockey-pump')),
    clear: mqtt(cabinet('auto', 'normal', 'jockey-pump')),
  },
  {
    item: 'd',
    name: 'pump cabinet not automatic: GB system state (type 1) `manual-mode` of a hydrant system (11)',
    via: 'gb',
    kind: 'abnormal',
    ruleId: 'd.pump-not-auto.state',
    zh: NOT_AUTO,
    raise: gb(system(11, ['normal', 'manual-mode'])),
    clear: gb(system(11, ['normal'])),
  },
  {
    item: 'e',
    name: 'pump cabinet power fault: MQTT `pump-cabinet` `power: fault`',
    via: 'mqtt',
    kind: 'fault',
    ruleId: 'e.pump-power.sensor',
    zh: POWER,
    raise: mqtt(cabinet('auto', 'fault')),
    clear: mqtt(cabinet('auto', 'normal')),
  },
  {
    item: 'e',
    name: 'jockey pump cabinet power fault: MQTT `pump-cabinet` `pump: jockey-pump`, `power: fault`',
    via: 'mqtt',
    kind: 'fault',
    ruleId: 'e.pump-power.sensor',
    zh: POWER,
    raise: mqtt(cabinet('auto', 'fault', 'jockey-pump')),
    clear: mqtt(cabinet('auto', 'normal', 'jockey-pump')),
  },
  {
    item: 'e',
    name: 'pump cabinet power fault: GB component state `power-fault` on a fire pump (91)',
    via: 'gb',
    kind: 'fault',
    ruleId: 'e.pump-power.state',
    zh: POWER,
    raise: gb(component(11, 91, ['power-fault'], 'B1泵房')),
    clear: gb(component(11, 91, ['normal'], 'B1泵房')),
  },
  {
    item: 'f',
    name: 'test hydrant low pressure: MQTT `water-pressure` `point: test-hydrant` 0.05 MPa',
    via: 'mqtt',
    kind: 'abnormal',
    ruleId: 'f.hydrant-pressure.sensor',
    zh: HYDRANT,
    raise: mqtt({ kind: 'water-pressure', value: 0.05, point: 'test-hydrant' }),
    clear: mqtt({ kind: 'water-pressure', value: 0.35, point: 'test-hydrant' }),
  },
  {
    item: 'f',
    name: 'outdoor hydrant low pressure: MQTT `water-pressure` `point: outdoor-hydrant` 0.02 MPa',
    via: 'mqtt',
    kind: 'abnormal',
    ruleId: 'f.hydrant-pressure.sensor',
    zh: HYDRANT,
    raise: mqtt({ kind: 'water-pressure', value: 0.02, point: 'outdoor-hydrant' }),
    clear: mqtt({ kind: 'water-pressure', value: 0.3, point: 'outdoor-hydrant' }),
  },
];

describe('abnormal and fault alerts to the unit within 10 s (CQC/SC 11002 4.3.2 a–f, 4.3.3)', () => {
  let h: AlertingHarness;
  let n = 0;
  beforeAll(async () => {
    h = await AlertingHarness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it.each(CASES)('4.3.2 $item) $name; clearing it restores and closes it', async (c) => {
    const i = ++n;
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const phone = unit.contacts[0]?.phone;
    const app = await h.app(unit.userToken);
    const source: Source =
      c.via === 'gb'
        ? { uitd: await h.uitd(unit.unitId, 720_000 + i), sensor: null }
        : { uitd: null, sensor: await h.sensor(unit.unitId, `kinds-${c.item}-${i}`) };

    await c.raise(source);

    const alert = await pushed(
      app,
      (a) => a['kind'] === c.kind && a['item'] === c.item,
      `the app receives 4.3.2 ${c.item}`,
    );
    expect(alert).toMatchObject({ unitId: unit.unitId, kind: c.kind, clause: '4.3.2', item: c.item });
    const sms = await h.twilio.waitFor((r) => r.kind === 'sms' && r.to === phone, 10_000);
    expect(sms.body).toContain(c.zh);

    const id = String(alert['alertId']);
    const stored: AlertView = await h.alertWhen(
      id,
      (a) =>
        a.attempts.some((t) => t.channel === 'app' && t.status === 'delivered') &&
        a.attempts.some((t) => t.channel === 'sms' && t.status === 'accepted'),
      'app delivered and SMS accepted in the evidence',
    );
    expect(stored).toMatchObject({
      kind: c.kind,
      clause: '4.3.2',
      item: c.item,
      ruleId: c.ruleId,
      state: 'notified',
      suppressed: null,
      restores: null,
      deadlineMet: true,
    });
    expect(stored.firstSentElapsedMs).toBeLessThanOrEqual(10_000);
    const handedOver = (channel: AttemptView['channel']) =>
      stored.attempts.find((t) => t.channel === channel && t.status === 'accepted');
    for (const attempt of [handedOver('app'), handedOver('sms')]) {
      expect(attempt?.deadlineMet).toBe(true);
      expect(attempt?.elapsedUs).toBeGreaterThan(0);
      expect(attempt?.elapsedUs).toBeLessThanOrEqual(10_000_000);
    }
    expect(handedOver('sms')?.providerRef).toBe(sms.sid);

    // The state clears: a `restored` alert (4.3.2) names the alert it restores, which is closed.
    await c.clear(source);
    const restored = await eventually(
      async () => (await h.alerts(`?unitId=${unit.unitId}&kind=restored`)).find((a) => a.restores === id),
      'the restored alert',
      15_000,
    );
    expect(restored).toMatchObject({ kind: 'restored', clause: '4.3.2', item: c.item, ruleId: c.ruleId });
    await pushed(app, (a) => a['alertId'] === restored.id, 'the app receives the restoration');
    const closed = await h.alertWhen(id, (a) => a.state === 'closed', 'the first alert closed by its restoration');
    expect(closed.repeats).toBe(0);
  });
});
