/*
 * What the consoles' alert lists cost the database as the alert history grows.
 *
 * The board, the unit's page and the device lists ask for every open alert however old
 * (`GET /api/alerts?open=true&limit=1000`) and for the latest 200 of all, at most once a second
 * per page while alerts arrive, and every 30 s otherwise. "Open" is an anti-join on the append-only
 * register (no `closed` event, no alert restoring it); the database keeps the open ones in
 * `alerts_open` as alerts and events are added, so the list should cost what the open alerts
 * cost, not what the history does. The latest-N list walks the time index.
 *
 * Setup: a real embedded PostgreSQL, ALERT_BENCH_ALERTS alerts (default 300,000) over 50 units
 * and a year, of which all but ALERT_BENCH_OPEN (default 300) are closed (2 in 3 by a `closed`
 * event, 1 in 3 restored by a `restored` alert, itself closed); the open ones are spread over the
 * whole year and every unit. Each list is read ALERT_BENCH_READS times (default 30) through AlertRepository.list.
 *
 * Target: p95 ≤ 100 ms for the open list, across all units and for one unit, at the default size
 * (every console and unit page reads it, at most once a second each).
 *
 *   node bench/run.js alert-list
 *   ALERT_BENCH_ALERTS=1000000 node bench/run.js alert-list
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createAppPool } from '@fireiot/storage';
import { startTestDatabase } from '@fireiot/storage/testing';
import { summarise } from '@fireiot/testing';
import { AlertFilter, AlertRepository } from '../src';

const ALERTS = Number(process.env['ALERT_BENCH_ALERTS'] ?? 300_000);
const OPEN = Number(process.env['ALERT_BENCH_OPEN'] ?? 300);
const READS = Number(process.env['ALERT_BENCH_READS'] ?? 30);
const UNITS = 50;
const TARGET_P95_MS = 100;

interface Result {
  name: string;
  value: number;
  unit: string;
  target: string;
  pass: boolean;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

async function main(): Promise<void> {
  console.log(`alert lists: ${ALERTS.toLocaleString('en')} alerts, ${OPEN} open, ${READS} reads per list`);
  let t = performance.now();
  const db = await startTestDatabase();
  const pool = createAppPool(db.ownerUrl, 4);
  pool.on('error', () => undefined);
  try {
    // Units, then the history in one statement each: alert i is received i × (a year / ALERTS) ago.
    const units = await db.sql<{ id: string }>(
      `INSERT INTO units (name) SELECT 'Bench unit ' || g FROM generate_series(1, ${UNITS}) g RETURNING id`,
    );
    const unitIds = units.map((u) => u.id);
    await db.sql(
      `INSERT INTO alerts (id, unit_id, device_key, subject, kind, clause, rule_id, title, source_table, source_id,
                           received_at, classified_at, deadline_ms)
       SELECT gen_random_uuid(), ($1::uuid[])[1 + g % ${UNITS}], 'uitd:' || (g % 5000), 'sys:1/1/comp:' || g,
              CASE WHEN g % 4 = 0 THEN 'fire-alarm' ELSE 'fault' END, CASE WHEN g % 4 = 0 THEN '4.3.1' ELSE '4.3.2' END,
              'bench', 'bench alert', 'raw_frames', g,
              now() - (g * (interval '365 days' / $2::int)), now() - (g * (interval '365 days' / $2::int)), 3000
         FROM generate_series(1, $2::int) g`,
      [unitIds, ALERTS],
    );
    // Every alert but OPEN evenly spread ones is closed: 1 in 3 restored (the restoring alert
    // closed too), the others closed by a person.
    // (A step prime to the number of units, so the open ones fall in every unit.)
    let openEvery = Math.max(1, Math.floor(ALERTS / Math.max(1, OPEN)));
    while (gcd(openEvery, UNITS) !== 1) openEvery++;
    await db.sql(
      `WITH numbered AS (SELECT id, unit_id, device_key, received_at, source_id AS n FROM alerts)
       INSERT INTO alerts (id, unit_id, device_key, subject, kind, clause, rule_id, title, source_table, source_id,
                           received_at, classified_at, deadline_ms, restores)
       SELECT gen_random_uuid(), unit_id, device_key, 'sys:1/1/comp:' || n, 'restored', '4.3.2', 'bench', 'restored',
              'raw_frames', n + 100000000, received_at + interval '1 minute', received_at + interval '1 minute', 10000, id
         FROM numbered WHERE n % $1::int <> 0 AND n % 3 = 0`,
      [openEvery],
    );
    await db.sql(
      `INSERT INTO alert_events (alert_id, type, at, note)
       SELECT id, 'closed', received_at + interval '2 minutes', 'bench'
         FROM alerts
        WHERE kind = 'restored' OR (source_id % $1::int <> 0 AND source_id % 3 <> 0)`,
      [openEvery],
    );
    // What autovacuum does in service (alerts_open is vacuumed after every 1,000 dead rows).
    await db.sql('VACUUM ANALYZE');
    const [counts] = await db.sql<{ alerts: string; events: string }>(
      `SELECT (SELECT count(*) FROM alerts) AS alerts, (SELECT count(*) FROM alert_events) AS events`,
    );
    console.log(
      `  seeded in ${((performance.now() - t) / 1000).toFixed(1)} s: ${Number(counts?.alerts).toLocaleString('en')} alert rows, ` +
        `${Number(counts?.events).toLocaleString('en')} events`,
    );

    const repo = new AlertRepository(pool);
    const base: AlertFilter = { unitIds: null, kind: null, from: null, to: null, open: null, limit: 1000 };
    const lists: { name: string; filter: AlertFilter; gated: boolean }[] = [
      { name: 'open alerts, all units (open=true, limit 1000)', filter: { ...base, open: true }, gated: true },
      {
        name: 'open alerts, one unit (open=true, limit 1000)',
        filter: { ...base, open: true, unitIds: [unitIds[0] ?? ''] },
        gated: true,
      },
      { name: 'latest 200, all units', filter: { ...base, limit: 200 }, gated: false },
      { name: 'latest 200, one unit', filter: { ...base, limit: 200, unitIds: [unitIds[0] ?? ''] }, gated: false },
    ];
    const results: Result[] = [];
    console.log('\n| list | rows | p50 ms | p95 ms | max ms | target |');
    console.log('|---|---|---|---|---|---|');
    for (const { name, filter, gated } of lists) {
      await repo.list(filter); // warm the plan and the cache
      const ms: number[] = [];
      let rows = 0;
      for (let i = 0; i < READS; i++) {
        t = performance.now();
        rows = (await repo.list(filter)).length;
        ms.push(performance.now() - t);
      }
      const s = summarise(ms);
      if (s === null) throw new Error('ALERT_BENCH_READS must be at least 1');
      const p95 = s.p95;
      const verdict = gated ? (p95 <= TARGET_P95_MS ? 'pass' : 'MISS') : '';
      console.log(`| ${name} | ${rows} | ${s.p50.toFixed(1)} | ${p95.toFixed(1)} | ${s.max.toFixed(1)} | ${verdict} |`);
      if (gated) {
        results.push({
          name: `alert list p95: ${name} at ${ALERTS} alerts`,
          value: Math.round(p95),
          unit: 'ms',
          target: `<= ${TARGET_P95_MS}`,
          pass: p95 <= TARGET_P95_MS,
        });
      }
      if (filter.open === true && filter.unitIds === null && rows !== Math.min(Math.floor(ALERTS / openEvery), 1000)) {
        throw new Error(`expected ${Math.floor(ALERTS / openEvery)} open alerts, listed ${rows}: the seeding is wrong`);
      }
    }
    const report = process.env['FIREIOT_BENCH_REPORT'];
    if (report) for (const r of results) appendFileSync(report, `${JSON.stringify(r)}\n`);
  } finally {
    await pool.end();
    await db.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
