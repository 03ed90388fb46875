import { Pool } from 'pg';

/** CQC/SC 11002 4.4.2, 5.4.1 g): a device's link lost or restored (`device_link_events`). */
export type LinkEvent = 'lost' | 'restored';
export type LinkCause = 'disconnected' | 'silence' | 'patrol-missed' | 'heard';

export interface NewLinkEvent {
  readonly deviceKey: string;
  readonly deviceId: string | null;
  readonly event: LinkEvent;
  readonly cause: LinkCause;
  /** ISO µs: when the loss became observable / when the device was heard again. */
  readonly observableAt: string;
  readonly lastSeenAt: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** A registered device as the watchdog tracks it: profile, last sign of life, last link event. */
export interface TrackedDeviceRow {
  readonly id: string;
  readonly deviceKey: string;
  readonly kind: 'uitd' | 'collector';
  readonly power: 'mains' | 'battery';
  readonly unitId: string | null;
  readonly heartbeatS: number | null;
  readonly silenceThresholdS: number | null;
  readonly patrolPeriodS: number | null;
  /** ms since epoch; null if never seen. */
  readonly lastSeenMs: number | null;
  readonly link: {
    readonly id: string;
    readonly event: LinkEvent;
    readonly cause: LinkCause;
    readonly observableAt: string;
  } | null;
}

interface TrackedRow {
  id: string;
  device_key: string;
  kind: 'uitd' | 'collector';
  power: 'mains' | 'battery';
  unit_id: string | null;
  heartbeat_s: number | null;
  silence_threshold_s: number | null;
  patrol_period_s: number | null;
  last_seen_ms: string | null;
  link_id: string | null;
  link_event: LinkEvent | null;
  link_cause: LinkCause | null;
  link_at: string | null;
}

const TRACKED_SELECT = `SELECT d.id, d.device_key, d.kind, d.power, d.unit_id, d.heartbeat_s, d.silence_threshold_s,
    d.patrol_period_s, floor(extract(epoch FROM p.last_seen_at) * 1000)::bigint AS last_seen_ms,
    l.id AS link_id, l.event AS link_event, l.cause AS link_cause,
    to_char(l.observable_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS link_at
  FROM devices d
  LEFT JOIN device_presence p ON p.device_key = d.device_key
  LEFT JOIN LATERAL (SELECT e.id, e.event, e.cause, e.observable_at FROM device_link_events e
                     WHERE e.device_key = d.device_key ORDER BY e.id DESC LIMIT 1) l ON true`;

/**
 * The watchdog's storage: link events (append-only) and the registered devices with what a
 * restart needs to rebuild the watch (profile, last seen, last link event).
 */
export class DeviceLinkRepository {
  constructor(private readonly pool: Pool) {}

  /** Appends link events in one statement; returns their ids in the order given. */
  async record(events: readonly NewLinkEvent[]): Promise<string[]> {
    if (events.length === 0) return [];
    const result = await this.pool.query<{ id: string }>(
      `INSERT INTO device_link_events (device_key, device_id, event, cause, observable_at, last_seen_at, detail)
       SELECT k, d, e, c, o, l, x FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[],
         $6::timestamptz[], $7::jsonb[]) WITH ORDINALITY AS u(k, d, e, c, o, l, x, n) ORDER BY n
       RETURNING id`,
      [
        events.map((e) => e.deviceKey),
        events.map((e) => e.deviceId),
        events.map((e) => e.event),
        events.map((e) => e.cause),
        events.map((e) => e.observableAt),
        events.map((e) => e.lastSeenAt),
        events.map((e) => JSON.stringify(e.detail)),
      ],
    );
    // Identity values are drawn row by row in insertion order: ascending ids = the order given.
    return result.rows
      .map((r) => BigInt(r.id))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map(String);
  }

  /** Every registered device (or one), for the watchdog's start and for devices it learns of later. */
  async tracked(deviceKey?: string): Promise<TrackedDeviceRow[]> {
    const result =
      deviceKey === undefined
        ? await this.pool.query<TrackedRow>(TRACKED_SELECT)
        : await this.pool.query<TrackedRow>(`${TRACKED_SELECT} WHERE d.device_key = $1`, [deviceKey]);
    return result.rows.map((r) => ({
      id: r.id,
      deviceKey: r.device_key,
      kind: r.kind,
      power: r.power,
      unitId: r.unit_id,
      heartbeatS: r.heartbeat_s,
      silenceThresholdS: r.silence_threshold_s,
      patrolPeriodS: r.patrol_period_s,
      lastSeenMs: r.last_seen_ms === null ? null : Number(r.last_seen_ms),
      link:
        r.link_id !== null && r.link_event !== null && r.link_cause !== null && r.link_at !== null
          ? { id: r.link_id, event: r.link_event, cause: r.link_cause, observableAt: r.link_at }
          : null,
    }));
  }

  /** Of these link event ids, those that have no alert yet (a crash between the two writes). */
  async withoutAlert(linkIds: readonly string[]): Promise<Set<string>> {
    if (linkIds.length === 0) return new Set();
    const result = await this.pool.query<{ source_id: string }>(
      `SELECT source_id FROM alerts WHERE source_table = 'device_link_events' AND source_id = ANY($1::bigint[])`,
      [linkIds],
    );
    const have = new Set(result.rows.map((r) => r.source_id));
    return new Set(linkIds.filter((id) => !have.has(id)));
  }
}
