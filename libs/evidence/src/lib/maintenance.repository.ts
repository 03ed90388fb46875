import { MaintenancePower } from '@fireiot/alerting';
import { Pool } from 'pg';

/** A maintenance item done (CQC/SC 11002 4.4.4, Annex A); `deviceId` null = the platform's own item. */
export interface NewMaintenanceRecord {
  readonly itemId: string;
  readonly deviceId: string | null;
  readonly doneAt: Date;
  /** The user who records it. */
  readonly actor: string;
  readonly note: string | null;
}

export interface MaintenanceRecord {
  /** `maintenance_records.id` (a bigint, as text). */
  readonly id: string;
  readonly itemId: string;
  readonly deviceId: string | null;
  readonly deviceKey: string | null;
  readonly unitId: string | null;
  readonly doneAt: Date;
  readonly actor: string;
  /** The actor's username, null if the account is unknown. */
  readonly actorUsername: string | null;
  readonly note: string | null;
  readonly recordedAt: Date;
}

/** A device as the maintenance plan sees it: what it is, where, since when. */
export interface MaintainedDevice {
  readonly id: string;
  readonly deviceKey: string;
  readonly kind: 'uitd' | 'collector';
  readonly power: MaintenancePower;
  readonly unitId: string | null;
  readonly createdAt: Date;
}

/** An item on an object: a device, or the platform (`deviceId` null). */
export interface MaintenanceKey {
  readonly deviceId: string | null;
  readonly itemId: string;
}

export interface LastDone extends MaintenanceKey {
  readonly doneAt: Date;
}

/** Filter of the records list; every field narrows, null/absent = any. */
export interface MaintenanceRecordFilter {
  readonly deviceId?: string | null;
  /** Only records of this unit's devices (the platform's own records are no unit's). */
  readonly unitId?: string | null;
  readonly itemId?: string | null;
  /** done_at ≥ from */
  readonly from?: Date | null;
  /** done_at < to */
  readonly to?: Date | null;
  readonly limit: number;
  readonly offset?: number;
}

/** A page of devices in id order (keyset: pass the last id back as `afterId`). */
export interface DevicePageQuery {
  /** Only this unit's devices; null = all. */
  readonly unitId: string | null;
  readonly afterId: string | null;
  readonly limit: number;
}

interface RecordRow {
  id: string;
  item_id: string;
  device_id: string | null;
  device_key: string | null;
  unit_id: string | null;
  done_at: Date;
  actor: string;
  actor_username: string | null;
  note: string | null;
  recorded_at: Date;
}

interface DeviceRow {
  id: string;
  device_key: string;
  kind: 'uitd' | 'collector';
  power: MaintenancePower;
  unit_id: string | null;
  created_at: Date;
}

const DEVICE_COLUMNS = 'id, device_key, kind, power, unit_id, created_at';

function toDevice(row: DeviceRow): MaintainedDevice {
  return {
    id: row.id,
    deviceKey: row.device_key,
    kind: row.kind,
    power: row.power,
    unitId: row.unit_id,
    createdAt: row.created_at,
  };
}

function toRecord(row: RecordRow): MaintenanceRecord {
  return {
    id: row.id,
    itemId: row.item_id,
    deviceId: row.device_id,
    deviceKey: row.device_key,
    unitId: row.unit_id,
    doneAt: row.done_at,
    actor: row.actor,
    actorUsername: row.actor_username,
    note: row.note,
    recordedAt: row.recorded_at,
  };
}

/**
 * Maintenance records (CQC/SC 11002 4.4.4, Annex A; 5.4.1 g): append-only rows of items done on
 * devices or on the platform (`device_id` NULL), and what the plan needs to judge them: the last
 * time each item was done per object, the devices and the platform's start. Ids passed in must be
 * UUIDs (the API checks before asking).
 */
export class MaintenanceRepository {
  constructor(private readonly pool: Pool) {}

