import { randomUUID } from 'node:crypto';
import { ShieldEntry } from '@fireiot/alerting';
import { Pool } from 'pg';

/** A shield with its whole history (CQC/SC 11002 4.4.4): who set it, why, until when, who lifted it. */
export interface ShieldRecord {
  readonly shieldId: string;
  readonly deviceId: string;
  readonly deviceKey: string;
  readonly unitId: string | null;
  readonly subject: string | null;
  readonly reason: string;
  readonly actor: string;
  readonly at: string;
  readonly expiresAt: string;
  readonly lifted: { readonly at: string; readonly actor: string; readonly reason: string } | null;
  readonly active: boolean;
}

export interface NewShield {
  readonly deviceId: string;
  readonly deviceKey: string;
  readonly subject: string | null;
  readonly reason: string;
  readonly actor: string;
  readonly at: string;
  readonly expiresAt: string;
}

interface ShieldRow {
  shield_id: string;
  device_id: string;
  device_key: string;
  unit_id: string | null;
  subject: string | null;
  reason: string;
  actor: string;
  at: string;
  expires_at: string;
  lifted_at: string | null;
  lifted_by: string | null;
  lifted_reason: string | null;
  active: boolean;
}

const iso = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const SHIELD_SELECT = `SELECT s.shield_id, s.device_id, s.device_key, d.unit_id, s.subject, s.reason, s.actor,
    ${iso('s.at')} AS at, ${iso('s.expires_at')} AS expires_at,
    ${iso('l.at')} AS lifted_at, l.actor AS lifted_by, l.reason AS lifted_reason,
    (l.shield_id IS NULL AND s.expires_at > now()) AS active
  FROM shield_events s
  JOIN devices d ON d.id = s.device_id
  LEFT JOIN shield_events l ON l.shield_id = s.shield_id AND l.event = 'lifted'
  WHERE s.event = 'shielded'`;

/** Shields as append-only events: set, then lifted (or expired). The audit log of 4.4.4. */
export class ShieldRepository {
  constructor(private readonly pool: Pool) {}

  async shield(shield: NewShield): Promise<string> {
    const shieldId = randomUUID();
    await this.pool.query(
      `INSERT INTO shield_events (shield_id, event, device_id, device_key, subject, reason, actor, at, expires_at)
       VALUES ($1, 'shielded', $2, $3, $4, $5, $6, $7, $8)`,
      [
        shieldId,
        shield.deviceId,
        shield.deviceKey,
        shield.subject,
        shield.reason,
        shield.actor,
        shield.at,
        shield.expiresAt,
      ],
    );
    return shieldId;
  }

  /** Lifts a shield; false if it was lifted already. */
  async lift(shieldId: string, reason: string, actor: string, at: string): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO shield_events (shield_id, event, device_id, device_key, subject, reason, actor, at)
       SELECT shield_id, 'lifted', device_id, device_key, subject, $2, $3, $4 FROM shield_events
       WHERE shield_id = $1 AND event = 'shielded'
       ON CONFLICT (shield_id, event) DO NOTHING`,
      [shieldId, reason, actor, at],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async find(shieldId: string): Promise<ShieldRecord | null> {
    const result = await this.pool.query<ShieldRow>(`${SHIELD_SELECT} AND s.shield_id = $1`, [shieldId]);
    const row = result.rows[0];
    return row ? toRecord(row) : null;
  }

  /** Shields, newest first: of one device or one unit's devices, or all; only those in force if asked. */
  async list(filter: {
    readonly deviceId?: string;
    readonly unitId?: string;
    readonly activeOnly?: boolean;
    readonly limit?: number;
  }): Promise<ShieldRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.deviceId !== undefined) where.push(`s.device_id = $${params.push(filter.deviceId)}`);
    if (filter.unitId !== undefined) where.push(`d.unit_id = $${params.push(filter.unitId)}`);
    if (filter.activeOnly) where.push(`l.shield_id IS NULL AND s.expires_at > now()`);
    const limit = params.push(Math.min(filter.limit ?? 500, 5000));
    const result = await this.pool.query<ShieldRow>(
      `${SHIELD_SELECT}${where.map((w) => ` AND ${w}`).join('')} ORDER BY s.at DESC LIMIT $${limit}`,
      params,
    );
    return result.rows.map(toRecord);
  }

  /** The shields in force now, for the in-memory registry. */
  async active(): Promise<ShieldEntry[]> {
    const result = await this.pool.query<{
      shield_id: string;
      device_key: string;
      subject: string | null;
      until: string;
    }>(
      `SELECT s.shield_id, s.device_key, s.subject, floor(extract(epoch FROM s.expires_at) * 1000)::bigint AS until
       FROM shield_events s LEFT JOIN shield_events l ON l.shield_id = s.shield_id AND l.event = 'lifted'
       WHERE s.event = 'shielded' AND l.shield_id IS NULL AND s.expires_at > now()`,
    );
    return result.rows.map((r) => ({
      shieldId: r.shield_id,
      deviceKey: r.device_key,
      subject: r.subject,
      until: Number(r.until),
    }));
  }
}

function toRecord(row: ShieldRow): ShieldRecord {
  return {
    shieldId: row.shield_id,
    deviceId: row.device_id,
    deviceKey: row.device_key,
    unitId: row.unit_id,
    subject: row.subject,
    reason: row.reason,
    actor: row.actor,
    at: row.at,
    expiresAt: row.expires_at,
    lifted:
      row.lifted_at !== null && row.lifted_by !== null && row.lifted_reason !== null
        ? { at: row.lifted_at, actor: row.lifted_by, reason: row.lifted_reason }
        : null,
    active: row.active,
  };
}
