import { classify, DEFAULT_RULES } from '@fireiot/alerting';
import { FrameJson, frameJsonSchema, FrameReceived, SensorEvent, SensorPayload } from '@fireiot/events';
import { decodeFrame, encodeFrame } from '@fireiot/gb26875';
import { observationsOfFrame, observationsOfSensor } from './observation.mapper';

const RECEIVED_AT = '2025-11-22T03:13:54.567890Z';

/** A frame through the real codec: hand-written JSON → bytes → decoded JSON, as the gateway publishes it. */
function frameOf(hex: string): FrameJson {
  const decoded = decodeFrame(Buffer.from(hex, 'hex'));
  if (!decoded.ok) throw new Error(`vector does not decode: ${decoded.error.message}`);
  return frameJsonSchema.parse(decoded.frame) as FrameJson;
}

function upload(type: string, objects: readonly Record<string, unknown>[]): FrameJson {
  const bytes = encodeFrame({
    serial: 7,
    sentAt: '2025-11-22T11:13:54',
    source: { value: '889' },
    destination: { value: '88888' },
    command: 'send-data',
    adu: { type: { name: type }, objects },
  });
  return frameOf(bytes.toString('hex'));
}

function received(frame: FrameJson, rawId = '4711'): FrameReceived {
  return {
    rawId,
    deviceKey: 'uitd:889',
    deviceId: 'b7e1c1d2-0000-4000-8000-000000000001',
    receivedAt: RECEIVED_AT,
    gatewayId: 'gw-1',
    frame,
  };
}

const at = '2025-11-22T11:13:50';
const loop2point10 = { low16: 10, high16: 2 }; // 131082

/** The public vector FM-1 (contract sample): a fire alarm on smoke detector 1/1/131082. */
const FM_1 =
  '404001000101203A091A090C790300000000385B0100000030000202010101280A000200020020202020202020202020202020202020202020202020202020202020202000023A091A090C462323';
/** The public vector FM-4: UITD state main-power-fault. */
const FM_4 = '404001000101203A091A090C790300000000385B01000000090002150108023A091A090C422323';
/** The public vector FM-5: a UITD operation (duty-check answer); not a state. */
const FM_5 = '404001000101203A091A090C790300000000385B010000000A000218012001023A091A090C5F2323';

