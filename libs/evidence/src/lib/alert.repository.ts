import { Pool } from 'pg';
import { BatchWriter } from './batch.writer';
import {
  AlertDetail,
  AlertEventRow,
  AlertEventView,
  AlertHandling,
  AlertRow,
  AlertState,
  AlertSummary,
  AttemptRow,
  AttemptStatus,
  HANDLING_STEPS,
  HandlingStep,
} from './evidence.model';

/** Filter of `GET /api/alerts`; `unitIds` null = every unit (operators, auditors). */
export interface AlertFilter {
  readonly unitIds: readonly string[] | null;
  readonly kind: string | null;
  readonly from: string | null;
  readonly to: string | null;
  /**
   * true: only open alerts (neither suppressed, closed, nor restored), whatever their age, so the
   * board never loses an old open alarm behind newer ones; false: only the others; null: all.
   */
  readonly open?: boolean | null;
  readonly limit: number;
}

/**
 * An alert still open, as the summaries define it (state not suppressed, no closed_at): a row of
 * `alerts_open`, which the database keeps as alerts and `closed` events are added (migration
 * 1763820000000_open-alerts.sql), so the open ones are found without scanning the history.
 */
const OPEN_ALERT = `a.id IN (SELECT o.alert_id FROM alerts_open o)`;

/** An open alarm as stored: raised (fire, fault, abnormal), neither restored nor closed. */
export interface StoredOpenAlarm {
  readonly alertId: string;
  readonly deviceKey: string;
  readonly subject: string;
  readonly ruleId: string;
  readonly title: string;
}

/** A timestamptz column as ISO 8601 UTC text with µs (pg's Date would keep only ms). */
function ts(expr: string, as: string): string {
  return `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${as}`;
}

const ALERT_COLUMNS =
  'id, unit_id, device_id, device_key, subject, kind, clause, item, rule_id, title, detail, source_table, source_id, received_at, classified_at, deadline_ms, restores, suppressed';
const EVENT_COLUMNS = 'alert_id, type, at, actor, note, source_id, detail';
const ATTEMPT_COLUMNS =
  'alert_id, attempt_key, channel, recipient, address, attempt_no, status, at, provider_ref, error, elapsed_us, deadline_met';

/**
 * The alert evidence (append-only): alerts, their register of events (5.4.1 e) and every channel
 * attempt. Writes are group-committed; `add*` resolves after COMMIT. Rows are idempotent:
 * alerts by their derived id, repeats by source row, attempts by (key, status) — a replay or a
 * retried batch adds nothing twice.
 */
export class AlertRepository {
  private readonly alerts: BatchWriter<AlertRow>;
  private readonly events: BatchWriter<AlertEventRow>;
  private readonly attempts: BatchWriter<AttemptRow>;

  constructor(
    private readonly pool: Pool,
    options: { batchMs?: number } = {},
  ) {
    this.alerts = new BatchWriter(
      'alerts',
      (rows) => this.insert('alerts', ALERT_COLUMNS, rows.map(alertToDb)),
      options,
    );
    this.events = new BatchWriter(
      'alert_events',
      (rows) => this.insert('alert_events', EVENT_COLUMNS, rows.map(eventToDb)),
      options,
    );
    this.attempts = new BatchWriter(
      'alert_attempts',
      (rows) => this.insert('alert_attempts', ATTEMPT_COLUMNS, rows.map(attemptToDb)),
      options,
    );
  }

  get backlog(): number {
    return this.alerts.backlog + this.events.backlog + this.attempts.backlog;
  }

  addAlert(row: AlertRow): Promise<void> {
    return this.alerts.add(row);
  }

  addEvent(row: AlertEventRow): Promise<void> {
    return this.events.add(row);
  }

  addAttempt(row: AttemptRow): Promise<void> {
    return this.attempts.add(row);
  }

