import { eventually } from '@fireiot/testing';
import { BusError, BusStats, EventBus, PartitionOwnership } from '@fireiot/bus';
import { microsToIso } from '@fireiot/events';
import { RawStore } from '@fireiot/storage';
import { MqttIngestError } from './mqtt-ingest.error';
import { MqttInboundMessage, MqttIngestService } from './mqtt-ingest.service';
import { MqttTestRig, QuarantineRowView, RawMqttRow, settle, startMqttTestRig } from './mqtt-test.test-util';

jest.setTimeout(20_000);

/** A bus whose brokers are down: every publish fails. */
class FailingBus implements EventBus {
  readonly adapter = 'in-process' as const;
  attempts = 0;
  async start(): Promise<void> {
    // nothing
  }
  async publish(): Promise<void> {
    this.attempts++;
    throw new BusError('broker-error', 'brokers unreachable');
  }
  async subscribe(): Promise<void> {
    // nothing
  }
  ownership(): PartitionOwnership {
    return { owns: () => true, onChange: () => undefined };
  }
  stats(): BusStats {
    return { published: 0, delivered: 0, rejected: 0, handlerErrors: 0 };
  }
  async close(): Promise<void> {
    // nothing
  }
}

describe(MqttIngestService.name, () => {
  let rig: MqttTestRig;
  let sensorId: string;

  function message(overrides: Partial<MqttInboundMessage> & { topic: string }): MqttInboundMessage {
    return {
      payload: Buffer.from(JSON.stringify({ kind: 'water-level', value: 2.5, tank: 'roof' })),
      clientId: 'lvl-1',
      authenticatedDeviceId: 'lvl-1',
      peer: '10.0.0.5:40000',
      receivedAt: rig.clock.now(),
      ...overrides,
    };
  }

  const quarantine = (deviceKey: string) =>
    rig.rows<QuarantineRowView>('SELECT * FROM quarantine WHERE device_key = $1 ORDER BY id', [deviceKey]);
  const stored = (deviceKey: string) =>
    rig.rows<RawMqttRow & { device_seq: string }>('SELECT * FROM raw_mqtt WHERE device_key = $1 ORDER BY device_seq', [
      deviceKey,
    ]);

  beforeAll(async () => {
    rig = await startMqttTestRig({ ingest: { maxPayloadBytes: 1024 } });
    sensorId = await rig.provision('lvl-1', 'secret-of-lvl-1');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('stores an event and publishes it with the registry id and the receive time in µs', async () => {
    const m = message({ topic: 'fireiot/v1/devices/lvl-1/events' });
    const outcome = await rig.ingest.ingest(m);
    expect(outcome).toMatchObject({ status: 'stored', channel: 'events', duplicate: false });
    const event = await eventually(() =>
      rig.sensorEvents.find((e) => e.rawId === (outcome as { rawId: string }).rawId),
    );
    expect(event).toMatchObject({ deviceKey: 'mqtt:lvl-1', deviceId: sensorId, gatewayId: 'gw-test' });
    expect(event.receivedAt.slice(-8, -1)).toBe(`.${(m.receivedAt.wallUs % 1_000_000n).toString().padStart(6, '0')}`);
  });

  it('puts a sensor’s fire alarm on the priority topic, apart from the sensor events (CQC/SC 11002 4.3.1)', async () => {
    const fires: string[] = [];
    const bulk: string[] = [];
    await rig.bus.subscribe('fireiot.ingest.sensor-fire-alarms.v1', 'spec-fire', async (e) => void fires.push(e.rawId));
    await rig.bus.subscribe('fireiot.ingest.sensor-events.v1', 'spec-bulk', async (e) => void bulk.push(e.rawId));
    const fire = await rig.ingest.ingest(
      message({
        topic: 'fireiot/v1/devices/lvl-1/events',
        payload: Buffer.from(JSON.stringify({ kind: 'smoke-detector', state: 'fire-alarm' })),
      }),
    );
    const fault = await rig.ingest.ingest(
      message({
        topic: 'fireiot/v1/devices/lvl-1/events',
        payload: Buffer.from(JSON.stringify({ kind: 'smoke-detector', state: 'fault' })),
      }),
    );
    const fireId = (fire as { rawId: string }).rawId;
    const faultId = (fault as { rawId: string }).rawId;
    await eventually(() => (bulk.includes(faultId) ? true : undefined), 'the fault on the sensor events');
    await eventually(() => (fires.includes(fireId) ? true : undefined), 'the fire alarm on the priority topic');
    expect(fires).not.toContain(faultId);
    expect(bulk).not.toContain(fireId);
  });

  it('checks the publisher before anything else: another device id is refused even with a bad payload', async () => {
    const outcome = await rig.ingest.ingest(
      message({ topic: 'fireiot/v1/devices/lvl-2/events', payload: Buffer.from('garbage') }),
    );
    expect(outcome).toMatchObject({ status: 'quarantined', code: 'foreign-device-id', refused: true });
    const [row] = await quarantine('mqtt:lvl-2');
    expect(row).toMatchObject({ reason_code: 'foreign-device-id', registered: false, peer: '10.0.0.5:40000' });
  });

  it('quarantines unknown channels without refusing them, and foreign topics under mqtt-client:<id>', async () => {
    expect(await rig.ingest.ingest(message({ topic: 'fireiot/v1/devices/lvl-1/config/x' }))).toMatchObject({
      status: 'quarantined',
      code: 'unknown-topic',
      refused: false,
    });
    expect(await rig.ingest.ingest(message({ topic: 'fireiot/v2/devices/lvl-1/events' }))).toMatchObject({
      code: 'unknown-topic',
      refused: true,
    });
    expect(await rig.ingest.ingest(message({ topic: 'fireiot/v1/devices/bad id!/events' }))).toMatchObject({
      code: 'unknown-topic',
      refused: true,
    });
    expect((await quarantine('mqtt-client:lvl-1')).map((r) => r.topic)).toEqual([
      'fireiot/v2/devices/lvl-1/events',
      'fireiot/v1/devices/bad id!/events',
    ]);
  });

  it('trusts the topic when the transport cannot tell the publisher (external broker): unknown devices are kept, flagged', async () => {
    const outcome = await rig.ingest.ingest(
      message({ topic: 'fireiot/v1/devices/stranger/events', clientId: 'bridge', authenticatedDeviceId: null }),
    );
    expect(outcome).toMatchObject({ status: 'stored' });
    const [row] = await stored('mqtt:stranger');
    expect(row).toMatchObject({ registered: false, client_id: 'bridge' });
    const event = await eventually(() => rig.sensorEvents.find((e) => e.deviceKey === 'mqtt:stranger'));
    expect(event.deviceId).toBeNull();
  });

  it('quarantines an oversize payload, keeping its first bytes', async () => {
    const outcome = await rig.ingest.ingest(
      message({ topic: 'fireiot/v1/devices/lvl-1/events', payload: Buffer.alloc(3000, 0x7b) }),
    );
    expect(outcome).toMatchObject({ status: 'quarantined', code: 'payload-too-large', refused: false });
    const rows = await quarantine('mqtt:lvl-1');
    const row = rows.find((r) => r.reason_code === 'payload-too-large');
    expect(row?.bytes.length).toBe(1024);
    expect(row?.reason).toMatch(/3000 bytes exceeds 1024/);
  });

  it('recognises a retransmission (DUP, same packet id and bytes): acknowledged again, not stored or published twice', async () => {
    const first = message({ topic: 'fireiot/v1/devices/lvl-1/heartbeat', payload: Buffer.from('{}'), messageId: 7 });
    const a = await rig.ingest.ingest(first);
    const b = await rig.ingest.ingest({ ...first, dup: true, receivedAt: rig.clock.now() });
    expect(b).toEqual({ ...a, duplicate: true });
    // Packet ids are reused: without DUP, or with other bytes, it is a new message.
    const c = await rig.ingest.ingest({ ...first, receivedAt: rig.clock.now() });
    const d = await rig.ingest.ingest({ ...first, dup: true, payload: Buffer.from('{"battery":50}') });
    expect(c).toMatchObject({ status: 'stored', duplicate: false });
    expect(d).toMatchObject({ status: 'stored', duplicate: false });
    expect(new Set([a, c, d].map((o) => o.rawId)).size).toBe(3);
    expect(rig.ingest.stats().duplicates).toBe(1);
  });

  it('stores, chains and publishes one device’s messages in arrival order, however many arrive at once', async () => {
    const ids = Array.from({ length: 40 }, (_, n) => n);
    await Promise.all(
      ids.map((n) =>
        rig.ingest.ingest(
          message({
            topic: 'fireiot/v1/devices/order-1/events',
            authenticatedDeviceId: null,
            payload: Buffer.from(JSON.stringify({ kind: 'water-pressure', value: n / 100, seq: n })),
          }),
        ),
      ),
    );
    const rows = await stored('mqtt:order-1');
    expect(rows.map((r) => (JSON.parse(r.bytes.toString()) as { seq: number }).seq)).toEqual(ids);
    const events = await eventually(() => {
      const found = rig.sensorEvents.filter((e) => e.deviceKey === 'mqtt:order-1');
      return found.length === ids.length && found;
    });
    expect(events.map((e) => e.payload.seq)).toEqual(ids);
  });

  it('counts a sensor event as a sign of life at most once per presence interval; heartbeats always (CQC/SC 11002 4.4.2)', async () => {
    const service = new MqttIngestService(rig.store, rig.devices, rig.presence, rig.bus, {
      ...rig.config,
      watchdog: { presenceIntervalMs: 1000 },
    });
    const base = rig.clock.now();
    const at = (ms: number) => ({
      wallUs: base.wallUs + BigInt(ms) * 1000n,
      monoNs: base.monoNs + BigInt(ms) * 1_000_000n,
    });
    const iso = (ms: number) => microsToIso(at(ms).wallUs);
    const events = 'fireiot/v1/devices/lvl-1/events';
    const heartbeat = 'fireiot/v1/devices/lvl-1/heartbeat';
    for (const [topic, ms] of [
      [events, 0], // first sign of life: published
      [events, 200], // within the interval: not
      [heartbeat, 300], // a heartbeat: always
      [events, 900], // 600 ms after the heartbeat: not
      [events, 1400], // 1.1 s after it: published
    ] as const) {
      await service.ingest(
        message({
          topic,
          receivedAt: at(ms),
          payload: Buffer.from(topic === heartbeat ? '{}' : '{"kind":"water-level","value":1}'),
        }),
      );
    }
    // A disconnection ends the throttle: the next message is a sign of life at once.
    await service.connectionChanged({
      deviceId: 'lvl-1',
      event: 'disconnected',
      at: at(1450),
      peer: 'p',
      closedBy: 'peer',
    });
    await service.ingest(message({ topic: events, receivedAt: at(1500) }));

    const mine = new Set([0, 200, 300, 900, 1400, 1500].map(iso));
    // The bus delivers in order: once the last one is there, every earlier one is.
    await eventually(() => rig.presenceEvents.some((p) => p.event === 'heartbeat' && p.at === iso(1500)));
    const beats = rig.presenceEvents.filter((p) => p.event === 'heartbeat' && mine.has(p.at));
    expect(beats.map((p) => p.at)).toEqual([0, 300, 1400, 1500].map(iso));
    expect(beats[0]).toMatchObject({ deviceKey: 'mqtt:lvl-1', deviceId: sensorId, gatewayId: 'gw-test' });
    const gone = rig.presenceEvents.find((p) => p.event === 'disconnected' && p.at === iso(1450));
    expect(gone).toMatchObject({ deviceKey: 'mqtt:lvl-1', closedBy: 'peer' });
  });

  it('keeps the stored row when the bus fails after the commit, and counts it', async () => {
    const bus = new FailingBus();
    const service = new MqttIngestService(rig.store, rig.devices, rig.presence, bus, rig.config);
    const outcome = await service.ingest(message({ topic: 'fireiot/v1/devices/lvl-1/events' }));
    expect(outcome.status).toBe('stored');
    expect((await stored('mqtt:lvl-1')).map((r) => r.id)).toContain(outcome.rawId);
    expect(bus.attempts).toBe(2); // the event and the presence heartbeat
    expect(service.stats()).toMatchObject({ stored: 1, busFailures: 2 });
  });

  it('rejects with store-failed when the row cannot be stored (nothing may be acknowledged)', async () => {
    const closed = new RawStore(rig.pool);
    await closed.close();
    const service = new MqttIngestService(closed, rig.devices, rig.presence, rig.bus, rig.config);
    const failure = service.ingest(message({ topic: 'fireiot/v1/devices/lvl-1/events' }));
    await expect(failure).rejects.toBeInstanceOf(MqttIngestError);
    await expect(failure).rejects.toMatchObject({ code: 'store-failed' });
    // The device's next message is not stuck behind the failed one.
    await expect(service.ingest(message({ topic: 'fireiot/v1/devices/lvl-1/events' }))).rejects.toMatchObject({
      code: 'store-failed',
    });
    expect(service.stats().storeFailures).toBe(2);
    await settle();
  });
});
