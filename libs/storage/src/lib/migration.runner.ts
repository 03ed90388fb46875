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
    let partitionsCreated = 0;
    for (const table of RAW_TABLES) {
      const made = await client.query<{ n: number }>('SELECT fireiot_ensure_partitions($1, 2) AS n', [table]);
      partitionsCreated += made.rows[0]?.n ?? 0;
    }
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
