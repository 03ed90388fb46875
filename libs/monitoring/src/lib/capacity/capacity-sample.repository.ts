import { Pool } from 'pg';
import { RawIntake, SampleTrend } from './capacity.forecast';

export interface CapacitySampleRow {
  readonly databaseBytes: number;
  readonly diskFreeBytes: number | null;
  readonly diskTotalBytes: number | null;
  readonly budgetBytes: number | null;
}

/** `capacity_samples` (append-only) and the size queries behind them (CQC/SC 11002 4.4.3). */
export class CapacitySampleRepository {
  constructor(private readonly pool: Pool) {}

  async databaseBytes(): Promise<number> {
    const result = await this.pool.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes');
    return Number(result.rows[0]?.bytes ?? 0);
  }

  /** Appends a sample at the database's `now()`; returns that time (ISO µs). */
  async insert(sample: CapacitySampleRow): Promise<string> {
    const result = await this.pool.query<{ at: string }>(
      `INSERT INTO capacity_samples (at, database_bytes, disk_free_bytes, disk_total_bytes, budget_bytes)
       VALUES (clock_timestamp(), $1, $2, $3, $4)
       ON CONFLICT (at) DO NOTHING
       RETURNING to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at`,
      [sample.databaseBytes, sample.diskFreeBytes, sample.diskTotalBytes, sample.budgetBytes],
    );
    return result.rows[0]?.at ?? new Date().toISOString();
  }

  /** The trend of the last 7 days' samples (least squares, `regr_slope`). */
  async trend(): Promise<SampleTrend> {
    const result = await this.pool.query<{ n: number; span_s: number; slope: number | null }>(
      `SELECT count(*)::int AS n,
              coalesce(extract(epoch FROM max(at) - min(at)), 0)::float8 AS span_s,
              regr_slope(database_bytes::float8, extract(epoch FROM at)::float8) AS slope
         FROM capacity_samples
        WHERE at > now() - interval '7 days'`,
    );
    const row = result.rows[0];
    return {
      count: row?.n ?? 0,
      spanMs: (row?.span_s ?? 0) * 1000,
      bytesPerDay: row?.slope === null || row?.slope === undefined ? null : row.slope * 86_400,
    };
  }

  /**
   * Bytes of the raw rows (raw_frames, raw_mqtt) received in the last 24 h, as stored in the
   * heap (`pg_column_size` of each row; indexes and the evidence tables not counted).
   */
  async rawIntake(): Promise<RawIntake> {
    const result = await this.pool.query<{ bytes: number; span_s: number }>(
      `SELECT coalesce(sum(bytes), 0)::float8 AS bytes,
              coalesce(extract(epoch FROM now() - min(since)), 0)::float8 AS span_s
         FROM (SELECT sum(pg_column_size(t.*)) AS bytes, min(t.received_at) AS since
                 FROM raw_frames t WHERE t.received_at > now() - interval '24 hours'
               UNION ALL
               SELECT sum(pg_column_size(t.*)), min(t.received_at)
                 FROM raw_mqtt t WHERE t.received_at > now() - interval '24 hours') AS intake`,
    );
    const row = result.rows[0];
    return { bytes: row?.bytes ?? 0, spanMs: Math.max(0, (row?.span_s ?? 0) * 1000) };
  }
}
