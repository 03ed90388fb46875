import { TestDatabase } from '@fireiot/storage/testing';
import { Gauge, register } from 'prom-client';
import { ADMIN, ApiTestApp, createdId, startApiApp, testDatabase } from '../api-test.test-util';
import { MaintenanceController } from './maintenance.controller';
import { MaintenanceReporter } from './maintenance.reporter';
import { DueEntry, DueList, RecordView } from './maintenance.service';

jest.setTimeout(60_000);

const DAY = 86_400_000;
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

describe(MaintenanceController.name, () => {
  let db: TestDatabase;
  let api: ApiTestApp;
  let admin: string;
  let auditor: string;
  let unitUser: string;
  let unitA: string;
  let unitB: string;
  let uitdA: string;
  let uitdB: string;
  let batteryA: string;
  let mainsA: string;

  async function device(unitId: string, kind: 'uitd' | 'collector', address: string, power = 'mains') {
    return createdId(await api.call('POST', '/api/devices', { token: admin, body: { unitId, kind, address, power } }));
  }

  async function createdDaysAgo(id: string, days: number): Promise<Date> {
    const [row] = await db.sql<{ created_at: Date }>(
      `UPDATE devices SET created_at = now() - $2 * interval '1 day' WHERE id = $1 RETURNING created_at`,
      [id, days],
    );
    if (row === undefined) throw new Error(`no device ${id}`);
    return row.created_at;
  }

  const due = (query: string, token = admin) => api.call<DueList>('GET', `/api/maintenance/due${query}`, { token });
  const record = (body: unknown, token = admin) => api.call('POST', '/api/maintenance/records', { token, body });
  const records = (query: string, token = admin) =>
    api.call<{ records: RecordView[] }>('GET', `/api/maintenance/records${query}`, { token });

  function entryOf(list: DueList, deviceId: string | null, itemId: string): DueEntry {
    const found = list.items.find((i) => i.deviceId === deviceId && i.itemId === itemId);
    if (found === undefined) throw new Error(`no ${itemId} on ${deviceId ?? 'platform'} in ${JSON.stringify(list)}`);
    return found;
  }

  beforeAll(async () => {
    db = await testDatabase();
    api = await startApiApp(db);
    admin = await api.login(ADMIN.username, ADMIN.password);
    unitA = createdId(await api.call('POST', '/api/units', { token: admin, body: { name: 'Unit A' } }));
    unitB = createdId(await api.call('POST', '/api/units', { token: admin, body: { name: 'Unit B' } }));
    createdId(
      await api.call('POST', '/api/users', {
        token: admin,
        body: { username: 'auditor-1', password: 'auditor-password', role: 'auditor' },
      }),
    );
    auditor = await api.login('auditor-1', 'auditor-password');
    createdId(
      await api.call('POST', `/api/units/${unitB}/users`, {
        token: admin,
        body: { username: 'b-user', password: 'password-b' },
      }),
    );
    unitUser = await api.login('b-user', 'password-b');
    uitdA = await device(unitA, 'uitd', '1001');
    uitdB = await device(unitB, 'uitd', '2001');
    batteryA = await device(unitA, 'collector', 'battery-1', 'battery');
    mainsA = await device(unitA, 'collector', 'mains-1', 'mains');
  });
  afterAll(async () => {
    await api.close();
    await db.stop();
  });

  it('lists the Annex A plan to every role, with ids, periods, titles and the clause', async () => {
    for (const token of [admin, auditor, unitUser]) {
      const plan = await api.call<{ clause: string; annex: string; utcOffset: string; items: { id: string }[] }>(
        'GET',
        '/api/maintenance/plan',
        { token },
      );
      expect(plan.status).toBe(200);
      expect(plan.body).toMatchObject({ clause: '4.4.4', annex: 'A', utcOffset: '+08:00' });
      expect(plan.body.items).toHaveLength(13);
    }
    const plan = await api.call<{ items: Record<string, unknown>[] }>('GET', '/api/maintenance/plan', { token: admin });
    expect(plan.body.items[0]).toEqual({
      id: 'uitd.self-test',
      object: 'uitd',
      period: 'daily',
      aspect: { zh: '自检功能', en: 'Self-test function' },
      title: { zh: '自检功能检查', en: 'Check the self-test function' },
      clause: '4.4.4',
      annex: 'A',
    });
    expect(plan.body.items.find((i) => i['id'] === 'collector.battery')).toMatchObject({
      object: 'collector',
      power: 'battery',
      period: 'half-yearly',
    });
    expect((await api.call('GET', '/api/maintenance/plan')).status).toBe(401);
  });

  it('a fresh UITD owes nothing; a day after its creation its daily self-test is overdue; recording it makes it ok', async () => {
    const fresh = await due(`?unitId=${unitA}`);
    expect(fresh.status).toBe(200);
    expect(entryOf(fresh.body, uitdA, 'uitd.self-test')).toMatchObject({ status: 'ok', lastDoneAt: null });
    expect(fresh.body).toMatchObject({ due: 0, overdue: 0 });

    const created = await createdDaysAgo(uitdA, 2);
    const late = await due(`?unitId=${unitA}`);
    const selfTest = entryOf(late.body, uitdA, 'uitd.self-test');
    expect(selfTest).toEqual({
      object: 'uitd',
      deviceId: uitdA,
      deviceKey: 'uitd:1001',
      unitId: unitA,
      itemId: 'uitd.self-test',
      period: 'daily',
      title: { zh: '自检功能检查', en: 'Check the self-test function' },
      lastDoneAt: null,
      dueFrom: expect.any(String),
      nextDueAt: new Date(created.getTime() + DAY).toISOString(),
      status: 'overdue',
    });
    expect(late.body.overdue).toBe(1);
    expect(late.body.items[0]).toEqual(selfTest); // overdue first
    expect(entryOf(late.body, uitdA, 'uitd.transmission-test').status).toBe('ok');

    // Done 30 h ago: still overdue (due again 24 h after).
    const doneAt = new Date(Date.now() - 30 * 3_600_000).toISOString();
    const past = await record({ itemId: 'uitd.self-test', deviceId: uitdA, doneAt, note: '自检正常' });
    expect(past.status).toBe(201);
    expect(past.body).toEqual({ id: expect.stringMatching(/^\d+$/) });
    const stillLate = entryOf((await due(`?unitId=${unitA}`)).body, uitdA, 'uitd.self-test');
    expect(stillLate).toMatchObject({ status: 'overdue', lastDoneAt: doneAt });

    const now = await record({ itemId: 'uitd.self-test', deviceId: uitdA });
    createdId(now);
    const ok = entryOf((await due(`?unitId=${unitA}`)).body, uitdA, 'uitd.self-test');
    expect(ok.status).toBe('ok');
    expect(Date.now() - Date.parse(ok.lastDoneAt ?? '')).toBeLessThan(60_000);
    expect(Date.parse(ok.nextDueAt) - Date.parse(ok.lastDoneAt ?? '')).toBe(DAY);

    const [stored] = await db.sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM maintenance_records WHERE device_id = $1 AND item_id = 'uitd.self-test'",
      [uitdA],
    );
    expect(stored?.n).toBe(2);
  });

  it('gives battery collectors the battery check and refuses it for mains collectors', async () => {
    const list = await due(`?unitId=${unitA}`);
    expect(list.body.items.filter((i) => i.deviceId === batteryA).map((i) => i.itemId)).toContain('collector.battery');
    expect(list.body.items.filter((i) => i.deviceId === mainsA).map((i) => i.itemId)).toEqual([
      'collector.patrol',
      'collector.transmission-test',
      'collector.device-check',
    ]);
    createdId(await record({ itemId: 'collector.battery', deviceId: batteryA }));
    const refused = await record({ itemId: 'collector.battery', deviceId: mainsA });
    expect(refused).toMatchObject({
      status: 400,
      body: { error: { code: 'item-not-applicable', message: expect.stringContaining('battery-powered') } },
    });
  });

  it('refuses bad records with 400 and the reason, unknown devices with 404', async () => {
    const future = new Date(Date.now() + DAY).toISOString();
    const cases: [unknown, number, string, string][] = [
      [{ itemId: 'uitd.unknown', deviceId: uitdA }, 400, 'unknown-item', 'uitd.unknown'],
      [{ itemId: 'platform.log-housekeeping', deviceId: uitdA }, 400, 'item-not-applicable', 'platform item'],
      [{ itemId: 'uitd.self-test' }, 400, 'item-not-applicable', 'deviceId'],
      [{ itemId: 'collector.patrol', deviceId: uitdA }, 400, 'item-not-applicable', 'not to a uitd'],
      [{ itemId: 'uitd.self-test', deviceId: uitdA, doneAt: future }, 400, 'invalid-done-at', 'future'],
      [
        { itemId: 'uitd.self-test', deviceId: uitdA, doneAt: '2020-01-01T00:00:00+08:00' },
        400,
        'invalid-done-at',
        'before the device was registered',
      ],
      [{ itemId: 'uitd.self-test', deviceId: uitdA, doneAt: 'yesterday' }, 400, 'invalid-input', 'doneAt'],
      [{ itemId: 'uitd.self-test', deviceId: uitdA, note: 'x'.repeat(2001) }, 400, 'invalid-input', 'note'],
      [{ itemId: 'uitd.self-test', deviceId: 'uitd-a' }, 400, 'invalid-input', 'deviceId'],
      [{ itemId: 'uitd.self-test', deviceId: uitdA, by: 'me' }, 400, 'invalid-input', 'by'],
      [{ deviceId: uitdA }, 400, 'invalid-input', 'itemId'],
      [{ itemId: 'uitd.self-test', deviceId: NO_SUCH_ID }, 404, 'device-not-found', NO_SUCH_ID],
    ];
    const [before] = await db.sql<{ n: number }>('SELECT count(*)::int AS n FROM maintenance_records');
    for (const [body, status, code, reason] of cases) {
      const answer = await record(body);
      expect({ body, status: answer.status, answer: answer.body }).toEqual({
        body,
        status,
        answer: { error: { code, message: expect.stringContaining(reason) } },
      });
    }
    const [after] = await db.sql<{ n: number }>('SELECT count(*)::int AS n FROM maintenance_records');
    expect(after?.n).toBe(before?.n);
  });

  it('lets only operators record: auditors and unit users get 403', async () => {
    for (const token of [auditor, unitUser]) {
      const answer = await record({ itemId: 'uitd.self-test', deviceId: uitdB }, token);
      expect(answer).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    }
  });

  it('keeps the platform’s own items (no device) for operators and auditors', async () => {
    const forAuditor = await due('?limit=1000', auditor);
    const platform = forAuditor.body.items.filter((i) => i.object === 'platform');
    expect(platform.map((i) => i.itemId).sort()).toEqual([
      'platform.database-capacity',
      'platform.function-check',
      'platform.info-update',
      'platform.log-housekeeping',
      'platform.records-check',
    ]);
    expect(platform.every((i) => i.deviceId === null && i.status === 'ok')).toBe(true);

    // The platform started 40 days ago (its first account): the monthly items are overdue.
    await db.sql("UPDATE users SET created_at = now() - interval '40 days' WHERE username = 'admin'");
    const late = await due('?status=overdue&limit=1000');
    expect(
      late.body.items
        .filter((i) => i.object === 'platform')
        .map((i) => i.itemId)
        .sort(),
    ).toEqual(['platform.database-capacity', 'platform.info-update', 'platform.log-housekeeping']);
    createdId(await record({ itemId: 'platform.log-housekeeping', note: 'logs rotated' }));
    const after = await due('?status=overdue&limit=1000');
    expect(after.body.items.map((i) => i.itemId)).not.toContain('platform.log-housekeeping');
    expect(after.body.overdue).toBe(late.body.overdue - 1);
    const [row] = await db.sql<{ device_id: string | null }>(
      "SELECT device_id FROM maintenance_records WHERE item_id = 'platform.log-housekeeping'",
    );
    expect(row?.device_id).toBeNull();
  });

  it('shows a unit user only their unit’s devices, never the platform; others’ are 403 / 404', async () => {
    const mine = await due('', unitUser);
    expect(mine.status).toBe(200);
    expect(new Set(mine.body.items.map((i) => i.deviceId))).toEqual(new Set([uitdB]));
    expect(mine.body.items.every((i) => i.unitId === unitB)).toBe(true);
    expect(mine.body.total).toBe(4);

    expect((await due(`?unitId=${unitA}`, unitUser)).body).toMatchObject({ error: { code: 'forbidden' } });
    expect((await due(`?unitId=${unitA}`, unitUser)).status).toBe(403);

    createdId(await record({ itemId: 'uitd.power-switchover', deviceId: uitdB }));
    const own = await records('', unitUser);
    expect(own.status).toBe(200);
    expect(own.body.records.map((r) => [r.itemId, r.deviceId])).toEqual([['uitd.power-switchover', uitdB]]);
    expect(own.body.records[0]).toMatchObject({ unitId: unitB, actor: { username: 'admin' }, note: null });
    expect((await records(`?deviceId=${uitdB}`, unitUser)).body.records).toHaveLength(1);

    const other = await records(`?deviceId=${uitdA}`, unitUser);
    expect(other).toMatchObject({ status: 404, body: { error: { code: 'device-not-found' } } });
    expect((await records(`?unitId=${unitA}`, unitUser)).status).toBe(403);
  });

  it('lists records for operators and auditors with filters; refuses bad filters with 400', async () => {
    for (const token of [admin, auditor]) {
      const all = await records('', token);
      expect(all.status).toBe(200);
      expect(all.body.records.map((r) => r.itemId)).toEqual(
        expect.arrayContaining(['uitd.self-test', 'collector.battery', 'platform.log-housekeeping']),
      );
    }
    const selfTests = await records(`?deviceId=${uitdA}&itemId=uitd.self-test`);
    expect(selfTests.body.records).toHaveLength(2);
    expect(selfTests.body.records[0]?.note).toBeNull(); // newest first
    expect(selfTests.body.records[1]?.note).toBe('自检正常');
    const recent = await records(
      `?deviceId=${uitdA}&from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`,
    );
    expect(recent.body.records).toHaveLength(1);
    const platform = await records('?itemId=platform.log-housekeeping');
    expect(platform.body.records).toEqual([
      expect.objectContaining({ deviceId: null, deviceKey: null, unitId: null, note: 'logs rotated' }),
    ]);
    for (const [query, code] of [
      ['?itemId=nope', 'unknown-item'],
      ['?deviceId=abc', 'invalid-input'],
      ['?from=yesterday', 'invalid-input'],
      ['?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z', 'invalid-input'],
      ['?limit=1001', 'invalid-input'],
      ['?colour=red', 'invalid-input'],
    ] as const) {
      const answer = await records(query);
      expect({ query, status: answer.status, body: answer.body }).toMatchObject({
        query,
        status: 400,
        body: { error: { code } },
      });
    }
    expect((await records(`?deviceId=${NO_SUCH_ID}`)).status).toBe(404);
  });

  it('paginates due items (default 200, max 1000), overdue first then by due date, with totals', async () => {
    await createdDaysAgo(uitdB, 10);
    await createdDaysAgo(mainsA, 10);
    const all = await due('?limit=1000');
    expect(all.body.limit).toBe(1000);
    expect((await due('')).body.limit).toBe(200);
    const rank = { overdue: 0, due: 1, ok: 2 } as const;
    const keys = all.body.items.map((i) => [rank[i.status], Date.parse(i.nextDueAt)] as const);
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(keys).toEqual(sorted);
    expect(all.body.total).toBe(all.body.items.length);
    expect(all.body.overdue).toBe(all.body.items.filter((i) => i.status === 'overdue').length);
    expect(all.body.due).toBe(all.body.items.filter((i) => i.status === 'due').length);
    expect(all.body.overdue).toBeGreaterThan(3);

    const pages = [];
    for (let offset = 0; offset < all.body.total; offset += 3) {
      const page = await due(`?limit=3&offset=${offset}`);
      expect(page.body).toMatchObject({ total: all.body.total, overdue: all.body.overdue, limit: 3, offset });
      pages.push(...page.body.items);
    }
    expect(pages).toEqual(all.body.items);

    const overdue = await due('?status=overdue');
    expect(overdue.body.items.every((i) => i.status === 'overdue')).toBe(true);
    expect(overdue.body.total).toBe(all.body.overdue);
    for (const query of ['?limit=0', '?limit=1001', '?offset=-1', '?status=late', '?unitId=x', '?x=1']) {
      expect({ query, status: (await due(query)).status }).toEqual({ query, status: 400 });
    }
  });

  it('sets fireiot_maintenance_overdue_items / _due_items{object} in the default registry', async () => {
    const all = await due('?limit=1000');
    const reporter = api.app.get(MaintenanceReporter);
    const counts = await reporter.report();
    const expected = (status: 'due' | 'overdue', object: string) =>
      all.body.items.filter((i) => i.object === object && i.status === status).length;
    for (const object of ['uitd', 'collector', 'platform'] as const) {
      expect(counts[object]).toEqual({ due: expected('due', object), overdue: expected('overdue', object) });
    }
    const gauge = async (name: string) => {
      const metric = register.getSingleMetric(name) as Gauge<'object'> | undefined;
      const values = (await metric?.get())?.values ?? [];
      return Object.fromEntries(values.map((v) => [String(v.labels['object']), v.value]));
    };
    expect(await gauge('fireiot_maintenance_overdue_items')).toEqual({
      uitd: expected('overdue', 'uitd'),
      collector: expected('overdue', 'collector'),
      platform: expected('overdue', 'platform'),
    });
    expect(await gauge('fireiot_maintenance_due_items')).toEqual({
      uitd: expected('due', 'uitd'),
      collector: expected('due', 'collector'),
      platform: expected('due', 'platform'),
    });
    expect(counts.uitd.overdue + counts.collector.overdue + counts.platform.overdue).toBe(all.body.overdue);
    const text = await register.metrics();
    expect(text).toMatch(/fireiot_maintenance_overdue_items\{object="uitd"\} \d+/);
  });
});