  /**
   * Appends a handling step of the register (5.4.1 e) at once, outside the group commit, so the
   * caller learns whether it was stored: false when the alert was already `received` (one row per
   * alert, `alert_events_received_once`; two operators taking it at the same moment).
   */
  async appendStep(step: {
    readonly alertId: string;
    readonly type: HandlingStep;
    readonly at: string;
    readonly actor: string;
    readonly note: string | null;
  }): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO alert_events (alert_id, type, at, actor, note) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING`,
      [step.alertId, step.type, step.at, step.actor, step.note],
    );
    return rowCount === 1;
  }

  async flush(): Promise<void> {
    await Promise.all([this.alerts.flush(), this.events.flush(), this.attempts.flush()]);
  }

  /**
   * The open alarms as they stood at `asOf` (a receive time; null = now): raised by then, and
   * neither restored by a source received by then nor closed by a person by then. Replay after a
   * crash starts from the book at its checkpoint and re-derives everything after it.
   */
  async openAlarms(asOf: string | null = null): Promise<StoredOpenAlarm[]> {
    const { rows } = await this.pool.query<StoredOpenAlarm>(
      `SELECT a.id AS "alertId", a.device_key AS "deviceKey", a.subject, a.rule_id AS "ruleId", a.title
         FROM alerts a
        WHERE a.kind IN ('fire-alarm', 'fault', 'abnormal')
          AND ($1::timestamptz IS NULL OR a.received_at <= $1)
          AND NOT EXISTS (SELECT 1 FROM alerts r WHERE r.restores = a.id AND ($1::timestamptz IS NULL OR r.received_at <= $1))
          AND NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.alert_id = a.id AND e.type = 'closed'
                            AND ($1::timestamptz IS NULL OR e.at <= $1))`,
      [asOf],
    );
    return rows;
  }

  /** Alerts a person closed after `since` (replay applies them after re-deriving the rest). */
  async closedSince(since: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ alert_id: string }>(
      "SELECT alert_id FROM alert_events WHERE type = 'closed' AND at > $1 ORDER BY at",
      [since],
    );
    return rows.map((r) => r.alert_id);
  }

  /** Ids of alerts whose source was received after `since` (replay finds what it already raised). */
  async idsSince(since: string): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM alerts WHERE received_at > $1', [since]);
    return new Set(rows.map((r) => r.id));
  }

  async find(id: string): Promise<AlertDetail | null> {
    const [summary] = await this.summaries('a.id = $1', [id], 1);
    if (!summary) return null;
    const [events, attempts] = await Promise.all([
      // The actor's username, so the register reads without a lookup per row (5.4.1 e).
      this.pool.query(
        `SELECT ${prefixed('e', EVENT_COLUMNS)}, u.username AS actor_name
           FROM alert_events e LEFT JOIN users u ON u.id = e.actor
          WHERE e.alert_id = $1 ORDER BY e.at, e.id`,
        [id],
      ),
      this.pool.query(
        `SELECT ${prefixed('t', ATTEMPT_COLUMNS)} FROM alert_attempts t WHERE alert_id = $1 ORDER BY t.at, t.id`,
        [id],
      ),
    ]);
    return { ...summary, events: events.rows.map(eventViewFromDb), attempts: attempts.rows.map(attemptFromDb) };
  }

  async list(filter: AlertFilter): Promise<AlertSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.unitIds !== null) where.push(`a.unit_id = ANY($${params.push(filter.unitIds)}::uuid[])`);
    if (filter.kind !== null) where.push(`a.kind = $${params.push(filter.kind)}`);
    if (filter.from !== null) where.push(`a.received_at >= $${params.push(filter.from)}`);
    if (filter.to !== null) where.push(`a.received_at < $${params.push(filter.to)}`);
    if (filter.open === true) where.push(OPEN_ALERT);
    if (filter.open === false) where.push(`NOT (${OPEN_ALERT})`);
    return this.summaries(where.length > 0 ? where.join(' AND ') : 'true', params, filter.limit);
  }

  /** Attempt statuses recorded for these alerts: attempt key → statuses. */
  async attemptStatuses(alertIds: readonly string[]): Promise<Map<string, Set<AttemptStatus>>> {
    const out = new Map<string, Set<AttemptStatus>>();
    if (alertIds.length === 0) return out;
    const { rows } = await this.pool.query<{ attempt_key: string; status: AttemptStatus }>(
      'SELECT attempt_key, status FROM alert_attempts WHERE alert_id = ANY($1::uuid[])',
      [alertIds],
    );
    for (const r of rows) {
      let set = out.get(r.attempt_key);
      if (!set) out.set(r.attempt_key, (set = new Set()));
      set.add(r.status);
    }
    return out;
  }

  /** The `accepted` row of an attempt (status callbacks name the attempt by key). */
  async acceptedAttempt(attemptKey: string): Promise<AttemptRow | null> {
    const { rows } = await this.pool.query(
      `SELECT ${prefixed('t', ATTEMPT_COLUMNS)} FROM alert_attempts t WHERE attempt_key = $1 AND status = 'accepted'`,
      [attemptKey],
    );
    return rows[0] ? attemptFromDb(rows[0]) : null;
  }

  /** The first row recorded for an attempt, whatever its status (null if none). */
  async attemptByKey(attemptKey: string): Promise<AttemptRow | null> {
    const { rows } = await this.pool.query(
      `SELECT ${prefixed('t', ATTEMPT_COLUMNS)} FROM alert_attempts t WHERE attempt_key = $1 ORDER BY t.at, t.id LIMIT 1`,
      [attemptKey],
    );
    return rows[0] ? attemptFromDb(rows[0]) : null;
  }

  /**
   * Alerts of a unit since `since`, sent to its apps but not acknowledged by this user, and not
   * closed: what the app channel delivers when the user comes back online.
   */
  async undeliveredForUser(unitId: string, userId: string, since: string, limit: number): Promise<AlertRow[]> {
    const { rows } = await this.pool.query(
      `SELECT ${prefixed('a', ALERT_COLUMNS)} FROM alerts a
        WHERE a.unit_id = $1 AND a.received_at > $3 AND a.suppressed IS NULL
          AND NOT EXISTS (SELECT 1 FROM alert_attempts t WHERE t.alert_id = a.id AND t.channel = 'app'
                           AND t.recipient = $2 AND t.status = 'delivered')
          AND NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.alert_id = a.id AND e.type = 'closed')
        ORDER BY a.received_at
        LIMIT $4`,
      [unitId, userId, since, limit],
    );
    return rows.map(alertFromDb);
  }

  /** Unsuppressed alerts since `since` that are neither confirmed nor closed (notifier resume). */
  async unfinished(since: string): Promise<AlertRow[]> {
    const { rows } = await this.pool.query(
      `SELECT ${prefixed('a', ALERT_COLUMNS)} FROM alerts a
        WHERE a.received_at > $1 AND a.suppressed IS NULL
          AND NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.alert_id = a.id AND e.type IN ('confirmed', 'closed'))
        ORDER BY a.received_at`,
      [since],
    );
    return rows.map(alertFromDb);
  }

  async checkpoint(name: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ at: string }>(
      `SELECT to_char(processed_through AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
         FROM pipeline_checkpoint WHERE name = $1`,
      [name],
    );
    return rows[0]?.at ?? null;
  }

  async saveCheckpoint(name: string, processedThrough: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO pipeline_checkpoint (name, processed_through, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET processed_through = GREATEST(pipeline_checkpoint.processed_through, EXCLUDED.processed_through),
                                        updated_at = now()`,
      [name, processedThrough],
    );
  }

  private async summaries(where: string, params: readonly unknown[], limit: number): Promise<AlertSummary[]> {
    const { rows } = await this.pool.query(
      `SELECT ${prefixed('a', ALERT_COLUMNS)},
              ${ts('f.at', 'first_sent_at')}, f.elapsed_us AS first_elapsed_us, f.deadline_met AS first_deadline_met,
              ${ts("(SELECT min(at) FROM alert_events e WHERE e.alert_id = a.id AND e.type = 'confirmed')", 'confirmed_at')},
              ${ts(
                `LEAST((SELECT min(at) FROM alert_events e WHERE e.alert_id = a.id AND e.type = 'closed'),
                    (SELECT min(received_at) FROM alerts r WHERE r.restores = a.id))`,
                'closed_at',
              )},
              (SELECT count(*) FROM alert_events e WHERE e.alert_id = a.id AND e.type = 'repeated')::int AS repeats,
              (SELECT max(CASE e.type WHEN 'received' THEN 1 WHEN 'verified' THEN 2 WHEN 'notified' THEN 3 END)
                 FROM alert_events e
                WHERE e.alert_id = a.id AND e.type IN ('received', 'verified', 'notified')) AS handling_rank
         FROM alerts a
         LEFT JOIN LATERAL (
           SELECT t.at, t.elapsed_us, t.deadline_met FROM alert_attempts t
            WHERE t.alert_id = a.id AND t.status = 'accepted' ORDER BY t.at LIMIT 1) f ON true
        WHERE ${where}
        ORDER BY a.received_at DESC
        LIMIT ${Math.max(1, Math.min(limit, 1000))}`,
      params as unknown[],
    );
    return rows.map((r: Record<string, unknown>) => {
      const alert = alertFromDb(r);
      const firstSentAt = r['first_sent_at'] === null ? null : iso(r['first_sent_at']);
      const confirmedAt = r['confirmed_at'] === null ? null : iso(r['confirmed_at']);
      const closedAt = r['closed_at'] === null ? null : iso(r['closed_at']);
      const state: AlertState =
        alert.suppressed !== null
          ? 'suppressed'
          : closedAt !== null
            ? 'closed'
            : confirmedAt !== null
              ? 'confirmed'
              : firstSentAt !== null
                ? 'notified'
                : 'raised';
      return {
        ...alert,
        state,
        firstSentAt,
        firstSentElapsedMs: r['first_elapsed_us'] === null ? null : Number(r['first_elapsed_us']) / 1000,
        deadlineMet: r['first_deadline_met'] === null ? null : Boolean(r['first_deadline_met']),
        confirmedAt,
        closedAt,
        repeats: Number(r['repeats']),
        handling: handlingOf(closedAt, r['handling_rank']),
      };
    });
  }

  private async insert(table: string, columns: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM json_populate_recordset(null::${table}, $1)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(rows)],
    );
  }
}