  /** Appends a record; returns its id. */
  async record(record: NewMaintenanceRecord): Promise<string> {
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO maintenance_records (item_id, device_id, done_at, actor, note)
       VALUES ($1, $2, $3, $4, $5) RETURNING id::text AS id`,
      [record.itemId, record.deviceId, record.doneAt, record.actor, record.note],
    );
    const id = rows[0]?.id;
    if (id === undefined) throw new Error('INSERT … RETURNING gave no row');
    return id;
  }

  /**
   * When each (device or platform, item) was last done, in the order asked, in one query: one
   * top-1 probe per key on `maintenance_records_item` (item_id, device_id, done_at DESC), however
   * long the history. Keys never done are absent.
   */
  async lastDone(keys: readonly MaintenanceKey[]): Promise<LastDone[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.pool.query<{ device_id: string | null; item_id: string; done_at: Date | null }>(
      `SELECT k.device_id, k.item_id,
              CASE WHEN k.device_id IS NULL
                THEN (SELECT m.done_at FROM maintenance_records m
                       WHERE m.item_id = k.item_id AND m.device_id IS NULL ORDER BY m.done_at DESC LIMIT 1)
                ELSE (SELECT m.done_at FROM maintenance_records m
                       WHERE m.item_id = k.item_id AND m.device_id = k.device_id ORDER BY m.done_at DESC LIMIT 1)
              END AS done_at
         FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS k (device_id, item_id, n)
        ORDER BY k.n`,
      [keys.map((k) => k.deviceId), keys.map((k) => k.itemId)],
    );
    const done: LastDone[] = [];
    for (const r of rows) {
      if (r.done_at !== null) done.push({ deviceId: r.device_id, itemId: r.item_id, doneAt: r.done_at });
    }
    return done;
  }

  /** Records, newest first (by done_at, then id). */
  async list(filter: MaintenanceRecordFilter): Promise<MaintenanceRecord[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (filter.deviceId != null) where.push(`m.device_id = $${params.push(filter.deviceId)}`);
    if (filter.unitId != null) where.push(`d.unit_id = $${params.push(filter.unitId)}`);
    if (filter.itemId != null) where.push(`m.item_id = $${params.push(filter.itemId)}`);
    if (filter.from != null) where.push(`m.done_at >= $${params.push(filter.from)}`);
    if (filter.to != null) where.push(`m.done_at < $${params.push(filter.to)}`);
    const { rows } = await this.pool.query<RecordRow>(
      `SELECT m.id::text AS id, m.item_id, m.device_id, d.device_key, d.unit_id, m.done_at, m.actor,
              u.username AS actor_username, m.note, m.recorded_at
         FROM maintenance_records m
         LEFT JOIN devices d ON d.id = m.device_id
         LEFT JOIN users u ON u.id = m.actor
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY m.done_at DESC, m.id DESC
        LIMIT $${params.push(filter.limit)} OFFSET $${params.push(filter.offset ?? 0)}`,
      params,
    );
    return rows.map(toRecord);
  }

  async device(id: string): Promise<MaintainedDevice | null> {
    const { rows } = await this.pool.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = $1`, [id]);
    const row = rows[0];
    return row === undefined ? null : toDevice(row);
  }

  /** Devices in id order, a page at a time (the whole fleet is walked without holding it). */
  async devices(query: DevicePageQuery): Promise<MaintainedDevice[]> {
    const { rows } = await this.pool.query<DeviceRow>(
      `SELECT ${DEVICE_COLUMNS} FROM devices
        WHERE ($1::uuid IS NULL OR unit_id = $1) AND ($2::uuid IS NULL OR id > $2)
        ORDER BY id LIMIT $3`,
      [query.unitId, query.afterId, query.limit],
    );
    return rows.map(toDevice);
  }

  /**
   * When the platform started, as far as its records tell: its first account (the bootstrap
   * operator is created at the first start; nothing is provisioned before an operator exists).
   * Null while there is no account. Reads the small `users` table, never the fleet.
   */
  async platformSince(): Promise<Date | null> {
    const { rows } = await this.pool.query<{ since: Date | null }>('SELECT min(created_at) AS since FROM users');
    return rows[0]?.since ?? null;
  }
}
