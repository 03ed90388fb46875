import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@fireiot/testing';
import { Client } from 'pg';
import { EmbeddedPostgresServer } from './embedded-postgres.server';
import { migrateDatabase, MigrationResult } from './migration.runner';

/** A real PostgreSQL server for integration specs: a throw-away cluster on a free port. */
export interface TestDatabase {
  readonly ownerUrl: string;
  readonly migration: MigrationResult;
  readonly dataDir: string;
  /** Runs one statement as the owner (superuser) and returns its rows. */
  sql<T extends object = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fireiot-pg-'));
  const server = new EmbeddedPostgresServer({ dataDir, port: await freePort() });
  const ownerUrl = await server.start();
  const migration = await migrateDatabase(ownerUrl);
  return {
    ownerUrl,
    migration,
    dataDir,
    async sql<T extends object>(text: string, params: unknown[] = []): Promise<T[]> {
      const client = new Client({ connectionString: ownerUrl });
      await client.connect();
      try {
        return (await client.query<T>(text, params)).rows;
      } finally {
        await client.end();
      }
    },
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
