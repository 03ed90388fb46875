import { Pool, PoolClient } from 'pg';
import { AlertKindName } from './evidence.model';

/** A row of the duty log (CQC/SC 11002 5.4.1 a, b). `handover`: the giver's shift ends, the taker's starts. */
export type DutyKind = 'start' | 'end' | 'entry' | 'handover';

/** Whether an operator's shift is open: their latest start or handover-to is after their latest end or handover-from. */
export type DutyState = 'on-duty' | 'off-duty';

/** An alert not yet closed when a shift was handed over, as the handover snapshots it. */
export interface OpenAlertRef {
  readonly id: string;
  readonly kind: AlertKindName;
  readonly title: string;
  readonly deviceKey: string;
  readonly unitId: string | null;
  readonly receivedAt: string;
}

export interface DutyRecord {
  readonly id: string;
  readonly at: string;
  readonly kind: DutyKind;
  readonly userId: string;
  readonly username: string;
  readonly note: string | null;
  /** `handover`: the operator who took the shift over. */
  readonly to: { readonly userId: string; readonly username: string } | null;
  /** `handover`: the alerts not closed at that moment (at most the limit asked, fire alarms first). */
  readonly openAlerts: readonly OpenAlertRef[] | null;
  /** `handover`: how many alerts were not closed in all. */
  readonly openAlertsTotal: number | null;
}

export interface OnDutyRecord {
  readonly userId: string;
  readonly username: string;
  /** The start or handover that opened the shift. */
  readonly since: string;
}

export interface NewDutyEntry {
  readonly kind: DutyKind;
  readonly userId: string;
  readonly at: string;
  readonly note: string | null;
  /** `handover` only: the taker. */
  readonly toUserId?: string;
  /** `handover` only: how many open alerts to keep in the snapshot. */
  readonly openAlertsLimit?: number;
}

export interface DutyFilter {
  /** at ≥ from */
  readonly from: string | null;
  /** at < to */
  readonly to: string | null;
  readonly limit: number;
}

export type DutyAppendResult =
  | { readonly ok: true; readonly entry: DutyRecord }
  /** The writer's state was not the one required: nothing written. */
  | { readonly ok: false; readonly state: DutyState };

/** A timestamptz as ISO 8601 UTC text with µs. */
const iso = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Every duty write holds this transaction lock: a check of who is on duty and its row are one step. */
const DUTY_LOCK = "SELECT pg_advisory_xact_lock(hashtext('fireiot.duty_log'))";

/**
 * Starts (true) and ends (false) of shifts: a `start` and the taker of a `handover` open one; an
 * `end` and the giver of a `handover` close it. `seq` is the order the rows were written in.
 */
const SHIFT_MARKS = `
  SELECT user_id AS uid, seq, at, kind = 'start' AS opens FROM duty_log WHERE kind IN ('start', 'end', 'handover')
  UNION ALL
  SELECT to_user_id AS uid, seq, at, true AS opens FROM duty_log WHERE kind = 'handover'`;

const RECORD_SELECT = `SELECT d.id, ${iso('d.at')} AS at, d.kind, d.user_id, u.username, d.note,
    d.to_user_id, t.username AS to_username, d.open_alerts, d.open_alerts_total
  FROM duty_log d
  JOIN users u ON u.id = d.user_id
  LEFT JOIN users t ON t.id = d.to_user_id`;

interface RecordRow {
  id: string;
  at: string;
  kind: DutyKind;
  user_id: string;
  username: string;
  note: string | null;
  to_user_id: string | null;
  to_username: string | null;
  open_alerts: OpenAlertRef[] | null;
  open_alerts_total: number | null;
}

function toRecord(r: RecordRow): DutyRecord {
  return {
    id: r.id,
    at: r.at,
    kind: r.kind,
    userId: r.user_id,
    username: r.username,
    note: r.note,
    to: r.to_user_id === null ? null : { userId: r.to_user_id, username: r.to_username ?? '' },
    openAlerts: r.open_alerts,
    openAlertsTotal: r.open_alerts_total,
  };
}

/**
 * The duty log (CQC/SC 11002 5.4.1 a: duty records; b: shift handovers), append-only. Who is on
 * duty is derived from it. Writes are serialized (one transaction lock), so "is this operator on
 * duty" and the row written on its answer cannot race another write.
 */
export class DutyRepository {
  constructor(private readonly pool: Pool) {}

