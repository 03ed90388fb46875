import { Logger } from '@nestjs/common';
import { microsToIso } from '@fireiot/events';
import { Pool } from 'pg';

export interface DeviceRecord {
  readonly id: string;
  readonly deviceKey: string;
  readonly kind: 'uitd' | 'collector';
  readonly power: 'mains' | 'battery';
  readonly unitId: string | null;
  readonly mqttSecret: string | null;
  /**
   * The device's own profile values (CQC/SC 11002 4.4.2), seconds; null = the default of its kind
   * and power source (`effectiveProfile` in @fireiot/events).
   */
  readonly heartbeatS: number | null;
  readonly silenceThresholdS: number | null;
  readonly patrolPeriodS: number | null;
}

interface DeviceRow {
  id: string;
  device_key: string;
  kind: 'uitd' | 'collector';
  power: 'mains' | 'battery';
  unit_id: string | null;
  mqtt_secret: string | null;
  heartbeat_s: number | null;
  silence_threshold_s: number | null;
  patrol_period_s: number | null;
}

/**
 * The device registry as the gateway sees it: lookups by device key, cached for a short while
 * (a device provisioned a moment ago is recognised within `ttlMs`).
 */
export class DeviceRepository {
  private readonly cache = new Map<string, { at: number; device: DeviceRecord | null }>();

  constructor(
    private readonly pool: Pool,
    private readonly ttlMs = 10_000,
  ) {}

  async findByKey(deviceKey: string): Promise<DeviceRecord | null> {
    const hit = this.cache.get(deviceKey);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.device;
    const result = await this.pool.query<DeviceRow>(
      `SELECT id, device_key, kind, power, unit_id, mqtt_secret, heartbeat_s, silence_threshold_s, patrol_period_s
         FROM devices WHERE device_key = $1`,
      [deviceKey],
    );
    const row = result.rows[0];
    const device: DeviceRecord | null = row
      ? {
          id: row.id,
          deviceKey: row.device_key,
          kind: row.kind,
          power: row.power,
          unitId: row.unit_id,
          mqttSecret: row.mqtt_secret,
          heartbeatS: row.heartbeat_s,
          silenceThresholdS: row.silence_threshold_s,
          patrolPeriodS: row.patrol_period_s,
        }
      : null;
    if (this.cache.size > 200_000) this.cache.clear();
    this.cache.set(deviceKey, { at: Date.now(), device });
    return device;
  }

  forget(deviceKey: string): void {
    this.cache.delete(deviceKey);
  }
}

export interface Sighting {
  readonly deviceKey: string;
  readonly registered: boolean;
  readonly atUs: bigint;
  readonly peer: string;
  readonly gatewayId: string;
}

/**
 * Last-seen times (heartbeats and every frame): kept in memory and written once per interval in
 * one statement, so 20,000 devices beating every minute cost one UPDATE a second, not 333.
 */
export class PresenceRecorder {
  private readonly logger = new Logger(PresenceRecorder.name);
  private pending = new Map<string, Sighting>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  seen(sighting: Sighting): void {
    this.pending.set(sighting.deviceKey, sighting);
  }

  async flush(): Promise<void> {
    if (this.writing) await this.writing;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.writing = this.write(batch).finally(() => (this.writing = null));
    await this.writing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async write(batch: Sighting[]): Promise<void> {
    try {
      await this.pool.query(
        `INSERT INTO device_presence AS p (device_key, registered, first_seen_at, last_seen_at, last_peer, last_gateway_id)
         SELECT k, r, t, t, peer, gw FROM unnest($1::text[], $2::bool[], $3::timestamptz[], $4::text[], $5::text[]) AS u(k, r, t, peer, gw)
         ON CONFLICT (device_key) DO UPDATE SET registered = excluded.registered,
           last_seen_at = GREATEST(p.last_seen_at, excluded.last_seen_at),
           last_peer = excluded.last_peer, last_gateway_id = excluded.last_gateway_id`,
        [
          batch.map((s) => s.deviceKey),
          batch.map((s) => s.registered),
          batch.map((s) => microsToIso(s.atUs)),
          batch.map((s) => s.peer),
          batch.map((s) => s.gatewayId),
        ],
      );
    } catch (error) {
      // Not raw data: the frames themselves are stored; the next sighting writes again.
      this.logger.warn({ msg: 'last-seen times not written', devices: batch.length, error: String(error) });
    }
  }
}

export interface NewDevice {
  readonly deviceKey: string;
  readonly kind: 'uitd' | 'collector';
  readonly power: 'mains' | 'battery';
  readonly mqttSecret?: string | null;
}

/**
 * Provisioning of devices (the registry is written by provisioning, never by the gateway's
 * application role, which may only read it). Idempotent per device key.
 */
export class DeviceProvisioning {
  constructor(private readonly ownerPool: Pool) {}

  async register(devices: readonly NewDevice[]): Promise<number> {
    if (devices.length === 0) return 0;
    const result = await this.ownerPool.query(
      `INSERT INTO devices (device_key, kind, power, mqtt_secret)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
       ON CONFLICT (device_key) DO NOTHING`,
      [
        devices.map((d) => d.deviceKey),
        devices.map((d) => d.kind),
        devices.map((d) => d.power),
        devices.map((d) => d.mqttSecret ?? null),
      ],
    );
    return result.rowCount ?? 0;
  }
}
