import { Pool } from 'pg';

/**
 * The application's connections: each one starts as the `fireiot_app` role (INSERT and SELECT
 * on raw tables; CQC/SC 11002 4.1.3), set as a startup parameter so no query runs before it.
 */
export function createAppPool(url: string, max = 8): Pool {
  const pool = new Pool({ connectionString: url, max, application_name: 'fireiot', options: '-c role=fireiot_app' });
  // An idle client's error (server restart) must not crash the process; the next query fails.
  pool.on('error', () => undefined);
  return pool;
}