  /** Operators whose shift is open, longest on duty first. */
  async onDuty(): Promise<OnDutyRecord[]> {
    const { rows } = await this.pool.query<OnDutyRecord>(
      `WITH latest AS (SELECT DISTINCT ON (uid) uid, at, opens FROM (${SHIFT_MARKS}) m ORDER BY uid, seq DESC)
       SELECT l.uid AS "userId", u.username, ${iso('l.at')} AS since
         FROM latest l JOIN users u ON u.id = l.uid
        WHERE l.opens
        ORDER BY l.at, u.username`,
    );
    return rows;
  }

  /** Entries newest first. */
  async list(filter: DutyFilter): Promise<DutyRecord[]> {
    const { rows } = await this.pool.query<RecordRow>(
      `${RECORD_SELECT}
        WHERE ($1::timestamptz IS NULL OR d.at >= $1) AND ($2::timestamptz IS NULL OR d.at < $2)
        ORDER BY d.at DESC, d.seq DESC
        LIMIT $3`,
      [filter.from, filter.to, filter.limit],
    );
    return rows.map(toRecord);
  }

  async find(id: string): Promise<DutyRecord | null> {
    const { rows } = await this.pool.query<RecordRow>(`${RECORD_SELECT} WHERE d.id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Appends an entry if the writer's duty state is `requires` (null: whatever it is); a handover
   * also snapshots the alerts not closed at that moment. Nothing is written when the state differs.
   */
  async append(entry: NewDutyEntry, requires: DutyState | null): Promise<DutyAppendResult> {
    const client = await this.pool.connect();
    let id: string;
    try {
      await client.query('BEGIN');
      await client.query(DUTY_LOCK);
      if (requires !== null) {
        const state = await this.stateOf(client, entry.userId);
        if (state !== requires) {
          await client.query('ROLLBACK');
          return { ok: false, state };
        }
      }
      const snapshot = entry.kind === 'handover' ? await this.openAlerts(client, entry.openAlertsLimit ?? 500) : null;
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO duty_log (at, kind, user_id, note, to_user_id, open_alerts, open_alerts_total)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [
          entry.at,
          entry.kind,
          entry.userId,
          entry.note,
          entry.toUserId ?? null,
          snapshot === null ? null : JSON.stringify(snapshot.alerts),
          snapshot?.total ?? null,
        ],
      );
      await client.query('COMMIT');
      const inserted = rows[0]?.id;
      if (inserted === undefined) throw new Error('INSERT … RETURNING gave no row');
      id = inserted;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    const stored = await this.find(id);
    if (stored === null) throw new Error(`duty entry ${id} not found after its commit`);
    return { ok: true, entry: stored };
  }

  private async stateOf(client: PoolClient, userId: string): Promise<DutyState> {
    const { rows } = await client.query<{ opens: boolean }>(
      `SELECT opens FROM (
         SELECT seq, kind = 'start' AS opens FROM duty_log WHERE user_id = $1 AND kind IN ('start', 'end', 'handover')
         UNION ALL
         SELECT seq, true AS opens FROM duty_log WHERE to_user_id = $1
       ) m ORDER BY seq DESC LIMIT 1`,
      [userId],
    );
    return rows[0]?.opens === true ? 'on-duty' : 'off-duty';
  }

  /**
   * Alerts not closed now: neither closed by a person nor restored (the `closedAt` of
   * `AlertRepository`), and not suppressed (never sent, nothing to handle): the rows of
   * `alerts_open`, which the database keeps. Fire alarms first, newest first; the total counts
   * them all.
   */
  private async openAlerts(client: PoolClient, limit: number): Promise<{ alerts: OpenAlertRef[]; total: number }> {
    const { rows } = await client.query<OpenAlertRef & { total: string }>(
      `SELECT a.id, a.kind, a.title, a.device_key AS "deviceKey", a.unit_id AS "unitId",
              ${iso('a.received_at')} AS "receivedAt", count(*) OVER () AS total
         FROM alerts_open o JOIN alerts a ON a.id = o.alert_id
        ORDER BY (a.kind = 'fire-alarm') DESC, a.received_at DESC, a.id
        LIMIT $1`,
      [limit],
    );
    return {
      alerts: rows.map(({ total: _total, ...alert }) => alert),
      total: Number(rows[0]?.total ?? 0),
    };
  }
}
