import { randomUUID } from 'node:crypto';
import { OperatorAlert } from '@fireiot/events';
import { Pool } from 'pg';
import { createAppPool } from './app.pool';
import { OperatorAlertRepository } from './operator-alert.repository';
import { startTestDatabase, TestDatabase } from './test-database.test-util';

jest.setTimeout(60_000);

function alert(raisedAt: string, overrides: Partial<OperatorAlert> = {}): OperatorAlert {
  return {
    id: randomUUID(),
    kind: 'capacity',
    clause: '4.4.3',
    title: 'Storage headroom 42 days',
    detail: { headroomDays: 42, databaseBytes: 123 },
    raisedAt,
    ...overrides,
  };
}

describe(OperatorAlertRepository.name, () => {
  let db: TestDatabase;
  let pool: Pool;
  let repository: OperatorAlertRepository;

  beforeAll(async () => {
    db = await startTestDatabase();
    pool = createAppPool(db.ownerUrl, 2);
    repository = new OperatorAlertRepository(pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.stop();
  });

  it('appends an alert once per id and reads it back with µs times', async () => {
    const a = alert('2025-11-22T03:13:54.567890Z');
    expect(await repository.insert(a)).toBe(true);
    expect(await repository.insert({ ...a, title: 'again' })).toBe(false);
    expect(await repository.list({ since: null, limit: 10 })).toEqual([a]);
  });

  it('lists newest first, from `since`, at most `limit`; finds the latest of a kind', async () => {
    const b = alert('2025-11-23T00:00:00.000001Z', { kind: 'abnormal-access', clause: '4.4.1', detail: {} });
    const c = alert('2025-11-24T00:00:00.000000Z');
    await repository.insert(b);
    await repository.insert(c);
    expect((await repository.list({ since: null, limit: 10 })).map((x) => x.raisedAt)).toEqual([
      c.raisedAt,
      b.raisedAt,
      '2025-11-22T03:13:54.567890Z',
    ]);
    expect(await repository.list({ since: '2025-11-23T00:00:00Z', limit: 1 })).toEqual([c]);
    expect(await repository.latest('abnormal-access')).toEqual(b);
    expect(await repository.latest('maintenance-overdue')).toBeNull();
  });

  it('is append-only for the application role (4.1.3)', async () => {
    await expect(pool.query('DELETE FROM operator_alerts')).rejects.toThrow();
    await expect(pool.query("UPDATE operator_alerts SET title = 'x'")).rejects.toThrow();
  });
});
