import { randomUUID } from 'node:crypto';
import { TestDatabase } from '@fireiot/storage/testing';
import { ADMIN, ApiTestApp, createdId, startApiApp, testDatabase } from '../api-test.test-util';
import { DutyController } from './duty.controller';
import { DutyEntry, DutyView } from './duty.service';

jest.setTimeout(60_000);

type Answer = DutyEntry & { error?: { code: string; message: string } };

describe(DutyController.name, () => {
  let db: TestDatabase;
  let api: ApiTestApp;
  let admin: string;
  let alice: string;
  let bob: string;
  let auditor: string;
  let unitUser: string;
  let unitId: string;

  const post = (path: string, body: unknown, token: string) =>
    api.call<Answer>('POST', `/api/duty/${path}`, { token, body });
  const view = (query = '', token = admin) => api.call<DutyView>('GET', `/api/duty${query}`, { token });
  const onDuty = async () => (await view()).body.onDuty.map((o) => o.username);

  async function alert(kind: string, receivedAt: string, closed = false): Promise<string> {
    const id = randomUUID();
    await db.sql(
      `INSERT INTO alerts (id, unit_id, device_key, subject, kind, clause, rule_id, title, source_table, source_id,
                           received_at, classified_at, deadline_ms)
       VALUES ($1, $2, 'uitd:889', 'sys:1/1/comp:131082', $3, '4.3.1', 'fire.state', $4, 'raw_frames', 1, $5, $5, 3000)`,
      [id, unitId, kind, `${kind} ${receivedAt}`, receivedAt],
    );
    if (closed) {
      await db.sql("INSERT INTO alert_events (alert_id, type, at, note) VALUES ($1, 'closed', now(), 'done')", [id]);
    }
    return id;
  }

  beforeAll(async () => {
    db = await testDatabase();
    api = await startApiApp(db);
    admin = await api.login(ADMIN.username, ADMIN.password);
    for (const [username, role] of [
      ['alice', 'operator'],
      ['bob', 'operator'],
      ['audit-1', 'auditor'],
    ] as const) {
      createdId(
        await api.call('POST', '/api/users', { token: admin, body: { username, password: 'password-1', role } }),
      );
    }
    alice = await api.login('alice', 'password-1');
    bob = await api.login('bob', 'password-1');
    auditor = await api.login('audit-1', 'password-1');
    unitId = createdId(await api.call('POST', '/api/units', { token: admin, body: { name: 'Unit A' } }));
    createdId(
      await api.call('POST', `/api/units/${unitId}/users`, {
        token: admin,
        body: { username: 'a-user', password: 'password-1' },
      }),
    );
    unitUser = await api.login('a-user', 'password-1');
  });
  afterAll(async () => {
    await api.close();
    await db.stop();
  });

  it('starts and ends a shift (5.4.1 a): DutyEntry answers, 409 already-on-duty / not-on-duty', async () => {
    expect((await view()).body).toEqual({ onDuty: [], entries: [] });
    const started = await post('start', { note: '白班 day shift' }, alice);
    expect(started.status).toBe(201);
    expect(started.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
      kind: 'start',
      userId: expect.any(String),
      username: 'alice',
      note: '白班 day shift',
      to: null,
      openAlerts: null,
      openAlertsTotal: null,
    });
    const now = await view();
    expect(now.body.onDuty).toEqual([{ userId: started.body.userId, username: 'alice', since: started.body.at }]);
    expect(now.body.entries).toEqual([started.body]);

    const again = await post('start', {}, alice);
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'already-on-duty' } } });
    const notOn = await post('end', {}, bob);
    expect(notOn).toMatchObject({ status: 409, body: { error: { code: 'not-on-duty' } } });

    const ended = await post('end', { note: '  ' }, alice);
    expect(ended.body).toMatchObject({ kind: 'end', username: 'alice', note: null });
    expect(await onDuty()).toEqual([]);
  });

  it('writes duty entries with a note, on duty or not', async () => {
    const entry = await post('entries', { note: 'patrolled the control room; all panels normal' }, bob);
    expect(entry.status).toBe(201);
    expect(entry.body).toMatchObject({ kind: 'entry', username: 'bob', note: expect.stringContaining('patrolled') });
    for (const body of [{}, { note: '' }, { note: '   ' }, { note: 'x'.repeat(1001) }, { note: 'ok', extra: 1 }]) {
      const answer = await post('entries', body, bob);
      expect({ body, status: answer.status, code: answer.body.error?.code }).toEqual({
        body,
        status: 400,
        code: 'invalid-request',
      });
    }
  });

  it('hands a shift over (5.4.1 b): the giver’s ends, the taker’s starts, the open alerts are kept', async () => {
    const oldFire = await alert('fire-alarm', '2025-11-22T01:00:00Z');
    const fault = await alert('fault', '2025-11-22T03:00:00Z');
    const newFire = await alert('fire-alarm', '2025-11-22T02:00:00Z');
    await alert('fire-alarm', '2025-11-22T04:00:00Z', true);

    const noShift = await post('handover', { to: 'bob', note: 'nothing' }, alice);
    expect(noShift).toMatchObject({ status: 409, body: { error: { code: 'not-on-duty' } } });

    await post('start', {}, alice);
    const handover = await post(
      'handover',
      { to: 'bob', note: '3 alerts open; the Unit A fault is being repaired' },
      alice,
    );
    expect(handover.status).toBe(201);
    expect(handover.body).toMatchObject({
      kind: 'handover',
      username: 'alice',
      note: '3 alerts open; the Unit A fault is being repaired',
      to: { userId: expect.any(String), username: 'bob' },
      openAlertsTotal: 3,
    });
    expect(handover.body.openAlerts).toEqual([
      {
        id: newFire,
        kind: 'fire-alarm',
        title: 'fire-alarm 2025-11-22T02:00:00Z',
        deviceKey: 'uitd:889',
        unitId,
        receivedAt: '2025-11-22T02:00:00.000000Z',
      },
      expect.objectContaining({ id: oldFire, kind: 'fire-alarm' }),
      expect.objectContaining({ id: fault, kind: 'fault' }),
    ]);
    const after = await view();
    expect(after.body.onDuty).toEqual([{ userId: handover.body.to?.userId, username: 'bob', since: handover.body.at }]);
    expect(after.body.entries[0]).toEqual(handover.body);

    // Bob is on duty now, Alice is not.
    expect((await post('start', {}, bob)).body.error?.code).toBe('already-on-duty');
    expect((await post('end', {}, alice)).body.error?.code).toBe('not-on-duty');
  });

  it('refuses a handover to anyone but another existing operator: 400 invalid-request with the reason', async () => {
    for (const [to, reason] of [
      ['nobody', 'no user nobody'],
      ['audit-1', 'not an operator'],
      ['a-user', 'not an operator'],
      ['bob', 'another operator'],
    ] as const) {
      const answer = await post('handover', { to, note: 'handing over' }, bob);
      expect({ to, status: answer.status, error: answer.body.error }).toEqual({
        to,
        status: 400,
        error: { code: 'invalid-request', message: expect.stringContaining(reason) },
      });
    }
    for (const body of [{ to: 'alice' }, { to: 'alice', note: ' ' }, { note: 'x' }]) {
      expect((await post('handover', body, bob)).body.error?.code).toBe('invalid-request');
    }
    expect(await onDuty()).toEqual(['bob']);
  });

  it('lets auditors read and only operators write; unit users get 403 everywhere', async () => {
    expect((await view('', auditor)).status).toBe(200);
    for (const [path, body] of [
      ['start', {}],
      ['end', {}],
      ['entries', { note: 'x' }],
      ['handover', { to: 'alice', note: 'x' }],
    ] as const) {
      for (const token of [auditor, unitUser]) {
        const answer = await post(path, body, token);
        expect({ path, status: answer.status, code: answer.body.error?.code }).toEqual({
          path,
          status: 403,
          code: 'forbidden',
        });
      }
    }
    expect(await view('', unitUser)).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await api.call('GET', '/api/duty')).status).toBe(401);
  });

  it('lists entries newest first, within [from, to), limit default 100, max 1000', async () => {
    const all = await view('?limit=1000');
    const ats = all.body.entries.map((e) => e.at);
    expect(ats).toEqual([...ats].sort().reverse());
    expect(all.body.entries.length).toBeGreaterThan(4);
    const two = await view('?limit=2');
    expect(two.body.entries).toEqual(all.body.entries.slice(0, 2));
    const oldest = all.body.entries.at(-1)?.at ?? '';
    const second = all.body.entries.at(-2)?.at ?? '';
    const window = await view(`?from=${encodeURIComponent(oldest)}&to=${encodeURIComponent(second)}`);
    expect(window.body.entries).toEqual([all.body.entries.at(-1)]);
    for (const query of [
      '?limit=0',
      '?limit=1001',
      '?from=yesterday',
      '?colour=red',
      '?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z',
    ]) {
      const answer = await api.call<{ error?: { code: string } }>('GET', `/api/duty${query}`, { token: admin });
      expect({ query, status: answer.status, code: answer.body.error?.code }).toEqual({
        query,
        status: 400,
        code: 'invalid-request',
      });
    }
  });
});
