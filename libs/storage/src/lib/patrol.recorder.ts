import { Logger } from '@nestjs/common';
import { microsToIso } from '@fireiot/events';
import { Pool } from 'pg';

/** The statuses a patrol reaches (patrol_records.status): 'sent', then one of the other three. */
export type PatrolStatus = 'sent' | 'answered' | 'missed' | 'aborted';

/** One row of patrol_records (CQC/SC 11002 4.1.3, 4.4.2; GB/T 26875.3 type 81 → type 21). */
export interface PatrolRecord {
  readonly patrolId: string;
  readonly deviceKey: string;
  /** The device's registry id, or null for an unregistered device. */
  readonly deviceId: string | null;
  readonly status: PatrolStatus;
  /** µs since the epoch: first transmission ('sent'), answer receive time ('answered'), else when it was decided. */
  readonly atUs: bigint;
  /** The query's GB/T 26875.3 serial number. */
  readonly serial: number | null;
  /** Transmissions made (1 + retransmissions). */
  readonly attempts: number | null;
  readonly gatewayId: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface PatrolRecorderOptions {
  /** How often buffered rows are written (one INSERT per interval). */
  readonly intervalMs?: number;
  /** Rows kept while the database is unreachable; beyond it the oldest are dropped (logged). */
  readonly maxBuffered?: number;
}

export interface PatrolRecorderStats {
  written: number;
  /** Rows given up: the buffer overflowed, or the database refused the row itself. */
  dropped: number;
  /** Flushes that failed and were left for the next one. */
  failedFlushes: number;
  buffered: number;
}

/**
 * Patrol records (CQC/SC 11002 4.1.3: patrol records are kept and never modified; 4.4.2): rows
 * buffered in memory and appended once per interval in one multi-row INSERT, so a fleet of
 * patrols costs one statement a second. A row already written (same patrol and status) is
 * skipped, so a retried flush never doubles anything. A failed flush is logged and retried at
 * the next one; the buffer is bounded (the oldest rows are dropped, with an error log, when the
 * database stays away too long). A row the database refuses as such (bad data) is dropped alone
 * so it cannot block the others.
 */
export class PatrolRecorder {
  private readonly logger = new Logger(PatrolRecorder.name);
  private readonly intervalMs: number;
  private readonly maxBuffered: number;
  private buffer: PatrolRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private readonly counters = { written: 0, dropped: 0, failedFlushes: 0 };

  constructor(
    private readonly pool: Pool,
    options: PatrolRecorderOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.maxBuffered = options.maxBuffered ?? 100_000;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  record(row: PatrolRecord): void {
    this.buffer.push(row);
    this.trim();
  }

  get buffered(): number {
    return this.buffer.length;
  }

  stats(): PatrolRecorderStats {
    return { ...this.counters, buffered: this.buffer.length };
  }

  /** Writes what is buffered; never rejects (a failure is logged and the rows kept for the next flush). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.writing = this.write(batch).finally(() => (this.writing = null));
    await this.writing;
  }

  /** Stops the timer and writes what is left (one last try; what still fails is logged as lost). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    if (this.buffer.length > 0) {
      this.logger.error({ msg: 'patrol records not written at stop', rows: this.buffer.length });
    }
  }

  private async write(batch: PatrolRecord[]): Promise<void> {
    try {
      await this.insert(batch);
      this.counters.written += batch.length;
    } catch (error) {
      if (refusesRow(error) && batch.length > 1) {
        // One bad row must not hold the others back forever: write them one by one.
        for (const row of batch) await this.write([row]);
        return;
      }
      if (refusesRow(error)) {
        this.counters.dropped++;
        this.logger.error({
          msg: 'patrol record refused by the database; dropped',
          deviceKey: batch[0]?.deviceKey,
          patrolId: batch[0]?.patrolId,
          status: batch[0]?.status,
          error: String(error),
        });
        return;
      }
      this.counters.failedFlushes++;
      this.logger.warn({
        msg: 'patrol records not written; retried at the next flush',
        rows: batch.length,
        error: String(error),
      });
      // Older rows first, then what arrived during the attempt.
      this.buffer = batch.concat(this.buffer);
      this.trim();
    }
  }

  private async insert(batch: readonly PatrolRecord[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO patrol_records (patrol_id, device_key, device_id, status, at, serial, attempts, gateway_id, detail)
       SELECT p, k, d, s, t, n, a, g, j::jsonb
         FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::timestamptz[], $6::int[], $7::int[],
                     $8::text[], $9::text[]) AS u(p, k, d, s, t, n, a, g, j)
       ON CONFLICT (patrol_id, status) DO NOTHING`,
      [
        batch.map((r) => r.patrolId),
        batch.map((r) => r.deviceKey),
        batch.map((r) => r.deviceId),
        batch.map((r) => r.status),
        batch.map((r) => microsToIso(r.atUs)),
        batch.map((r) => r.serial),
        batch.map((r) => r.attempts),
        batch.map((r) => r.gatewayId),
        batch.map((r) => JSON.stringify(r.detail ?? {})),
      ],
    );
  }

  private trim(): void {
    const excess = this.buffer.length - this.maxBuffered;
    if (excess <= 0) return;
    const dropped = this.buffer.splice(0, excess);
    this.counters.dropped += excess;
    this.logger.error({
      msg: 'patrol record buffer full; oldest rows dropped',
      dropped: excess,
      from: dropped[0]?.deviceKey,
      maxBuffered: this.maxBuffered,
    });
  }
}

/** SQLSTATE class 22 (data exception) or 23 (integrity constraint): the row itself is refused, retrying cannot help. */
function refusesRow(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}