describe(observationsOfFrame.name, () => {
  it('maps the public vector FM-1 to a fire alarm on its component (CQC/SC 11002 4.3.1)', () => {
    const { observations, malformed } = observationsOfFrame(received(frameOf(FM_1)));
    expect(malformed).toBe(0);
    expect(observations).toEqual([
      {
        deviceKey: 'uitd:889',
        deviceId: 'b7e1c1d2-0000-4000-8000-000000000001',
        subject: 'sys:1/1/comp:131082',
        location: null, // description all spaces
        receivedAt: RECEIVED_AT,
        source: { table: 'raw_frames', rawId: '4711', index: 0 },
        signal: { type: 'state', aduType: 2, systemType: 1, componentType: 40, flags: ['fire-alarm'] },
      },
    ]);
    const active = classify(observations[0] as (typeof observations)[number], DEFAULT_RULES).filter((e) => e.active);
    expect(active.map((e) => [e.rule.id, e.rule.clause])).toEqual([['fire.state', '4.3.1']]);
  });

  it('maps the public vector FM-4 to a UITD state (subject `uitd`)', () => {
    const { observations } = observationsOfFrame(received(frameOf(FM_4)));
    expect(observations.map((o) => [o.subject, o.signal])).toEqual([
      ['uitd', { type: 'state', aduType: 21, systemType: null, componentType: null, flags: ['main-power-fault'] }],
    ]);
  });

  it('ignores types that carry no state or value (FM-5: UITD operation), and frames without an ADU', () => {
    expect(observationsOfFrame(received(frameOf(FM_5)))).toEqual({ observations: [], malformed: 0 });
    expect(observationsOfFrame(received({ ...frameOf(FM_5), adu: null }))).toEqual({ observations: [], malformed: 0 });
  });

  it('maps every component state of a frame with its index and description', () => {
    const frame = upload('component-state', [
      {
        systemType: 1,
        systemAddress: 1,
        componentType: { name: 'smoke-detector' },
        componentAddress: loop2point10,
        state: { flags: ['normal', 'fault'] },
        description: '三楼走廊',
        occurredAt: at,
      },
      {
        systemType: 11,
        systemAddress: 2,
        componentType: { name: 'fire-pump' },
        componentAddress: { value: 5 },
        state: { flags: ['normal', 'power-fault'] },
        description: '',
        occurredAt: at,
      },
    ]);
    const { observations, malformed } = observationsOfFrame(received(frame, '99'), 'raw_frames');
    expect(malformed).toBe(0);
    expect(
      observations.map((o) => ({ subject: o.subject, location: o.location, source: o.source, signal: o.signal })),
    ).toEqual([
      {
        subject: 'sys:1/1/comp:131082',
        location: '三楼走廊',
        source: { table: 'raw_frames', rawId: '99', index: 0 },
        signal: { type: 'state', aduType: 2, systemType: 1, componentType: 40, flags: ['normal', 'fault'] },
      },
      {
        subject: 'sys:11/2/comp:5',
        location: null,
        source: { table: 'raw_frames', rawId: '99', index: 1 },
        signal: { type: 'state', aduType: 2, systemType: 11, componentType: 91, flags: ['normal', 'power-fault'] },
      },
    ]);
    // 4.3.2 a) for the detector, e) for the pump.
    const items = observations.map((o) =>
      classify(o, DEFAULT_RULES)
        .filter((e) => e.active)
        .map((e) => e.rule.item),
    );
    expect(items).toEqual([['a'], ['e']]);
  });

  it('maps a system state to `sys:<type>/<address>` (4.3.2 d: pump system in manual mode)', () => {
    const frame = upload('system-state', [
      { systemType: 11, systemAddress: 3, state: { flags: ['normal', 'manual-mode'] }, occurredAt: at },
    ]);
    const [o] = observationsOfFrame(received(frame)).observations;
    expect(o).toMatchObject({
      subject: 'sys:11/3',
      location: null,
      signal: { type: 'state', aduType: 1, systemType: 11, componentType: null, flags: ['normal', 'manual-mode'] },
    });
  });

  describe('analog values (type 3)', () => {
    const analog = (
      analogType: string,
      value: number | null,
      rawValue?: number,
      componentType = 'fire-water-tank',
    ) => ({
      systemType: 11,
      systemAddress: 1,
      componentType: { name: componentType },
      componentAddress: { value: 7 },
      analogType: { name: analogType },
      ...(value === null ? { rawValue } : { value }),
      occurredAt: at,
    });

    it('keeps MPa and metres as they are', () => {
      const frame = upload('component-analog', [analog('pressure-mpa', 0.3), analog('height', 0.55)]);
      expect(observationsOfFrame(received(frame)).observations.map((o) => [o.subject, o.signal])).toEqual([
        [
          'sys:11/1/comp:7',
          { type: 'analog', systemType: 11, componentType: 92, analogType: 'pressure-mpa', value: 0.3 },
        ],
        ['sys:11/1/comp:7', { type: 'analog', systemType: 11, componentType: 92, analogType: 'height', value: 0.55 }],
      ]);
    });

    it('normalises kPa to MPa, so the 0.1 MPa floor of 4.3.2 c) applies to kPa gauges too', () => {
      const frame = upload('component-analog', [
        analog('pressure-kpa', 85, undefined, 'pressure-switch'),
        analog('pressure-kpa', 250),
      ]);
      const { observations } = observationsOfFrame(received(frame));
      expect(observations.map((o) => o.signal)).toEqual([
        { type: 'analog', systemType: 11, componentType: 99, analogType: 'pressure-mpa', value: 0.085 },
        { type: 'analog', systemType: 11, componentType: 92, analogType: 'pressure-mpa', value: 0.25 },
      ]);
      const active = observations.map((o) =>
        classify(o, DEFAULT_RULES)
          .filter((e) => e.active)
          .map((e) => e.rule.id),
      );
      expect(active).toEqual([['c.unfavourable-point.analog'], []]);
    });

    it('skips a value of unknown scale (nothing to compare) without counting it as malformed', () => {
      const frame = upload('component-analog', [analog('unused', null, 12), analog('height', 2)]);
      const { observations, malformed } = observationsOfFrame(received(frame));
      expect(malformed).toBe(0);
      expect(observations).toHaveLength(1);
      expect(observations[0]?.source.index).toBe(1);
    });
  });

  describe('objects without the fields their type promises (the bus leaves them open)', () => {
    const handWritten = (code: number, objects: object[]): FrameReceived =>
      received({
        serial: 1,
        version: { major: 1, minor: 1 },
        sentAt: '2025-11-22T11:13:54',
        source: { hex: '790300000000', value: '889' },
        destination: { hex: '385b01000000', value: '88888' },
        command: { code: 2, name: 'send-data' },
        adu: { type: { code, name: 'x' }, objects, raw: '' },
      });

    it.each([
      [1, [{}, { systemType: { code: 1, name: 'x' }, systemAddress: 1 }]],
      [2, [{ systemType: { code: 1, name: 'x' }, systemAddress: 1, state: { raw: 2, flags: ['fire-alarm'] } }]],
      [3, [{ systemType: { code: 1, name: 'x' }, systemAddress: 1, componentType: { code: 92, name: 'x' } }]],
      [21, [{ state: { raw: '2', flags: ['fire-alarm'] } }, { state: { raw: 2, flags: 'fire-alarm' } }]],
    ])('counts malformed objects of type %i instead of throwing', (code, objects) => {
      expect(observationsOfFrame(handWritten(code, objects))).toEqual({ observations: [], malformed: objects.length });
    });

    it('still maps the good objects of a frame with a malformed one', () => {
      const good = { state: { raw: 3, flags: ['normal', 'fire-alarm'] } };
      const { observations, malformed } = observationsOfFrame(handWritten(21, [good, { state: null }, good]));
      expect(malformed).toBe(1);
      expect(observations.map((o) => o.source.index)).toEqual([0, 2]);
    });
  });
});

