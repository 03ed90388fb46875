import { InProcessBus } from '@fireiot/bus';
import { FireiotConfig } from '@fireiot/config';
import { DevicePresence, ReceiveClock, SensorEvent } from '@fireiot/events';
import { hashSecret, SecretHashParams } from '@fireiot/secrets';
import { createAppPool, DeviceRepository, PresenceRecorder, RawStore } from '@fireiot/storage';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { Pool } from 'pg';
import { MqttIngestOptions, MqttIngestService } from './mqtt-ingest.service';
import { mqttDeviceKey } from './mqtt-topic.util';

/** Cheap scrypt parameters for specs (the format records them; verification reads them back). */
export const TEST_SECRET_PARAMS: SecretHashParams = { N: 1024, r: 8, p: 1 };

export type MqttTestConfig = Pick<FireiotConfig, 'host' | 'mqtt' | 'gatewayId'> & {
  readonly watchdog: Pick<FireiotConfig['watchdog'], 'presenceIntervalMs'>;
};

/** Everything the MQTT ingestion needs, real: embedded PostgreSQL, raw store, registry, in-process bus. */
export interface MqttTestRig {
  readonly db: TestDatabase;
  readonly pool: Pool;
  readonly store: RawStore;
  readonly devices: DeviceRepository;
  readonly presence: PresenceRecorder;
  readonly bus: InProcessBus;
  readonly clock: ReceiveClock;
  readonly config: MqttTestConfig;
  readonly ingest: MqttIngestService;
  /** What the bus delivered, in order. */
  readonly sensorEvents: SensorEvent[];
  readonly presenceEvents: DevicePresence[];
  /** Inserts a collector `mqtt:<deviceId>` (as the owner); `secret` null = no MQTT credentials. Returns its registry id. */
  provision(deviceId: string, secret: string | null): Promise<string>;
  rows<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function startMqttTestRig(
  options: { ingest?: MqttIngestOptions; store?: RawStore; presenceIntervalMs?: number } = {},
): Promise<MqttTestRig> {
  const db = await startDatabaseWithRetry();
  const pool = createAppPool(db.ownerUrl);
  const store = options.store ?? new RawStore(pool, { batchMs: 2 });
  const devices = new DeviceRepository(pool, 0);
  const presence = new PresenceRecorder(pool, 50);
  const bus = new InProcessBus();
  const clock = new ReceiveClock();
  const config: MqttTestConfig = {
    host: '127.0.0.1',
    mqtt: { url: null, port: 0 },
    gatewayId: 'gw-test',
    watchdog: { presenceIntervalMs: options.presenceIntervalMs ?? 5000 },
  };
  const ingest = new MqttIngestService(store, devices, presence, bus, config, options.ingest);
  const sensorEvents: SensorEvent[] = [];
  const presenceEvents: DevicePresence[] = [];
  // Sensor events, whichever lane (fire alarms take the priority topic).
  await bus.subscribe('fireiot.ingest.sensor-events.v1', 'spec', async (m) => void sensorEvents.push(m));
  await bus.subscribe('fireiot.ingest.sensor-fire-alarms.v1', 'spec', async (m) => void sensorEvents.push(m));
  await bus.subscribe('fireiot.device.presence.v1', 'spec', async (m) => void presenceEvents.push(m));
  return {
    db,
    pool,
    store,
    devices,
    presence,
    bus,
    clock,
    config,
    ingest,
    sensorEvents,
    presenceEvents,
    async provision(deviceId, secret) {
      const hash = secret === null ? null : await hashSecret(secret, TEST_SECRET_PARAMS);
      const [row] = await db.sql<{ id: string }>(
        "INSERT INTO devices (device_key, kind, power, mqtt_secret) VALUES ($1, 'collector', 'battery', $2) RETURNING id",
        [mqttDeviceKey(deviceId), hash],
      );
      return (row as { id: string }).id;
    },
    rows: (sql, params) => db.sql(sql, params),
    async close() {
      await presence.stop();
      await store.close().catch(() => undefined);
      await bus.close();
      await pool.end();
      await db.stop();
    },
  };
}

/**
 * `startTestDatabase()` picks a free port, releases it, then starts PostgreSQL on it; another
 * process (a parallel spec) can take the port in between. Such a start is retried.
 */
async function startDatabaseWithRetry(attempts = 3): Promise<TestDatabase> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTestDatabase();
    } catch (error) {
      if (attempt >= attempts || !/Address already in use/.test(String(error))) throw error;
    }
  }
}

/** Lets queued bus deliveries run. */
export function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface RawMqttRow {
  id: string;
  device_key: string;
  topic: string;
  client_id: string;
  peer: string;
  registered: boolean;
  bytes: Buffer;
}

export interface QuarantineRowView {
  id: string;
  device_key: string;
  source: string;
  reason_code: string;
  reason: string;
  topic: string | null;
  peer: string;
  registered: boolean;
  bytes: Buffer;
}