const TIMESTAMP_COLUMNS = new Set(['received_at', 'classified_at', 'at']);

/** A select list: the columns of `alias`, timestamps as ISO µs text. */
function prefixed(alias: string, columns: string): string {
  return columns
    .split(', ')
    .map((c) => (TIMESTAMP_COLUMNS.has(c) ? ts(`${alias}.${c}`, c) : `${alias}.${c}`))
    .join(', ');
}

/** Timestamps are selected as ISO text (`ts`); null stays null. */
function iso(value: unknown): string {
  return String(value);
}

function alertToDb(r: AlertRow): Record<string, unknown> {
  return {
    id: r.id,
    unit_id: r.unitId,
    device_id: r.deviceId,
    device_key: r.deviceKey,
    subject: r.subject,
    kind: r.kind,
    clause: r.clause,
    item: r.item,
    rule_id: r.ruleId,
    title: r.title,
    detail: r.detail,
    source_table: r.sourceTable,
    source_id: r.sourceId,
    received_at: r.receivedAt,
    classified_at: r.classifiedAt,
    deadline_ms: r.deadlineMs,
    restores: r.restores,
    suppressed: r.suppressed,
  };
}

function alertFromDb(r: Record<string, unknown>): AlertRow {
  return {
    id: String(r['id']),
    unitId: (r['unit_id'] as string | null) ?? null,
    deviceId: (r['device_id'] as string | null) ?? null,
    deviceKey: String(r['device_key']),
    subject: String(r['subject']),
    kind: r['kind'] as AlertRow['kind'],
    clause: r['clause'] as AlertRow['clause'],
    item: (r['item'] as string | null) ?? null,
    ruleId: String(r['rule_id']),
    title: String(r['title']),
    detail: (r['detail'] as Record<string, unknown>) ?? {},
    sourceTable: String(r['source_table']),
    sourceId: String(r['source_id']),
    receivedAt: iso(r['received_at']),
    classifiedAt: iso(r['classified_at']),
    deadlineMs: Number(r['deadline_ms']),
    restores: (r['restores'] as string | null) ?? null,
    suppressed: (r['suppressed'] as AlertRow['suppressed']) ?? null,
  };
}

