import { OperatorAlert } from '@fireiot/events';
import { Pool } from 'pg';

interface OperatorAlertRow {
  id: string;
  kind: OperatorAlert['kind'];
  clause: OperatorAlert['clause'];
  title: string;
  detail: Record<string, unknown>;
  raised_at: string;
}

export interface OperatorAlertQuery {
  /** ISO time: alerts raised at or after it; null = no lower bound. */
  readonly since: string | null;
  readonly limit: number;
}

const COLUMNS = `id, kind, clause, title, detail,
  to_char(raised_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS raised_at`;

/**
 * Alerts for the monitoring centre's operators (CQC/SC 11002 4.4.1 abnormal access, 4.4.3
 * storage headroom, 4.4.4 maintenance): the append-only `operator_alerts` table. Written by the
 * self-monitoring, read by `GET /api/operator-alerts`.
 */
export class OperatorAlertRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Appends an alert. Returns false when a row with this id exists already (a deterministic id
   * raised twice, e.g. by two processes sampling the same database): nothing is written then.
   */
  async insert(alert: OperatorAlert): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO operator_alerts (id, kind, clause, title, detail, raised_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::timestamptz)
       ON CONFLICT (id) DO NOTHING`,
      [alert.id, alert.kind, alert.clause, alert.title, JSON.stringify(alert.detail), alert.raisedAt],
    );
    return result.rowCount === 1;
  }

  /** Newest first. */
  async list(query: OperatorAlertQuery): Promise<OperatorAlert[]> {
    const result = await this.pool.query<OperatorAlertRow>(
      `SELECT ${COLUMNS} FROM operator_alerts
        WHERE $1::timestamptz IS NULL OR raised_at >= $1::timestamptz
        ORDER BY raised_at DESC, id
        LIMIT $2`,
      [query.since, query.limit],
    );
    return result.rows.map(fromRow);
  }

  /** The most recent alert of a kind, or null. */
  async latest(kind: OperatorAlert['kind']): Promise<OperatorAlert | null> {
    const result = await this.pool.query<OperatorAlertRow>(
      `SELECT ${COLUMNS} FROM operator_alerts WHERE kind = $1 ORDER BY raised_at DESC LIMIT 1`,
      [kind],
    );
    const row = result.rows[0];
    return row ? fromRow(row) : null;
  }
}

function fromRow(row: OperatorAlertRow): OperatorAlert {
  return {
    id: row.id,
    kind: row.kind,
    clause: row.clause,
    title: row.title,
    detail: row.detail,
    raisedAt: row.raised_at,
  };
}
