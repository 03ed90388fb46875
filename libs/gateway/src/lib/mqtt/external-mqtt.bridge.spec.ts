/**
 * @jest-environment ./src/lib/mqtt/aedes-host-environment.test-util.ts
 */
import { eventually } from '@fireiot/testing';
import type { Aedes, AuthenticateError, AuthErrorCode } from 'aedes';
import { createServer, Server } from 'node:net';
import { connectAsync, MqttClient } from 'mqtt';
import { MqttRow, RawStore, StoredRow } from '@fireiot/storage';
import { ExternalMqttBridge } from './external-mqtt.bridge';
import { MqttIngestService } from './mqtt-ingest.service';
import { deviceNamespace, isWithinNamespace } from './mqtt-topic.util';
import { MqttTestRig, QuarantineRowView, RawMqttRow, startMqttTestRig } from './mqtt-test.test-util';

jest.mock('aedes', () => (globalThis as Record<string, unknown>)['__fireiotHostAedes']);
jest.setTimeout(20_000);

const SERVICE_USER = 'fireiot';
const SERVICE_PASSWORD = 'service-secret';

/**
 * A stand-in for the operator's broker (mosquitto): real MQTT over TCP, with the ACL the docs ask
 * for — devices (any username ≠ the service account, password "pw") read/write only
 * fireiot/v1/devices/<username>/#, the service account reads fireiot/v1/devices/#.
 */
async function startExternalBroker(): Promise<{ aedes: Aedes; server: Server; port: number }> {
  const { Aedes: AedesBroker } = await import('aedes');
  const aedes = await AedesBroker.createBroker({
    authenticate: (_client, username, password, done) => {
      const ok =
        (username === SERVICE_USER && password?.toString() === SERVICE_PASSWORD) ||
        (username !== undefined && username !== SERVICE_USER && password?.toString() === 'pw');
      const error: AuthenticateError | null = ok
        ? null
        : Object.assign(new Error('bad credentials'), { returnCode: 4 as number as AuthErrorCode });
      done(error, ok);
    },
    authorizePublish: (client, packet, done) => {
      const user = client?.id ?? '';
      done(isWithinNamespace(packet.topic, user) ? null : new Error('ACL: not your namespace'));
    },
    authorizeSubscribe: (client, subscription, done) => {
      const ok = client.id.startsWith('fireiot-gateway-')
        ? subscription.topic.startsWith('fireiot/v1/devices/')
        : isWithinNamespace(subscription.topic, client.id);
      done(null, ok ? subscription : null);
    },
  });
  const server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { aedes, server, port: typeof address === 'object' && address ? address.port : 0 };
}

/** A raw store whose first `failures` MQTT rows fail (a database hiccup). */
class FlakyRawStore extends RawStore {
  failures = 0;
  override appendMqtt(row: MqttRow): Promise<StoredRow> {
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error('connection terminated unexpectedly'));
    }
    return super.appendMqtt(row);
  }
}

