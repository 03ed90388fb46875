/**
 * @jest-environment ./src/lib/mqtt/aedes-host-environment.test-util.ts
 */
import { eventually } from '@fireiot/testing';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { connectAsync, ErrorWithReasonCode, ErrorWithSubackPacket, IClientOptions, MqttClient } from 'mqtt';
import { EmbeddedMqttBroker } from './embedded-mqtt.broker';
import { MqttTestRig, QuarantineRowView, RawMqttRow, settle, startMqttTestRig } from './mqtt-test.test-util';

jest.mock('aedes', () => (globalThis as Record<string, unknown>)['__fireiotHostAedes']);
jest.setTimeout(20_000);

const SECRET = 'correct horse battery staple';
const event = (value: number) => JSON.stringify({ kind: 'water-pressure', value, point: 'most-unfavourable-point' });

function closeOf(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

describe(EmbeddedMqttBroker.name, () => {
  let rig: MqttTestRig;
  let broker: EmbeddedMqttBroker;
  const registryIds = new Map<string, string>();
  const clients: MqttClient[] = [];

  function connectDevice(deviceId: string, overrides: IClientOptions = {}): Promise<MqttClient> {
    return connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      clientId: deviceId,
      username: deviceId,
      password: SECRET,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...overrides,
    }).then((client) => {
      clients.push(client);
      return client;
    });
  }

  async function refusal(options: IClientOptions): Promise<number | undefined> {
    const error = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...options,
    }).then(
      (client) => {
        clients.push(client);
        return null;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    return (error as ErrorWithReasonCode).code;
  }

  const quarantined = (deviceKey: string) =>
    rig.rows<QuarantineRowView>('SELECT * FROM quarantine WHERE device_key = $1 ORDER BY id', [deviceKey]);
  const stored = (deviceKey: string) =>
    rig.rows<RawMqttRow>('SELECT * FROM raw_mqtt WHERE device_key = $1 ORDER BY id', [deviceKey]);

  beforeAll(async () => {
    rig = await startMqttTestRig();
    for (const id of ['pump-room-1', 'tank-7', 'smoke-3', 'victim-9', 'noisy-5', 'sub-2']) {
      registryIds.set(id, await rig.provision(id, SECRET));
    }
    registryIds.set('no-secret', await rig.provision('no-secret', null));
    broker = new EmbeddedMqttBroker(rig.config, rig.ingest, rig.devices, rig.clock, {
      maxPacketBytes: 4096,
      connectTimeoutMs: 300,
    });
    await broker.start();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });

  afterAll(async () => {
    await broker?.stop();
    await rig?.close();
  });

  it('acknowledges (PUBACK) an event only once it is in raw_mqtt, then publishes the SensorEvent', async () => {
    const client = await connectDevice('pump-room-1');
    await client.publishAsync('fireiot/v1/devices/pump-room-1/events', event(0.32), { qos: 1 });

    // Right after the PUBACK, before anything else can run: the row is committed.
    const rows = await stored('mqtt:pump-room-1');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      topic: 'fireiot/v1/devices/pump-room-1/events',
      client_id: 'pump-room-1',
      registered: true,
    });
    expect(rows[0]?.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(rows[0]?.bytes.toString()).toBe(event(0.32));

    const published = await eventually(() => rig.sensorEvents.find((e) => e.deviceKey === 'mqtt:pump-room-1'));
    expect(published).toMatchObject({
      rawId: rows[0]?.id,
      deviceId: registryIds.get('pump-room-1'),
      gatewayId: 'gw-test',
      payload: { kind: 'water-pressure', value: 0.32, point: 'most-unfavourable-point' },
    });
    expect(published.receivedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(broker.stats()).toMatchObject({ connectedClients: 1 });
  });

  it('records a heartbeat (empty or JSON) as a sign of life: last-seen time and presence messages', async () => {
    const client = await connectDevice('smoke-3');
    await eventually(() => rig.presenceEvents.find((p) => p.deviceKey === 'mqtt:smoke-3' && p.event === 'connected'));
    await client.publishAsync('fireiot/v1/devices/smoke-3/heartbeat', JSON.stringify({ battery: 87, rssi: -71 }), {
      qos: 1,
    });
    await client.publishAsync('fireiot/v1/devices/smoke-3/heartbeat', '', { qos: 1 });

    expect(await stored('mqtt:smoke-3')).toHaveLength(2);
    const beats = await eventually(() => {
      const found = rig.presenceEvents.filter((p) => p.deviceKey === 'mqtt:smoke-3' && p.event === 'heartbeat');
      return found.length === 2 && found;
    });
    expect(beats[0]).toMatchObject({ deviceId: registryIds.get('smoke-3'), gatewayId: 'gw-test' });
    await rig.presence.flush();
    const [seen] = await rig.rows<{ registered: boolean; last_peer: string }>(
      "SELECT registered, last_peer FROM device_presence WHERE device_key = 'mqtt:smoke-3'",
    );
    expect(seen).toMatchObject({ registered: true });

    await client.endAsync();
    const gone = await eventually(() =>
      rig.presenceEvents.find((p) => p.deviceKey === 'mqtt:smoke-3' && p.event === 'disconnected'),
    );
    expect(gone.reason).toBeDefined();
    expect(gone.closedBy).toBe('peer');
  });

  it('refuses wrong passwords, unknown devices, devices without MQTT credentials and foreign client ids', async () => {
    const before = broker.stats().refusedConnections;
    // MQTT 3.1.1 CONNACK codes: 4 bad user name or password, 5 not authorized, 2 identifier rejected.
    expect(await refusal({ clientId: 'tank-7', username: 'tank-7', password: 'wrong' })).toBe(4);
    expect(await refusal({ clientId: 'tank-7', username: 'tank-7' })).toBe(4);
    expect(await refusal({ clientId: 'ghost-1', username: 'ghost-1', password: SECRET })).toBe(4);
    expect(await refusal({ clientId: 'no-secret', username: 'no-secret', password: SECRET })).toBe(5);
    expect(await refusal({ clientId: 'tank-7-second', username: 'tank-7', password: SECRET })).toBe(2);
    expect(await refusal({ clientId: 'tank-7' })).toBe(4);
    expect(broker.stats().refusedConnections - before).toBe(6);
    expect(await stored('mqtt:tank-7')).toHaveLength(0);
  });

  it('refuses a publication under another device id: quarantined, connection closed, earlier messages kept', async () => {
    const client = await connectDevice('tank-7');
    await client.publishAsync('fireiot/v1/devices/tank-7/events', JSON.stringify({ kind: 'water-level', value: 3.2 }), {
      qos: 1,
    });
    const closed = closeOf(client);
    void client
      .publishAsync('fireiot/v1/devices/victim-9/events', JSON.stringify({ kind: 'water-level', value: 0 }), { qos: 1 })
      .catch(() => undefined);
    await closed;

    const [row] = await quarantined('mqtt:victim-9');
    expect(row).toMatchObject({
      source: 'mqtt',
      reason_code: 'foreign-device-id',
      topic: 'fireiot/v1/devices/victim-9/events',
      registered: true,
    });
    expect(row?.reason).toContain("authenticated as device 'tank-7'");
    expect(await stored('mqtt:tank-7')).toHaveLength(1);
    expect(await stored('mqtt:victim-9')).toHaveLength(0);
    await settle();
    expect(rig.sensorEvents.filter((e) => e.deviceKey === 'mqtt:victim-9')).toHaveLength(0);
    expect(rig.sensorEvents.filter((e) => e.deviceKey === 'mqtt:tank-7')).toHaveLength(1);
    expect(broker.stats().refusedPublications).toBe(1);
    // The broker ended the link, not the device.
    const gone = await eventually(() =>
      rig.presenceEvents.find((p) => p.deviceKey === 'mqtt:tank-7' && p.event === 'disconnected'),
    );
    expect(gone.closedBy).toBe('platform');

    // The device can come back and carry on.
    const again = await connectDevice('tank-7');
    await again.publishAsync('fireiot/v1/devices/tank-7/events', JSON.stringify({ kind: 'water-level', value: 3.1 }), {
      qos: 1,
    });
    expect(await stored('mqtt:tank-7')).toHaveLength(2);
  });

  it('refuses a publication outside the fireiot namespace (unknown-topic), closing the connection', async () => {
    const client = await connectDevice('tank-7');
    const closed = closeOf(client);
    void client.publishAsync('$SYS/broker/fake', 'x', { qos: 1 }).catch(() => undefined);
    await closed;
    const [row] = await quarantined('mqtt-client:tank-7');
    expect(row).toMatchObject({ reason_code: 'unknown-topic', topic: '$SYS/broker/fake', registered: false });
  });

  it('quarantines non-JSON and schema-violating payloads with the reason, acknowledges them, and publishes nothing', async () => {
    const client = await connectDevice('noisy-5');
    const topic = 'fireiot/v1/devices/noisy-5/events';
    await client.publishAsync(topic, 'pressure=0.3', { qos: 1 });
    await client.publishAsync(topic, Buffer.from([0xff, 0xfe, 0x00]), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ kind: 'water-pressure', value: 'high' }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ kind: 'sprinkler', value: 1 }), { qos: 1 });
    await client.publishAsync(
      topic,
      JSON.stringify({ kind: 'pump-cabinet', pump: 'fire-pump', mode: 'auto', power: 'normal', running: true, x: 1 }),
      { qos: 1 },
    );
    await client.publishAsync('fireiot/v1/devices/noisy-5/status', 'online', { qos: 1 });
    // Still connected: a valid message after the bad ones goes through.
    await client.publishAsync(
      topic,
      JSON.stringify({ kind: 'smoke-detector', state: 'fire-alarm', battery: 64, location: 'B1 corridor' }),
      { qos: 1 },
    );
    expect(client.connected).toBe(true);

    const rows = await quarantined('mqtt:noisy-5');
    expect(rows.map((r) => r.reason_code)).toEqual([
      'not-json',
      'not-json',
      'schema-violation',
      'schema-violation',
      'schema-violation',
      'unknown-topic',
    ]);
    expect(rows[0]?.reason).toMatch(/not JSON/);
    expect(rows[0]?.bytes.toString()).toBe('pressure=0.3');
    expect(rows[1]?.reason).toMatch(/UTF-8/);
    expect(rows[2]?.reason).toMatch(/^value: /);
    expect(rows[3]?.reason).toMatch(/^kind: /);
    expect(rows[4]?.reason).toMatch(/x/);
    expect(rows.every((r) => r.source === 'mqtt' && r.registered)).toBe(true);

    const valid = await stored('mqtt:noisy-5');
    expect(valid).toHaveLength(1);
    // Per device, bus order = arrival order: the only event is the valid one.
    const events = await eventually(() => {
      const found = rig.sensorEvents.filter((e) => e.deviceKey === 'mqtt:noisy-5');
      return found.length > 0 && found;
    });
    await settle();
    expect(rig.sensorEvents.filter((e) => e.deviceKey === 'mqtt:noisy-5')).toEqual([events[0]]);
    expect(events[0]?.payload).toMatchObject({ kind: 'smoke-detector', state: 'fire-alarm' });
    expect(broker.stats().quarantined).toBeGreaterThanOrEqual(6);
  });

  it('grants subscriptions in the device namespace only (SUBACK 0x80 otherwise)', async () => {
    const client = await connectDevice('sub-2');
    // mqtt.js rejects when any filter is refused, with the SUBACK attached.
    const error = await client
      .subscribeAsync(
        ['fireiot/v1/devices/sub-2/#', 'fireiot/v1/devices/pump-room-1/events', 'fireiot/v1/devices/+/events', '#'],
        { qos: 1 },
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ErrorWithSubackPacket);
    expect((error as ErrorWithSubackPacket).packet.granted).toEqual([1, 128, 128, 128]);
    expect(await client.subscribeAsync('fireiot/v1/devices/sub-2/events', { qos: 1 })).toEqual([
      { topic: 'fireiot/v1/devices/sub-2/events', qos: 1 },
    ]);
    expect(client.connected).toBe(true);
    expect(broker.stats().refusedSubscriptions).toBe(3);
  });

  it('cuts a connection whose packet exceeds the size limit, before buffering it', async () => {
    const client = await connectDevice('pump-room-1');
    const closed = closeOf(client);
    void client
      .publishAsync('fireiot/v1/devices/pump-room-1/events', Buffer.alloc(5000, 0x20), { qos: 1 })
      .catch(() => undefined);
    await closed;
    expect(broker.stats().oversizePackets).toBe(1);
  });

  it('closes sockets that send garbage or never send CONNECT, and keeps serving', async () => {
    const garbage = tcpConnect(broker.port, '127.0.0.1');
    await once(garbage, 'connect');
    garbage.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    const silent = tcpConnect(broker.port, '127.0.0.1');
    await once(silent, 'connect');
    await Promise.all([once(garbage, 'close'), once(silent, 'close')]);
    const client = await connectDevice('pump-room-1');
    expect(client.connected).toBe(true);
  });

  it('stores QoS 0, 1 and 2 publications in arrival order; QoS 2 PUBREC also waits for the commit', async () => {
    const client = await connectDevice('pump-room-1');
    const topic = 'fireiot/v1/devices/pump-room-1/events';
    const before = (await stored('mqtt:pump-room-1')).length;
    client.publish(topic, event(0.1), { qos: 0 });
    await client.publishAsync(topic, event(0.2), { qos: 1 });
    await client.publishAsync(topic, event(0.3), { qos: 2 });
    const rows = (await stored('mqtt:pump-room-1')).slice(before);
    expect(rows.map((r) => r.bytes.toString())).toEqual([event(0.1), event(0.2), event(0.3)]);
  });

  it('closes connections beyond the connection cap at once', async () => {
    const capped = new EmbeddedMqttBroker(rig.config, rig.ingest, rig.devices, rig.clock, { maxConnections: 1 });
    await capped.start();
    try {
      const first = await connectAsync(`mqtt://127.0.0.1:${capped.port}`, {
        clientId: 'sub-2',
        username: 'sub-2',
        password: SECRET,
        reconnectPeriod: 0,
      });
      clients.push(first);
      const extra = tcpConnect(capped.port, '127.0.0.1');
      await once(extra, 'close');
      expect(capped.stats()).toMatchObject({ droppedConnections: 1, connectedClients: 1 });
      expect(first.connected).toBe(true);
    } finally {
      await capped.stop();
    }
  });

  it('stop() closes every client and the listening socket', async () => {
    const second = new EmbeddedMqttBroker(rig.config, rig.ingest, rig.devices, rig.clock);
    await second.start();
    const port = second.port;
    const client = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'sub-2',
      username: 'sub-2',
      password: SECRET,
      reconnectPeriod: 0,
    });
    const closed = closeOf(client);
    const before = rig.presenceEvents.length;
    await second.stop();
    await closed;
    const gone = await eventually(() =>
      rig.presenceEvents.slice(before).find((p) => p.deviceKey === 'mqtt:sub-2' && p.event === 'disconnected'),
    );
    expect(gone).toMatchObject({ reason: 'gateway stopping', closedBy: 'shutdown' });
    const probe = tcpConnect(port, '127.0.0.1');
    const [error] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    expect(second.stats().connectedClients).toBe(0);
  });
});
