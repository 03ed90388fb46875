import { randomUUID } from 'node:crypto';
import { TestDatabase } from '@fireiot/storage/testing';
import { ADMIN, ApiTestApp, createdId, startApiApp, testDatabase } from '../api-test.test-util';
import { OperatorAlertsController } from './operator-alerts.controller';

jest.setTimeout(60_000);

describe(OperatorAlertsController.name, () => {
  let db: TestDatabase;
  let api: ApiTestApp;
  let admin: string;

  beforeAll(async () => {
    db = await testDatabase();
    api = await startApiApp(db);
    admin = await api.login(ADMIN.username, ADMIN.password);
    for (const [kind, clause, at] of [
      ['capacity', '4.4.3', '2025-11-22T03:00:00.000001Z'],
      ['abnormal-access', '4.4.1', '2025-11-23T03:00:00.000002Z'],
      ['capacity', '4.4.3', '2025-11-24T03:00:00.000003Z'],
    ] as const) {
      await db.sql(
        `INSERT INTO operator_alerts (id, kind, clause, title, detail, raised_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [randomUUID(), kind, clause, `${kind} at ${at}`, JSON.stringify({ n: 1 }), at],
      );
    }
  });
  afterAll(async () => {
    await api.close();
    await db.stop();
  });

  type List = { alerts: { kind: string; clause: string; title: string; raisedAt: string; detail: unknown }[] };

  it('lists operator alerts newest first, from `since`, at most `limit` (operators)', async () => {
    const all = await api.call<List>('GET', '/api/operator-alerts', { token: admin });
    expect(all.status).toBe(200);
    expect(all.body.alerts.map((a) => a.raisedAt)).toEqual([
      '2025-11-24T03:00:00.000003Z',
      '2025-11-23T03:00:00.000002Z',
      '2025-11-22T03:00:00.000001Z',
    ]);
    expect(all.body.alerts[0]).toEqual({
      id: expect.any(String),
      kind: 'capacity',
      clause: '4.4.3',
      title: 'capacity at 2025-11-24T03:00:00.000003Z',
      detail: { n: 1 },
      raisedAt: '2025-11-24T03:00:00.000003Z',
    });
    const some = await api.call<List>('GET', '/api/operator-alerts?since=2025-11-23T00:00:00Z&limit=1', {
      token: admin,
    });
    expect(some.body.alerts.map((a) => a.kind)).toEqual(['capacity']);
  });

  it('lets auditors read; refuses unit users (403) and anonymous callers (401)', async () => {
    createdId(
      await api.call('POST', '/api/users', {
        token: admin,
        body: { username: 'aud', password: 'auditor-password', role: 'auditor' },
      }),
    );
    const auditor = await api.login('aud', 'auditor-password');
    expect((await api.call<List>('GET', '/api/operator-alerts', { token: auditor })).body.alerts).toHaveLength(3);

    const unitId = createdId(await api.call('POST', '/api/units', { token: admin, body: { name: 'Unit' } }));
    createdId(
      await api.call('POST', `/api/units/${unitId}/users`, {
        token: admin,
        body: { username: 'unit-user', password: 'unit-password-1' },
      }),
    );
    const unit = await api.login('unit-user', 'unit-password-1');
    expect((await api.call('GET', '/api/operator-alerts', { token: unit })).status).toBe(403);
    expect((await api.call('GET', '/api/operator-alerts')).status).toBe(401);
  });

  it('validates the query (400 invalid-input)', async () => {
    for (const query of ['?limit=0', '?limit=abc', '?since=yesterday', '?kind=capacity']) {
      const answer = await api.call<{ error: { code: string } }>('GET', `/api/operator-alerts${query}`, {
        token: admin,
      });
      expect([query, answer.status, answer.body.error.code]).toEqual([query, 400, 'invalid-input']);
    }
  });
});
