import { randomUUID } from 'node:crypto';
import { createAppPool } from '@fireiot/storage';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { Pool } from 'pg';
import { AlertFilter, AlertRepository } from './alert.repository';
import { AlertEventRow, AlertRow, AttemptRow } from './evidence.model';

jest.setTimeout(120_000);

let sourceIds = 1000;

function alertRow(unitId: string | null, overrides: Partial<AlertRow> = {}): AlertRow {
  return {
    id: randomUUID(),
    unitId,
    deviceId: randomUUID(),
    deviceKey: 'uitd:889',
    subject: 'sys:1/1/comp:131082',
    kind: 'fire-alarm',
    clause: '4.3.1',
    item: null,
    ruleId: 'fire.state',
    title: '火警 Fire alarm',
    detail: { value: 'fire-alarm', location: '厨房' },
    sourceTable: 'raw_frames',
    sourceId: String(sourceIds++),
    receivedAt: '2025-11-22T03:13:54.567891Z',
    classifiedAt: '2025-11-22T03:13:54.569012Z',
    deadlineMs: 3_000,
    restores: null,
    suppressed: null,
    ...overrides,
  };
}

function event(alertId: string, overrides: Partial<AlertEventRow> = {}): AlertEventRow {
  return {
    alertId,
    type: 'confirmed',
    at: '2025-11-22T03:14:10.000001Z',
    actor: randomUUID(),
    note: null,
    sourceId: null,
    detail: {},
    ...overrides,
  };
}

function attempt(alertId: string, overrides: Partial<AttemptRow> = {}): AttemptRow {
  return {
    alertId,
    attemptKey: randomUUID(),
    channel: 'sms',
    recipient: randomUUID(),
    address: '+8613800138000',
    attemptNo: 1,
    status: 'accepted',
    at: '2025-11-22T03:13:55.812345Z',
    providerRef: 'SM0001',
    error: null,
    elapsedUs: 1_244_454,
    deadlineMet: true,
    ...overrides,
  };
}