function eventToDb(r: AlertEventRow): Record<string, unknown> {
  return {
    alert_id: r.alertId,
    type: r.type,
    at: r.at,
    actor: r.actor,
    note: r.note,
    source_id: r.sourceId,
    detail: r.detail,
  };
}

function eventFromDb(r: Record<string, unknown>): AlertEventRow {
  return {
    alertId: String(r['alert_id']),
    type: r['type'] as AlertEventRow['type'],
    at: iso(r['at']),
    actor: (r['actor'] as string | null) ?? null,
    note: (r['note'] as string | null) ?? null,
    sourceId: r['source_id'] === null ? null : String(r['source_id']),
    detail: (r['detail'] as Record<string, unknown>) ?? {},
  };
}

function eventViewFromDb(r: Record<string, unknown>): AlertEventView {
  return { ...eventFromDb(r), actorName: (r['actor_name'] as string | null) ?? null };
}

/** 5.4.1 e: closed wins; else the furthest step recorded (rank 1–3 in the register's order). */
function handlingOf(closedAt: string | null, rank: unknown): AlertHandling {
  if (closedAt !== null) return 'closed';
  if (rank === null || rank === undefined) return 'new';
  return HANDLING_STEPS[Number(rank) - 1] ?? 'new';
}

function attemptToDb(r: AttemptRow): Record<string, unknown> {
  return {
    alert_id: r.alertId,
    attempt_key: r.attemptKey,
    channel: r.channel,
    recipient: r.recipient,
    address: r.address,
    attempt_no: r.attemptNo,
    status: r.status,
    at: r.at,
    provider_ref: r.providerRef,
    error: r.error,
    elapsed_us: r.elapsedUs,
    deadline_met: r.deadlineMet,
  };
}

function attemptFromDb(r: Record<string, unknown>): AttemptRow {
  return {
    alertId: String(r['alert_id']),
    attemptKey: String(r['attempt_key']),
    channel: r['channel'] as AttemptRow['channel'],
    recipient: (r['recipient'] as string | null) ?? null,
    address: (r['address'] as string | null) ?? null,
    attemptNo: Number(r['attempt_no']),
    status: r['status'] as AttemptRow['status'],
    at: iso(r['at']),
    providerRef: (r['provider_ref'] as string | null) ?? null,
    error: (r['error'] as string | null) ?? null,
    elapsedUs: r['elapsed_us'] === null ? null : Number(r['elapsed_us']),
    deadlineMet: r['deadline_met'] === null ? null : Boolean(r['deadline_met']),
  };
}
