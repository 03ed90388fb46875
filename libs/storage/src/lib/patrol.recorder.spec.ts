import { Logger } from '@nestjs/common';
import { eventually } from '@fireiot/testing';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createAppPool } from './app.pool';
import { PatrolRecord, PatrolRecorder, PatrolStatus } from './patrol.recorder';
import { startTestDatabase, TestDatabase } from './test-database.test-util';

jest.setTimeout(60_000);

// The recorder logs the failures these specs provoke on purpose.
Logger.overrideLogger(false);

const T0 = 1_763_781_234_567_890n;

function row(patrolId: string, status: PatrolStatus, overrides: Partial<PatrolRecord> = {}): PatrolRecord {
  return {
    patrolId,
    deviceKey: 'uitd:889',
    deviceId: null,
    status,
    atUs: T0,
    serial: 4711,
    attempts: 1,
    gatewayId: 'gw-test',
    ...overrides,
  };
}

interface StoredPatrol {
  patrol_id: string;
  device_key: string;
  device_id: string | null;
  status: string;
  at: string;
  serial: number | null;
  attempts: number | null;
  gateway_id: string;
  detail: Record<string, unknown>;
}

/**
 * Patrol records (CQC/SC 11002 4.1.3, 4.4.2): buffered, appended in one INSERT per flush, never
 * doubled, kept across a failed write, bounded in memory.
 */
describe(PatrolRecorder.name, () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await startTestDatabase();
    pool = createAppPool(db.ownerUrl);
  });
  afterAll(async () => {
    await pool.end();
    await db.stop();
  });

  function stored(patrolId: string): Promise<StoredPatrol[]> {
    return db.sql<StoredPatrol>(
      `SELECT patrol_id::text, device_key, device_id::text, status, serial, attempts, gateway_id, detail,
              to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
         FROM patrol_records WHERE patrol_id = $1 ORDER BY id`,
      [patrolId],
    );
  }

  it('writes buffered rows on flush, field for field (at in µs, detail as JSON)', async () => {
    const [device] = await db.sql<{ id: string }>(
      "INSERT INTO devices (device_key, kind) VALUES ('uitd:890', 'uitd') RETURNING id::text",
    );
    const recorder = new PatrolRecorder(pool);
    const id = randomUUID();
    recorder.record(row(id, 'sent', { deviceKey: 'uitd:890', deviceId: device?.id ?? null }));
    recorder.record(
      row(id, 'answered', {
        deviceKey: 'uitd:890',
        deviceId: device?.id ?? null,
        atUs: T0 + 1500n,
        attempts: 2,
        detail: { answer: 'response' },
      }),
    );
    expect(await stored(id)).toEqual([]); // nothing before the flush
    expect(recorder.buffered).toBe(2);

    await recorder.flush();

    expect(await stored(id)).toEqual([
      {
        patrol_id: id,
        device_key: 'uitd:890',
        device_id: device?.id,
        status: 'sent',
        at: '2025-11-22T03:13:54.567890Z',
        serial: 4711,
        attempts: 1,
        gateway_id: 'gw-test',
        detail: {},
      },
      {
        patrol_id: id,
        device_key: 'uitd:890',
        device_id: device?.id,
        status: 'answered',
        at: '2025-11-22T03:13:54.569390Z',
        serial: 4711,
        attempts: 2,
        gateway_id: 'gw-test',
        detail: { answer: 'response' },
      },
    ]);
    expect(recorder.stats()).toMatchObject({ written: 2, dropped: 0, buffered: 0 });
  });

  it('writes a (patrol, status) once: a repeated row is skipped, not an error', async () => {
    const recorder = new PatrolRecorder(pool);
    const id = randomUUID();
    recorder.record(row(id, 'sent'));
    await recorder.flush();
    recorder.record(row(id, 'sent', { atUs: T0 + 5n }));
    recorder.record(row(id, 'missed', { serial: null, attempts: 4 }));
    await recorder.flush();

    const rows = await stored(id);
    expect(rows.map((r) => [r.status, r.at, r.attempts])).toEqual([
      ['sent', '2025-11-22T03:13:54.567890Z', 1],
      ['missed', '2025-11-22T03:13:54.567890Z', 4],
    ]);
    expect(rows[1]?.serial).toBeNull();
    expect(recorder.stats()).toMatchObject({ failedFlushes: 0, buffered: 0 });
  });

  it('keeps the rows of a failed write and writes them at the next flush', async () => {
    const recorder = new PatrolRecorder(pool);
    const id = randomUUID();
    await db.sql('REVOKE INSERT ON patrol_records FROM fireiot_app');
    try {
      recorder.record(row(id, 'sent'));
      await recorder.flush();
      expect(recorder.stats()).toMatchObject({ failedFlushes: 1, buffered: 1, written: 0 });
      recorder.record(row(id, 'aborted', { detail: { reason: 'connection closed' } }));
    } finally {
      await db.sql('GRANT INSERT ON patrol_records TO fireiot_app');
    }
    await recorder.flush();

    expect((await stored(id)).map((r) => r.status)).toEqual(['sent', 'aborted']);
    expect(recorder.stats()).toMatchObject({ written: 2, buffered: 0, dropped: 0 });
  });

  it('drops a row the database refuses (bad data) alone, and writes the others', async () => {
    const recorder = new PatrolRecorder(pool);
    const good = randomUUID();
    const bad = randomUUID();
    recorder.record(row(good, 'sent'));
    recorder.record(row(bad, 'lost' as PatrolStatus)); // fails the CHECK on status
    recorder.record(row(good, 'answered'));
    await recorder.flush();

    expect((await stored(good)).map((r) => r.status)).toEqual(['sent', 'answered']);
    expect(await stored(bad)).toEqual([]);
    expect(recorder.stats()).toMatchObject({ written: 2, dropped: 1, buffered: 0 });
  });

  it('bounds its buffer: beyond maxBuffered the oldest rows are dropped', async () => {
    const recorder = new PatrolRecorder(pool, { maxBuffered: 3 });
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const id of ids) recorder.record(row(id, 'sent'));
    expect(recorder.stats()).toMatchObject({ buffered: 3, dropped: 2 });

    await recorder.flush();
    const written = await db.sql<{ patrol_id: string }>(
      'SELECT patrol_id::text FROM patrol_records WHERE patrol_id = ANY($1::uuid[])',
      [ids],
    );
    expect(written.map((r) => r.patrol_id).sort()).toEqual(ids.slice(2).sort());
  });

  it('flushes on its interval once started, and what is left on stop', async () => {
    const recorder = new PatrolRecorder(pool, { intervalMs: 20 });
    recorder.start();
    const first = randomUUID();
    recorder.record(row(first, 'sent'));
    await eventually(async () => (await stored(first)).length === 1, 'the timer-driven flush');

    const last = randomUUID();
    recorder.record(row(last, 'sent'));
    await recorder.stop();
    expect(await stored(last)).toHaveLength(1);
  });
});
