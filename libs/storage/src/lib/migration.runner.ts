import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import { runner } from 'node-pg-migrate';
import { Client } from 'pg';
import { StorageError } from './storage.error';

export type Partitioning = 'timescaledb' | 'native';

export interface MigrationResult {
  readonly applied: string[];
  readonly partitioning: Partitioning;
  readonly partitionsCreated: number;
}

export const MIGRATIONS_DIR = join(__dirname, '..', 'migrations');
const RAW_TABLES = ['raw_frames', 'raw_mqtt', 'quarantine'] as const;

/**
 * Brings the schema up to date (node-pg-migrate, SQL migrations in `src/migrations`, under an
 * advisory lock so several instances may start at once), then makes sure the coming months'
 * partitions exist. Runs as the database owner, never as the application's role.
 */
export async function migrateDatabase(ownerUrl: string): Promise<MigrationResult> {
  const logger = new Logger('Migrations');
  const client = new Client({ connectionString: ownerUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new StorageError('database-unavailable', `cannot connect to PostgreSQL: ${String(error)}`, { cause: error });
  }
  try {
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      migrationsTable: 'pgmigrations',
      direction: 'up',
      count: Infinity,
      checkOrder: true,
      log: () => undefined,
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: (m: string) => logger.warn(m),
        error: (m: string) => logger.error(m),
      },
    });
    const partitionsCreated = await ensurePartitions(client);
    const mode = await client.query<{ value: string }>("SELECT value FROM fireiot_meta WHERE key = 'partitioning'");
    const partitioning: Partitioning = mode.rows[0]?.value === 'timescaledb' ? 'timescaledb' : 'native';
    logger.log({
      msg: 'schema up to date',
      applied: applied.map((m) => m.name),
      partitioning,
      partitionsCreated,
    });
    return { applied: applied.map((m) => m.name), partitioning, partitionsCreated };
  } catch (error) {
    if (error instanceof StorageError) throw error;
    throw new StorageError('migration-failed', `migration failed: ${String(error)}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Months of partitions kept ready ahead of the current one. */
const MONTHS_AHEAD = 2;

/** Creates the raw tables' missing monthly partitions (native mode; a no-op on hypertables). */
async function ensurePartitions(client: Client): Promise<number> {
  let made = 0;
  for (const table of RAW_TABLES) {
    const result = await client.query<{ n: number }>('SELECT fireiot_ensure_partitions($1, $2) AS n', [
      table,
      MONTHS_AHEAD,
    ]);
    made += result.rows[0]?.n ?? 0;
  }
  return made;
}

/**
 * Keeps the coming months' partitions ready while the platform runs (start-up alone is not
 * enough for a platform that runs for months: rows would pile into the DEFAULT partition, and
 * a DEFAULT partition holding rows of a month forbids creating that month's partition).
 * Runs as the owner: the application's role may not create tables.
 */
export class PartitionMaintenance {
  private readonly logger = new Logger(PartitionMaintenance.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ownerUrl: string,
    private readonly intervalMs = 6 * 3600_000,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass; failures are logged (the next pass retries; rows are never refused meanwhile). */
  async run(): Promise<number> {
    const client = new Client({ connectionString: this.ownerUrl });
    try {
      await client.connect();
      const made = await ensurePartitions(client);
      if (made > 0) this.logger.log({ msg: 'partitions created', made });
      return made;
    } catch (error) {
      this.logger.error({ msg: 'partition maintenance failed', error: String(error) });
      return 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