describe(AlertRepository.name, () => {
  let db: TestDatabase;
  let pool: Pool;
  let repo: AlertRepository;
  let unitId: string;

  const count = async (sql: string, params: unknown[] = []) => Number((await db.sql<{ n: string }>(sql, params))[0]?.n);

  beforeAll(async () => {
    db = await startTestDatabase();
    // The application's pool: every connection is the fireiot_app role (INSERT and SELECT only).
    pool = createAppPool(db.ownerUrl, 4);
  });
  afterAll(async () => {
    await pool.end();
    await db.stop();
  });
  beforeEach(async () => {
    repo = new AlertRepository(pool, { batchMs: 2 });
    const [unit] = await db.sql<{ id: string }>("INSERT INTO units (name) VALUES ('Tower A') RETURNING id");
    unitId = unit?.id ?? '';
  });
  afterEach(async () => {
    await repo.flush();
  });

  it('writes as the fireiot_app role', async () => {
    const [who] = await pool.query<{ role: string }>('SELECT current_user AS role').then((r) => r.rows);
    expect(who?.role).toBe('fireiot_app');
  });

  it('stores an alert, its events and attempts, read back with µs timestamps', async () => {
    const alert = alertRow(unitId);
    const confirmed = event(alert.id, { note: '已到场 on site', detail: { via: 'app' } });
    const accepted = attempt(alert.id);
    await Promise.all([repo.addAlert(alert), repo.addEvent(confirmed), repo.addAttempt(accepted)]);
    const found = await repo.find(alert.id);
    expect(found).toMatchObject({ ...alert, state: 'confirmed', repeats: 0 });
    expect(found?.events).toEqual([{ ...confirmed, actorName: null }]);
    expect(found?.attempts).toEqual([accepted]);
    expect(found?.receivedAt).toBe('2025-11-22T03:13:54.567891Z');
    expect(found?.classifiedAt).toBe('2025-11-22T03:13:54.569012Z');
    expect(found?.events[0]?.at).toBe('2025-11-22T03:14:10.000001Z');
    expect(found?.attempts[0]?.at).toBe('2025-11-22T03:13:55.812345Z');
  });

  it('returns null for an alert it does not have', async () => {
    expect(await repo.find(randomUUID())).toBeNull();
  });

  it('resolves `add*` once the row is committed (visible to another connection)', async () => {
    const alert = alertRow(unitId);
    await repo.addAlert(alert);
    expect(await count('SELECT count(*) AS n FROM alerts WHERE id = $1', [alert.id])).toBe(1);
  });

  it('groups the alerts added together into one write', async () => {
    const rows = Array.from({ length: 50 }, () => alertRow(unitId));
    const pending = rows.map((r) => repo.addAlert(r));
    expect(repo.backlog).toBe(50);
    await Promise.all(pending);
    expect(repo.backlog).toBe(0);
    expect(await count('SELECT count(*) AS n FROM alerts WHERE unit_id = $1', [unitId])).toBe(50);
  });

  describe('idempotency (a replay or a retried batch adds nothing twice)', () => {
    it('keeps one row for the same alert id, added twice in one batch or in two', async () => {
      const alert = alertRow(unitId);
      await Promise.all([repo.addAlert(alert), repo.addAlert(alert)]);
      await repo.addAlert({ ...alert, title: 'changed on replay' });
      expect(await count('SELECT count(*) AS n FROM alerts WHERE id = $1', [alert.id])).toBe(1);
      expect((await repo.find(alert.id))?.title).toBe(alert.title);
    });

    it('keeps one row for the same (attempt_key, status), and one per status', async () => {
      const alert = alertRow(unitId);
      await repo.addAlert(alert);
      const key = randomUUID();
      const dispatched = attempt(alert.id, {
        attemptKey: key,
        status: 'dispatched',
        elapsedUs: null,
        deadlineMet: null,
      });
      const accepted = attempt(alert.id, { attemptKey: key, status: 'accepted' });
      await Promise.all([repo.addAttempt(dispatched), repo.addAttempt(dispatched), repo.addAttempt(accepted)]);
      await repo.addAttempt(accepted);
      expect(await count('SELECT count(*) AS n FROM alert_attempts WHERE attempt_key = $1', [key])).toBe(2);
      expect(await repo.attemptStatuses([alert.id])).toEqual(new Map([[key, new Set(['dispatched', 'accepted'])]]));
      expect(await repo.acceptedAttempt(key)).toEqual(accepted);
      expect(await repo.acceptedAttempt(randomUUID())).toBeNull();
    });

    it('keeps one `repeated` event per source row', async () => {
      const alert = alertRow(unitId);
      await repo.addAlert(alert);
      const repeat = (sourceId: string) =>
        event(alert.id, { type: 'repeated', actor: null, sourceId, detail: { value: 'fire-alarm' } });
      await Promise.all([repo.addEvent(repeat('5001')), repo.addEvent(repeat('5001'))]);
      await repo.addEvent(repeat('5001'));
      await repo.addEvent(repeat('5002'));
      expect((await repo.find(alert.id))?.repeats).toBe(2);
    });
  });

  describe('derived state (raised → notified → confirmed → closed)', () => {
    it('follows the rows added over time', async () => {
      const alert = alertRow(unitId);
      await repo.addAlert(alert);
      const state = async () => (await repo.find(alert.id))?.state;
      expect(await state()).toBe('raised');

      await repo.addAttempt(attempt(alert.id, { status: 'dispatched', elapsedUs: null, deadlineMet: null }));
      expect(await state()).toBe('raised');

      await repo.addAttempt(attempt(alert.id, { status: 'accepted', at: '2025-11-22T03:13:55.000007Z' }));
      expect(await state()).toBe('notified');

      await repo.addEvent(event(alert.id, { type: 'confirmed', at: '2025-11-22T03:14:00.000002Z' }));
      expect(await state()).toBe('confirmed');

      await repo.addEvent(event(alert.id, { type: 'closed', at: '2025-11-22T03:20:00.000003Z' }));
      const closed = await repo.find(alert.id);
      expect(closed).toMatchObject({
        state: 'closed',
        confirmedAt: '2025-11-22T03:14:00.000002Z',
        closedAt: '2025-11-22T03:20:00.000003Z',
      });
    });

    it('counts an alert as closed when a `restored` alert restores it', async () => {
      const alert = alertRow(unitId, { kind: 'fault', clause: '4.3.2', item: 'a', deadlineMs: 10_000 });
      const restore = alertRow(unitId, {
        kind: 'restored',
        clause: '4.3.2',
        item: 'a',
        restores: alert.id,
        receivedAt: '2025-11-22T04:00:00.123456Z',
        deadlineMs: 10_000,
      });
      await Promise.all([repo.addAlert(alert), repo.addAlert(restore)]);
      expect(await repo.find(alert.id)).toMatchObject({ state: 'closed', closedAt: '2025-11-22T04:00:00.123456Z' });
    });

    it('shows a suppressed alert as suppressed whatever happened after', async () => {
      const alert = alertRow(unitId, { suppressed: 'shielded' });
      await repo.addAlert(alert);
      await repo.addEvent(event(alert.id, { type: 'closed' }));
      expect((await repo.find(alert.id))?.state).toBe('suppressed');
    });

    it('takes the first accepted attempt as "sent to the unit" (CQC83-831102-2025 Annex B)', async () => {
      const alert = alertRow(unitId);
      await repo.addAlert(alert);
      await repo.addAttempt(
        attempt(alert.id, {
          channel: 'voice',
          at: '2025-11-22T03:13:58.000001Z',
          elapsedUs: 3_432_110,
          deadlineMet: false,
        }),
      );
      await repo.addAttempt(
        attempt(alert.id, { channel: 'app', at: '2025-11-22T03:13:55.100001Z', elapsedUs: 532_110, deadlineMet: true }),
      );
      await repo.addAttempt(
        attempt(alert.id, { status: 'failed', at: '2025-11-22T03:13:54.900000Z', elapsedUs: null, deadlineMet: null }),
      );
      expect(await repo.find(alert.id)).toMatchObject({
        firstSentAt: '2025-11-22T03:13:55.100001Z',
        firstSentElapsedMs: 532.11,
        deadlineMet: true,
      });
    });

    it('reports a missed deadline of the first hand-over (4.3.1: 3 s)', async () => {
      const alert = alertRow(unitId);
      await repo.addAlert(alert);
      await repo.addAttempt(
        attempt(alert.id, { at: '2025-11-22T03:13:58.000001Z', elapsedUs: 3_432_110, deadlineMet: false }),
      );
      expect(await repo.find(alert.id)).toMatchObject({ firstSentElapsedMs: 3432.11, deadlineMet: false });
    });

    it('has no sent time and no verdict before any hand-over', async () => {
      const alert = alertRow(unitId);
      await repo.addAlert(alert);
      expect(await repo.find(alert.id)).toMatchObject({
        firstSentAt: null,
        firstSentElapsedMs: null,
        deadlineMet: null,
        confirmedAt: null,
        closedAt: null,
      });
    });
  });

  describe('handling register (5.4.1 e: new → received → verified → notified → closed)', () => {
    it('gives the furthest step recorded, whatever order they were added in; closed wins', async () => {
      const alert = alertRow(unitId);
      await repo.addAlert(alert);
      const handling = async () =>
        (await repo.list({ unitIds: [unitId], kind: null, from: null, to: null, limit: 1000 })).find(
          (a) => a.id === alert.id,
        );
      expect((await handling())?.handling).toBe('new');
      const [user] = await db.sql<{ id: string }>(
        "INSERT INTO users (username, password_hash, role) VALUES ('op-register', 'x', 'operator') RETURNING id",
      );
      const actor = user?.id ?? '';
      const step = (type: 'received' | 'verified' | 'notified', at: string, note: string | null = null) =>
        repo.appendStep({ alertId: alert.id, type, at, actor, note });

      expect(await step('verified', '2025-11-22T03:14:30.000001Z', '现场确认 confirmed on site')).toBe(true);
      expect((await handling())?.handling).toBe('verified');
      expect(await step('received', '2025-11-22T03:14:40.000001Z')).toBe(true);
      expect((await repo.find(alert.id))?.handling).toBe('verified');
      expect(await step('notified', '2025-11-22T03:15:00.000001Z', '119')).toBe(true);
      expect((await handling())?.handling).toBe('notified');
      await repo.addEvent(event(alert.id, { type: 'closed', at: '2025-11-22T03:20:00.000003Z' }));
      const detail = await repo.find(alert.id);
      expect(detail?.handling).toBe('closed');
      expect(detail?.events.map((e) => [e.type, e.actorName])).toEqual([
        ['verified', 'op-register'],
        ['received', 'op-register'],
        ['notified', 'op-register'],
        ['closed', null],
      ]);
    });

    it('stores `received` once per alert, even when two operators take it at the same moment', async () => {
      const alert = alertRow(unitId);
      await repo.addAlert(alert);
      const actor = randomUUID();
      const at = '2025-11-22T03:14:30.000001Z';
      const stored = await Promise.all(
        [1, 2, 3].map(() => repo.appendStep({ alertId: alert.id, type: 'received', at, actor, note: null })),
      );
      expect(stored.filter(Boolean)).toHaveLength(1);
      expect(
        await count("SELECT count(*) AS n FROM alert_events WHERE alert_id = $1 AND type = 'received'", [alert.id]),
      ).toBe(1);
      expect(await repo.appendStep({ alertId: alert.id, type: 'verified', at, actor, note: 'a' })).toBe(true);
      expect(await repo.appendStep({ alertId: alert.id, type: 'verified', at, actor, note: 'b' })).toBe(true);
    });

    it('counts an alert closed by its restoration as closed', async () => {
      const alert = alertRow(unitId, { kind: 'communication-loss', clause: '4.4.2' });
      await repo.addAlert(alert);
      await repo.appendStep({
        alertId: alert.id,
        type: 'received',
        at: alert.receivedAt,
        actor: randomUUID(),
        note: null,
      });
      await repo.addAlert(alertRow(unitId, { kind: 'restored', clause: '4.4.2', restores: alert.id }));
      expect((await repo.find(alert.id))?.handling).toBe('closed');
    });
  });

  describe(AlertRepository.prototype.openAlarms.name, () => {
    it('lists raised alarms (suppressed ones too, as the in-memory book keeps them), not the restored, the closed or the `restored` rows', async () => {
      const device = `uitd:${randomUUID()}`;
      const open = alertRow(unitId, { deviceKey: device });
      const restoredOne = alertRow(unitId, { deviceKey: device, kind: 'fault', clause: '4.3.2' });
      const restore = alertRow(unitId, {
        deviceKey: device,
        kind: 'restored',
        clause: '4.3.2',
        restores: restoredOne.id,
      });
      const closedOne = alertRow(unitId, { deviceKey: device, kind: 'abnormal', clause: '4.3.2' });
      const suppressedOpen = alertRow(unitId, {
        deviceKey: device,
        kind: 'fault',
        clause: '4.3.2',
        suppressed: 'shielded',
      });
      await Promise.all([open, restoredOne, restore, closedOne, suppressedOpen].map((a) => repo.addAlert(a)));
      await repo.addEvent(event(closedOne.id, { type: 'closed' }));
      await repo.addEvent(event(open.id, { type: 'confirmed' }));
      const mine = (await repo.openAlarms()).filter((a) => a.deviceKey === device);
      expect(mine.map((a) => a.alertId).sort()).toEqual([open.id, suppressedOpen.id].sort());
      expect(mine.find((a) => a.alertId === open.id)).toEqual({
        alertId: open.id,
        deviceKey: device,
        subject: open.subject,
        ruleId: open.ruleId,
        title: open.title,
      });
    });
  });

  describe(AlertRepository.prototype.undeliveredForUser.name, () => {
    it("lists the unit's unsuppressed, unclosed alerts since a time that this user's app has not acknowledged", async () => {
      const user = randomUUID();
      const other = randomUUID();
      const at = (s: string) => `2025-11-23T10:00:${s}Z`;
      const waiting = alertRow(unitId, { receivedAt: at('01.000001') });
      const deliveredToOther = alertRow(unitId, { receivedAt: at('02.000002') });
      const deliveredToUser = alertRow(unitId, { receivedAt: at('03.000003') });
      const acceptedOnly = alertRow(unitId, { receivedAt: at('04.000004') });
      const closed = alertRow(unitId, { receivedAt: at('05.000005') });
      const suppressed = alertRow(unitId, { receivedAt: at('06.000006'), suppressed: 'out-of-scope' });
      const before = alertRow(unitId, { receivedAt: '2025-11-23T09:59:59.999999Z' });
      const otherUnit = alertRow(null, { receivedAt: at('07.000007') });
      await Promise.all(
        [waiting, deliveredToOther, deliveredToUser, acceptedOnly, closed, suppressed, before, otherUnit].map((a) =>
          repo.addAlert(a),
        ),
      );
      await Promise.all([
        repo.addAttempt(attempt(deliveredToOther.id, { channel: 'app', recipient: other, status: 'delivered' })),
        repo.addAttempt(attempt(deliveredToUser.id, { channel: 'app', recipient: user, status: 'delivered' })),
        repo.addAttempt(attempt(acceptedOnly.id, { channel: 'app', recipient: user, status: 'accepted' })),
        repo.addEvent(event(closed.id, { type: 'closed' })),
      ]);
      const rows = await repo.undeliveredForUser(unitId, user, '2025-11-23T10:00:00.000000Z', 100);
      expect(rows.map((r) => r.id)).toEqual([waiting.id, deliveredToOther.id, acceptedOnly.id]);
      expect(rows[0]).toEqual(waiting);
      expect(await repo.undeliveredForUser(unitId, user, '2025-11-23T10:00:00.000000Z', 2)).toHaveLength(2);
    });
  });

  describe('queries', () => {
    it('lists alerts by unit, kind and time range, newest first', async () => {
      const fire = alertRow(unitId, { receivedAt: '2025-11-24T08:00:00.000001Z' });
      const fault = alertRow(unitId, { kind: 'fault', clause: '4.3.2', receivedAt: '2025-11-24T08:00:01.000001Z' });
      const late = alertRow(unitId, { receivedAt: '2025-11-24T09:00:00.000000Z' });
      await Promise.all([fire, fault, late].map((a) => repo.addAlert(a)));
      const ids = async (filter: Partial<AlertFilter>) =>
        (await repo.list({ unitIds: [unitId], kind: null, from: null, to: null, limit: 100, ...filter })).map(
          (a) => a.id,
        );
      expect(await ids({})).toEqual([late.id, fault.id, fire.id]);
      expect(await ids({ kind: 'fault' })).toEqual([fault.id]);
      expect(await ids({ from: '2025-11-24T08:00:00.000001Z', to: '2025-11-24T09:00:00.000000Z' })).toEqual([
        fault.id,
        fire.id,
      ]);
      expect(await ids({ unitIds: [randomUUID()] })).toEqual([]);
      expect(await ids({ limit: 1 })).toEqual([late.id]);
    });

    it('lists the open alerts, however old, ahead of any limit on newer closed ones; or only the others', async () => {
      const at = (s: string) => `2025-11-25T12:00:${s}Z`;
      const oldOpen = alertRow(unitId, { receivedAt: at('00.000001') });
      const closed = alertRow(unitId, { receivedAt: at('01.000001') });
      const restored = alertRow(unitId, { kind: 'fault', clause: '4.3.2', receivedAt: at('02.000001') });
      const restoring = alertRow(unitId, {
        kind: 'restored',
        clause: '4.3.2',
        receivedAt: at('03.000001'),
        restores: restored.id,
      });
      const suppressed = alertRow(unitId, { receivedAt: at('04.000001'), suppressed: 'shielded' });
      const confirmed = alertRow(unitId, { receivedAt: at('05.000001') });
      await Promise.all([oldOpen, closed, restored, restoring, suppressed, confirmed].map((a) => repo.addAlert(a)));
      await Promise.all([
        repo.addEvent(event(closed.id, { type: 'closed' })),
        repo.addEvent(event(confirmed.id, { type: 'confirmed' })),
      ]);
      const range = { from: at('00.000000'), to: at('06.000000') };
      const list = async (open: boolean | null, limit = 100) =>
        (await repo.list({ unitIds: [unitId], kind: null, ...range, open, limit })).map((a) => [a.id, a.state]);
      // The restoring alert is itself open until someone closes it, as on the board.
      expect(await list(true)).toEqual([
        [confirmed.id, 'confirmed'],
        [restoring.id, 'raised'],
        [oldOpen.id, 'raised'],
      ]);
      expect(await list(true, 3)).toContainEqual([oldOpen.id, 'raised']);
      expect(await list(false)).toEqual([
        [suppressed.id, 'suppressed'],
        [restored.id, 'closed'],
        [closed.id, 'closed'],
      ]);
      expect(await list(null)).toHaveLength(6);
      // The database keeps the open set; the application reads it and cannot change it.
      for (const statement of [
        `DELETE FROM alerts_open WHERE alert_id = '${oldOpen.id}'`,
        `INSERT INTO alerts_open (alert_id, unit_id, received_at) VALUES ('${closed.id}', NULL, now())`,
      ]) {
        await expect(pool.query(statement)).rejects.toThrow(/permission denied/);
      }
    });

    it('finds the ids of alerts received after a time (replay)', async () => {
      const early = alertRow(unitId, { receivedAt: '2025-11-25T00:00:00.000001Z' });
      const after = alertRow(unitId, { receivedAt: '2025-11-25T00:00:00.000002Z' });
      await Promise.all([repo.addAlert(early), repo.addAlert(after)]);
      const ids = await repo.idsSince('2025-11-25T00:00:00.000001Z');
      expect(ids.has(after.id)).toBe(true);
      expect(ids.has(early.id)).toBe(false);
    });

    it('lists unsuppressed alerts neither confirmed nor closed (notifier resume)', async () => {
      const since = '2025-11-26T00:00:00.000000Z';
      const at = '2025-11-26T00:00:01.000000Z';
      const open = alertRow(unitId, { receivedAt: at });
      const confirmed = alertRow(unitId, { receivedAt: at });
      const closed = alertRow(unitId, { receivedAt: at });
      const suppressed = alertRow(unitId, { receivedAt: at, suppressed: 'no-unit' });
      await Promise.all([open, confirmed, closed, suppressed].map((a) => repo.addAlert(a)));
      await repo.addEvent(event(confirmed.id, { type: 'confirmed' }));
      await repo.addEvent(event(closed.id, { type: 'closed' }));
      expect((await repo.unfinished(since)).map((a) => a.id)).toEqual([open.id]);
    });
  });

  describe('append-only evidence (CQC/SC 11002 4.1.3, 5.2)', () => {
    let alertId: string;
    beforeEach(async () => {
      const alert = alertRow(unitId);
      alertId = alert.id;
      await Promise.all([repo.addAlert(alert), repo.addEvent(event(alertId)), repo.addAttempt(attempt(alertId))]);
    });

    it.each([
      ['alerts', "UPDATE alerts SET title = 'x' WHERE id = $1"],
      ['alerts', 'DELETE FROM alerts WHERE id = $1'],
      ['alert_events', "UPDATE alert_events SET note = 'x' WHERE alert_id = $1"],
      ['alert_events', 'DELETE FROM alert_events WHERE alert_id = $1'],
      ['alert_attempts', "UPDATE alert_attempts SET status = 'failed' WHERE alert_id = $1"],
      ['alert_attempts', 'DELETE FROM alert_attempts WHERE alert_id = $1'],
    ])('refuses on %s: %s, even to the owner, and to the app role', async (table, sql) => {
      await expect(db.sql(sql, [alertId])).rejects.toThrow(/forbidden/);
      await expect(pool.query(sql, [alertId])).rejects.toThrow(/permission denied|forbidden/);
      expect(
        await count(`SELECT count(*) AS n FROM ${table} WHERE ${table === 'alerts' ? 'id' : 'alert_id'} = $1`, [
          alertId,
        ]),
      ).toBe(1);
    });

    it.each(['alerts', 'alert_events', 'alert_attempts'])('refuses TRUNCATE %s, even to the owner', async (table) => {
      await expect(db.sql(`TRUNCATE ${table}`)).rejects.toThrow(/forbidden/);
      expect(await count(`SELECT count(*) AS n FROM ${table}`)).toBeGreaterThan(0);
    });
  });

  describe('checkpoint', () => {
    it('is null before the first save, keeps µs, and never goes backwards', async () => {
      const name = `cp-${randomUUID()}`;
      expect(await repo.checkpoint(name)).toBeNull();
      await repo.saveCheckpoint(name, '2025-11-22T03:13:54.567891Z');
      expect(await repo.checkpoint(name)).toBe('2025-11-22T03:13:54.567891Z');
      await repo.saveCheckpoint(name, '2025-11-22T03:13:54.567890Z');
      expect(await repo.checkpoint(name)).toBe('2025-11-22T03:13:54.567891Z');
      await repo.saveCheckpoint(name, '2025-11-22T03:13:55.000001Z');
      expect(await repo.checkpoint(name)).toBe('2025-11-22T03:13:55.000001Z');
    });

    it('keeps checkpoints apart by name', async () => {
      const a = `cp-${randomUUID()}`;
      const b = `cp-${randomUUID()}`;
      await repo.saveCheckpoint(a, '2025-11-22T00:00:00.000001Z');
      await repo.saveCheckpoint(b, '2025-11-23T00:00:00.000002Z');
      expect([await repo.checkpoint(a), await repo.checkpoint(b)]).toEqual([
        '2025-11-22T00:00:00.000001Z',
        '2025-11-23T00:00:00.000002Z',
      ]);
    });
  });
});
