import { Pool } from 'pg';

/**
 * The application's connections: every connection switches to the `fireiot_app` role (INSERT and
 * SELECT on raw tables; CQC/SC 11002 4.1.3) before its first query.
 */
export function createAppPool(url: string, max = 8): Pool {
  const pool = new Pool({ connectionString: url, max, application_name: 'fireiot' });
  pool.on('connect', (client) => {
    // Queued ahead of any query on this client.
    client.query('SET ROLE fireiot_app').catch(() => undefined);
  });
  // An idle client's error (server restart) must not crash the process; the next query fails.
  pool.on('error', () => undefined);
  return pool;
}
