import { randomUUID } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { EVENT_BUS, InProcessBus } from '@fireiot/bus';
import { AlertLifecycle } from '@fireiot/events';
import { AlertDetail, AlertRepository, AlertRow, AlertSummary, EvidenceModule } from '@fireiot/evidence';
import { TestDatabase } from '@fireiot/storage/testing';
import { ADMIN, ApiTestApp, createdId, startApiApp, testDatabase } from '../api-test.test-util';
import { AlertsApiModule } from './alerts-api.module';
import { AlertsController } from './alerts.controller';

jest.setTimeout(60_000);

const bus = new InProcessBus();

/** The bus the platform's BusModule gives the app (global), in process. */
@Global()
@Module({ providers: [{ provide: EVENT_BUS, useValue: bus }], exports: [EVENT_BUS] })
class TestBusModule {}

let sourceIds = 1;

describe(AlertsController.name, () => {
  let db: TestDatabase;
  let api: ApiTestApp;
  let admin: string;
  let operator: string;
  let auditor: string;
  let unitUser: string;
  let unitA: string;
  let unitB: string;
  const published: AlertLifecycle[] = [];

  async function alert(unitId: string, overrides: Partial<AlertRow> = {}): Promise<string> {
    const row: AlertRow = {
      id: randomUUID(),
      unitId,
      deviceId: null,
      deviceKey: 'uitd:889',
      subject: 'sys:1/1/comp:131082',
      kind: 'fire-alarm',
      clause: '4.3.1',
      item: null,
      ruleId: 'fire.state',
      title: '火警 Fire alarm',
      detail: {},
      sourceTable: 'raw_frames',
      sourceId: String(sourceIds++),
      receivedAt: new Date().toISOString(),
      classifiedAt: new Date().toISOString(),
      deadlineMs: 3000,
      restores: null,
      suppressed: null,
      ...overrides,
    };
    await api.app.get(AlertRepository).addAlert(row);
    return row.id;
  }

  const step = (id: string, body: unknown, token = operator) =>
    api.call<AlertDetail & { error?: { code: string; message: string } }>('POST', `/api/alerts/${id}/steps`, {
      token,
      body,
    });
  const detail = async (id: string, token = operator) =>
    (await api.call<AlertDetail>('GET', `/api/alerts/${id}`, { token })).body;

  beforeAll(async () => {
    db = await testDatabase();
    await bus.subscribe('fireiot.alerts.lifecycle.v1', 'spec', async (m) => {
      published.push(m);
    });
    api = await startApiApp(db, {}, [TestBusModule, EvidenceModule, AlertsApiModule]);
    admin = await api.login(ADMIN.username, ADMIN.password);
    unitA = createdId(await api.call('POST', '/api/units', { token: admin, body: { name: 'Unit A' } }));
    unitB = createdId(await api.call('POST', '/api/units', { token: admin, body: { name: 'Unit B' } }));
    for (const [username, role] of [
      ['duty-op', 'operator'],
      ['audit-1', 'auditor'],
    ] as const) {
      createdId(
        await api.call('POST', '/api/users', { token: admin, body: { username, password: 'password-1', role } }),
      );
    }
    operator = await api.login('duty-op', 'password-1');
    auditor = await api.login('audit-1', 'password-1');
    createdId(
      await api.call('POST', `/api/units/${unitA}/users`, {
        token: admin,
        body: { username: 'a-user', password: 'password-1' },
      }),
    );
    unitUser = await api.login('a-user', 'password-1');
  });
  afterAll(async () => {
    await api.close();
    await bus.close();
    await db.stop();
  });

  it('records received → verified → notified (5.4.1 e) with the actor’s name, and shows the furthest as `handling`', async () => {
    const id = await alert(unitA);
    expect(await detail(id)).toMatchObject({ handling: 'new', events: [] });

    const received = await step(id, { step: 'received' });
    expect(received.status).toBe(200);
    expect(received.body).toMatchObject({ id, handling: 'received', state: 'raised' });
    expect(received.body.events).toEqual([
      {
        alertId: id,
        type: 'received',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
        actor: expect.any(String),
        actorName: 'duty-op',
        note: null,
        sourceId: null,
        detail: {},
      },
    ]);
    const verified = await step(id, { step: 'verified', note: '  现场确认：厨房油烟 smoke from cooking  ' }, admin);
    expect(verified.body).toMatchObject({ handling: 'verified' });
    expect(verified.body.events[1]).toMatchObject({
      type: 'verified',
      actorName: 'admin',
      note: '现场确认：厨房油烟 smoke from cooking',
    });
    expect((await step(id, { step: 'notified', note: 'unit duty manager by phone' })).body.handling).toBe('notified');
    // A second verification is another row of the register; the handling stays at its furthest.
    expect((await step(id, { step: 'verified', note: 'checked again' })).body.handling).toBe('notified');

    const listed = await api.call<{ alerts: AlertSummary[] }>('GET', `/api/alerts?unitId=${unitA}`, {
      token: operator,
    });
    expect(listed.body.alerts.find((a) => a.id === id)?.handling).toBe('notified');
    // The unit's own user reads the register too (4.2 c).
    expect(await detail(id, unitUser)).toMatchObject({ handling: 'notified' });

    expect(published.filter((m) => m.alertId === id).map((m) => [m.type, m.unitId, m.note])).toEqual([
      ['received', unitA, null],
      ['verified', unitA, '现场确认：厨房油烟 smoke from cooking'],
      ['notified', unitA, 'unit duty manager by phone'],
      ['verified', unitA, 'checked again'],
    ]);

    const closed = await api.call<AlertDetail>('POST', `/api/alerts/${id}/close`, {
      token: operator,
      body: { note: 'false alarm, cooking smoke' },
    });
    expect(closed.body).toMatchObject({ handling: 'closed', state: 'closed' });
    expect(closed.body.events.map((e) => [e.type, e.actorName])).toEqual([
      ['received', 'duty-op'],
      ['verified', 'admin'],
      ['notified', 'duty-op'],
      ['verified', 'duty-op'],
      ['closed', 'duty-op'],
    ]);
  });

  it('takes an alert as received once: 409 step-already-recorded, also for two operators at the same moment', async () => {
    const id = await alert(unitB);
    const answers = await Promise.all([step(id, { step: 'received' }), step(id, { step: 'received' }, admin)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)?.body).toEqual({
      error: { code: 'step-already-recorded', message: expect.stringContaining('received') },
    });
    const [row] = await db.sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM alert_events WHERE alert_id = $1 AND type = 'received'",
      [id],
    );
    expect(row?.n).toBe(1);
    expect((await step(id, { step: 'received', note: 'again' })).status).toBe(409);
  });

  it('refuses every step after the close: 409 already-closed', async () => {
    const id = await alert(unitA, { kind: 'fault', clause: '4.3.2', item: 'a', deadlineMs: 10_000 });
    expect(
      (await api.call('POST', `/api/alerts/${id}/close`, { token: operator, body: { note: 'repaired' } })).status,
    ).toBe(200);
    for (const body of [{ step: 'received' }, { step: 'verified', note: 'x' }, { step: 'notified', note: 'y' }]) {
      const answer = await step(id, body);
      expect({ body, status: answer.status, code: answer.body.error?.code }).toEqual({
        body,
        status: 409,
        code: 'already-closed',
      });
    }
  });

  it('lets only operators record steps: unit users and auditors 403, anonymous 401', async () => {
    const id = await alert(unitA);
    for (const token of [unitUser, auditor]) {
      const answer = await step(id, { step: 'received' }, token);
      expect(answer).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    }
    expect((await api.call('POST', `/api/alerts/${id}/steps`, { body: { step: 'received' } })).status).toBe(401);
    expect((await detail(id)).events).toEqual([]);
  });

  it('refuses bad steps with 400 invalid-request and the reason; unknown alerts with 404', async () => {
    const id = await alert(unitA);
    for (const [body, reason] of [
      [{ step: 'verified' }, 'note'],
      [{ step: 'verified', note: '   ' }, 'verified'],
      [{ step: 'notified', note: '' }, 'notified'],
      [{ step: 'received', note: 'x'.repeat(1001) }, 'note'],
      [{ step: 'confirmed' }, 'step'],
      [{ step: 'closed', note: 'done' }, 'step'],
      [{ step: 'received', by: 'me' }, 'by'],
      [{}, 'step'],
    ] as const) {
      const answer = await step(id, body);
      expect({ body, status: answer.status, error: answer.body.error }).toEqual({
        body,
        status: 400,
        error: { code: 'invalid-request', message: expect.stringContaining(reason) },
      });
    }
    expect((await step(randomUUID(), { step: 'received' })).status).toBe(404);
    expect((await step('not-an-id', { step: 'received' })).status).toBe(400);
    expect((await detail(id)).events).toEqual([]);
  });

  it('lists every open alert however old with `open=true`, scoped to the unit for its users; refuses other values', async () => {
    const unitC = createdId(await api.call('POST', '/api/units', { token: admin, body: { name: 'Unit C' } }));
    const oldOpen = await alert(unitC, { receivedAt: '2020-01-01T00:00:00.000000Z' });
    const newerClosed: string[] = [];
    for (let i = 0; i < 3; i++) newerClosed.push(await alert(unitC));
    for (const id of newerClosed) {
      expect(
        (await api.call('POST', `/api/alerts/${id}/close`, { token: operator, body: { note: 'false alarm' } })).status,
      ).toBe(200);
    }
    const ids = async (query: string, token = operator) => {
      const answer = await api.call<{ alerts: AlertSummary[] }>('GET', `/api/alerts?unitId=${unitC}&${query}`, {
        token,
      });
      expect(answer.status).toBe(200);
      return answer.body.alerts.map((a) => a.id);
    };
    // The three newer closed alerts fill a limit of 3; asked for open ones, the old alarm is there.
    expect(await ids('limit=3')).toEqual([...newerClosed].reverse());
    expect(await ids('open=true&limit=3')).toEqual([oldOpen]);
    expect(await ids('open=false')).toEqual([...newerClosed].reverse());
    // A unit user sees its own unit's open alerts only.
    const own = await alert(unitA, { receivedAt: '2020-01-01T00:00:00.000000Z' });
    const mine = await api.call<{ alerts: AlertSummary[] }>('GET', '/api/alerts?open=true&limit=1000', {
      token: unitUser,
    });
    expect(mine.body.alerts.map((a) => a.id)).toContain(own);
    expect(mine.body.alerts.every((a) => a.unitId === unitA && a.closedAt === null)).toBe(true);
    for (const bad of ['yes', '1', '']) {
      const answer = await api.call<{ error: { code: string; message: string } }>('GET', `/api/alerts?open=${bad}`, {
        token: operator,
      });
      expect({ bad, status: answer.status, body: answer.body }).toEqual({
        bad,
        status: 400,
        body: { error: { code: 'invalid-request', message: expect.stringContaining('open') } },
      });
    }
  });
});