describe(observationsOfSensor.name, () => {
  const event = (payload: SensorPayload, rawId = '812'): SensorEvent => ({
    rawId,
    deviceKey: 'mqtt:wp-1',
    deviceId: null,
    receivedAt: RECEIVED_AT,
    gatewayId: 'gw-1',
    payload,
  });

  it('maps a reading to the subject `sensor`, its fields without `kind`, source raw_mqtt index 0', () => {
    const payload: SensorPayload = {
      kind: 'water-pressure',
      value: 0.05,
      point: 'most-unfavourable-point',
      location: 'B1 pump room',
      seq: 12,
    };
    expect(observationsOfSensor(event(payload))).toEqual([
      {
        deviceKey: 'mqtt:wp-1',
        deviceId: null,
        subject: 'sensor',
        location: 'B1 pump room',
        receivedAt: RECEIVED_AT,
        source: { table: 'raw_mqtt', rawId: '812', index: 0 },
        signal: {
          type: 'sensor',
          kind: 'water-pressure',
          fields: { value: 0.05, point: 'most-unfavourable-point', location: 'B1 pump room', seq: 12 },
        },
      },
    ]);
  });

  it('leaves out fields that are undefined, and has no location when the sensor sends none', () => {
    const payload = { kind: 'water-level', value: 0.4, tank: undefined } as SensorPayload;
    const [o] = observationsOfSensor(event(payload));
    expect(o?.location).toBeNull();
    expect(o?.signal).toEqual({ type: 'sensor', kind: 'water-level', fields: { value: 0.4 } });
  });

  it.each<[string, SensorPayload, (string | null)[]]>([
    [
      'most unfavourable point → 4.3.2 c)',
      { kind: 'water-pressure', value: 0.05, point: 'most-unfavourable-point' },
      ['c'],
    ],
    ['test hydrant → 4.3.2 f)', { kind: 'water-pressure', value: 0.05, point: 'test-hydrant' }, ['f']],
    ['tank level → 4.3.2 b)', { kind: 'water-level', value: 0.4 }, ['b']],
    [
      'jockey pump cabinet in manual mode with a power fault → 4.3.2 d) and e)',
      { kind: 'pump-cabinet', pump: 'jockey-pump', mode: 'manual', power: 'fault', running: false },
      ['d', 'e'],
    ],
    ['smoke detector fault → 4.3.2 a)', { kind: 'smoke-detector', state: 'fault', battery: 90 }, ['a']],
    ['smoke detector fire alarm → 4.3.1', { kind: 'smoke-detector', state: 'fire-alarm' }, [null]],
  ])('feeds the classifier: %s', (_name, payload, items) => {
    const [o] = observationsOfSensor(event(payload));
    const active = o === undefined ? [] : classify(o, DEFAULT_RULES).filter((e) => e.active);
    expect(active.map((e) => e.rule.item).sort()).toEqual(items);
  });

  it('uses the table it is given (replay)', () => {
    const [o] = observationsOfSensor(event({ kind: 'water-level', value: 3 }), 'raw_mqtt_replay');
    expect(o?.source.table).toBe('raw_mqtt_replay');
  });
});