describe(ExternalMqttBridge.name, () => {
  let rig: MqttTestRig;
  let store: FlakyRawStore;
  let external: Awaited<ReturnType<typeof startExternalBroker>>;
  let bridge: ExternalMqttBridge;
  let ingest: MqttIngestService;
  let registryId: string;
  const devices: MqttClient[] = [];

  function newBridge(): ExternalMqttBridge {
    const config = {
      ...rig.config,
      mqtt: { url: `mqtt://${SERVICE_USER}:${SERVICE_PASSWORD}@127.0.0.1:${external.port}`, port: 0 },
    };
    return new ExternalMqttBridge(config, ingest, rig.clock, { reconnectPeriodMs: 100 });
  }

  async function device(id: string): Promise<MqttClient> {
    const client = await connectAsync(`mqtt://127.0.0.1:${external.port}`, {
      clientId: id,
      username: id,
      password: 'pw',
      reconnectPeriod: 0,
    });
    devices.push(client);
    return client;
  }

  const stored = (deviceKey: string) =>
    rig.rows<RawMqttRow>('SELECT * FROM raw_mqtt WHERE device_key = $1 ORDER BY id', [deviceKey]);

  beforeAll(async () => {
    const base = await startMqttTestRig();
    store = new FlakyRawStore(base.pool, { batchMs: 2 });
    rig = base;
    ingest = new MqttIngestService(store, rig.devices, rig.presence, rig.bus, rig.config);
    registryId = await rig.provision('hydrant-4', 'unused-here');
    external = await startExternalBroker();
    bridge = newBridge();
    await bridge.start();
  });

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.endAsync(true)));
    await bridge?.stop();
    await new Promise<void>((resolve) => external?.aedes.close(() => resolve()));
    await new Promise<void>((resolve) => external?.server.close(() => resolve()));
    await store?.close();
    await rig?.close();
  });

  it('stores what devices publish on the external broker, then publishes it on the bus', async () => {
    const client = await device('hydrant-4');
    await client.publishAsync(
      `${deviceNamespace('hydrant-4')}/events`,
      JSON.stringify({
        kind: 'water-pressure',
        value: 0.28,
        point: 'outdoor-hydrant',
        at: '2025-11-22T11:13:54+08:00',
      }),
      { qos: 1 },
    );
    const event = await eventually(() => rig.sensorEvents.find((e) => e.deviceKey === 'mqtt:hydrant-4'));
    expect(event).toMatchObject({ deviceId: registryId, payload: { kind: 'water-pressure', value: 0.28 } });
    const [row] = await stored('mqtt:hydrant-4');
    expect(row).toMatchObject({
      id: event.rawId,
      client_id: 'fireiot-gateway-gw-test',
      peer: `broker:127.0.0.1:${external.port}`,
      registered: true,
    });
    expect(bridge.stats()).toMatchObject({ connected: true, stored: 1 });
  });

  it('acknowledges to the broker only after the commit', async () => {
    const client = await device('hydrant-4');
    const committedAtAck: number[] = [];
    const onAck = (_packet: unknown, c: { id: string }) => {
      if (c.id === 'fireiot-gateway-gw-test') committedAtAck.push(store.stats().committedRows);
    };
    external.aedes.on('ack', onAck);
    const before = store.stats().committedRows;
    await client.publishAsync(`${deviceNamespace('hydrant-4')}/heartbeat`, '{"battery":91}', { qos: 1 });
    await eventually(() => committedAtAck.length > 0);
    external.aedes.removeListener('ack', onAck);
    expect(committedAtAck[0]).toBeGreaterThan(before);
    expect(await stored('mqtt:hydrant-4')).toHaveLength(2);
  });

  it('quarantines bad payloads received through the broker, and acknowledges them', async () => {
    const client = await device('tank-2');
    await client.publishAsync(`${deviceNamespace('tank-2')}/events`, '{"kind":"water-level","value":', { qos: 1 });
    await client.publishAsync(`${deviceNamespace('tank-2')}/events`, '{"kind":"water-level","value":-50}', { qos: 1 });
    await client.publishAsync(`${deviceNamespace('tank-2')}/events`, Buffer.alloc(70 * 1024, 0x20), { qos: 1 });
    const rows = await eventually(async () => {
      const found = await rig.rows<QuarantineRowView>(
        "SELECT * FROM quarantine WHERE device_key = 'mqtt:tank-2' ORDER BY id",
      );
      return found.length === 3 && found;
    });
    expect(rows.map((r) => r.reason_code)).toEqual(['not-json', 'schema-violation', 'payload-too-large']);
    expect(rows[1]?.reason).toMatch(/^value: /);
    expect(rows.every((r) => r.registered === false)).toBe(true);
    expect(rig.sensorEvents.filter((e) => e.deviceKey === 'mqtt:tank-2')).toHaveLength(0);
    await eventually(() => bridge.stats().quarantined === 3);
  });

  it('gets what was published while the gateway was down (persistent session), and nothing twice', async () => {
    await bridge.stop();
    const client = await device('hydrant-4');
    for (const value of [0.3, 0.31, 0.32]) {
      await client.publishAsync(
        `${deviceNamespace('hydrant-4')}/events`,
        JSON.stringify({ kind: 'water-pressure', value }),
        {
          qos: 1,
        },
      );
    }
    const before = (await stored('mqtt:hydrant-4')).length;
    bridge = newBridge();
    await bridge.start();
    const rows = await eventually(async () => {
      const found = await stored('mqtt:hydrant-4');
      return found.length === before + 3 && found;
    });
    expect(rows.slice(-3).map((r) => (JSON.parse(r.bytes.toString()) as { value: number }).value)).toEqual([
      0.3, 0.31, 0.32,
    ]);
  });

  it('fails to start with credentials the broker refuses', async () => {
    const config = {
      ...rig.config,
      mqtt: { url: `mqtt://${SERVICE_USER}:wrong@127.0.0.1:${external.port}`, port: 0 },
    };
    const refused = new ExternalMqttBridge(config, ingest, rig.clock, { clientId: 'fireiot-gateway-refused' });
    await expect(refused.start()).rejects.toMatchObject({ name: 'MqttIngestError', code: 'connect-failed' });
    expect(refused.stats().connected).toBe(false);
  });

  it('does not acknowledge a message it could not store: reconnects, gets it again, stores it once', async () => {
    const client = await device('hydrant-4');
    const before = (await stored('mqtt:hydrant-4')).length;
    store.failures = 1;
    await client.publishAsync(
      `${deviceNamespace('hydrant-4')}/events`,
      JSON.stringify({ kind: 'water-pressure', value: 0.4 }),
      {
        qos: 1,
      },
    );
    const rows = await eventually(
      async () => {
        const found = await stored('mqtt:hydrant-4');
        return found.length > before && found;
      },
      'the retransmitted message stored',
      10_000,
    );
    expect(rows).toHaveLength(before + 1);
    expect(bridge.stats()).toMatchObject({ storeFailures: 1 });
    expect(bridge.stats().reconnects).toBeGreaterThanOrEqual(1);
    await eventually(() => bridge.stats().connected);
  });
});
