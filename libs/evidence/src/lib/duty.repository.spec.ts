import { randomUUID } from 'node:crypto';
import { createAppPool } from '@fireiot/storage';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { Pool } from 'pg';
import { AlertRepository } from './alert.repository';
import { DutyRepository, NewDutyEntry } from './duty.repository';
import { AlertRow } from './evidence.model';

jest.setTimeout(120_000);

let sourceIds = 1;
let seconds = 0;
/** Strictly increasing times, so the order of rows is the order of the calls. */
const nextAt = () => new Date(Date.UTC(2025, 10, 22, 8, 0, seconds++)).toISOString();

function alertRow(overrides: Partial<AlertRow> = {}): AlertRow {
  return {
    id: randomUUID(),
    unitId: null,
    deviceId: null,
    deviceKey: 'uitd:889',
    subject: 'sys:1/1/comp:131082',
    kind: 'fault',
    clause: '4.3.2',
    item: 'a',
    ruleId: 'fault.state',
    title: '故障 Fault',
    detail: {},
    sourceTable: 'raw_frames',
    sourceId: String(sourceIds++),
    receivedAt: nextAt(),
    classifiedAt: nextAt(),
    deadlineMs: 10_000,
    restores: null,
    suppressed: null,
    ...overrides,
  };
}

describe(DutyRepository.name, () => {
  let db: TestDatabase;
  let pool: Pool;
  let duty: DutyRepository;
  let alerts: AlertRepository;
  let alice: string;
  let bob: string;

  const entry = (kind: NewDutyEntry['kind'], userId: string, extra: Partial<NewDutyEntry> = {}): NewDutyEntry => ({
    kind,
    userId,
    at: nextAt(),
    note: kind === 'start' || kind === 'end' ? null : 'note',
    ...extra,
  });
  const onDuty = async () => (await duty.onDuty()).map((o) => o.username);

  beforeAll(async () => {
    db = await startTestDatabase();
    pool = createAppPool(db.ownerUrl, 8);
    duty = new DutyRepository(pool);
    alerts = new AlertRepository(pool, { batchMs: 2 });
    const users = await db.sql<{ id: string; username: string }>(
      `INSERT INTO users (username, password_hash, role) VALUES ('alice', 'x', 'operator'), ('bob', 'x', 'operator')
       RETURNING id, username`,
    );
    alice = users.find((u) => u.username === 'alice')?.id ?? '';
    bob = users.find((u) => u.username === 'bob')?.id ?? '';
  });
  afterAll(async () => {
    await alerts.flush();
    await pool.end();
    await db.stop();
  });

  it('derives who is on duty from starts, ends and handovers, refusing writes whose precondition fails', async () => {
    expect(await onDuty()).toEqual([]);
    const started = await duty.append(entry('start', alice), 'off-duty');
    expect(started).toMatchObject({ ok: true, entry: { kind: 'start', username: 'alice', note: null, to: null } });
    expect(await onDuty()).toEqual(['alice']);
    expect(await duty.append(entry('start', alice), 'off-duty')).toEqual({ ok: false, state: 'on-duty' });
    expect(await duty.append(entry('end', bob), 'on-duty')).toEqual({ ok: false, state: 'off-duty' });

    const handover = await duty.append(entry('handover', alice, { toUserId: bob, note: '交班 all quiet' }), 'on-duty');
    expect(handover).toMatchObject({
      ok: true,
      entry: { kind: 'handover', userId: alice, to: { userId: bob, username: 'bob' }, note: '交班 all quiet' },
    });
    expect(await onDuty()).toEqual(['bob']);
    const [bobOnDuty] = await duty.onDuty();
    expect(bobOnDuty?.since).toBe(handover.ok ? handover.entry.at : '');

    await duty.append(entry('end', bob), 'on-duty');
    expect(await onDuty()).toEqual([]);
  });

  it('lets one of many simultaneous starts of one operator through', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => duty.append(entry('start', bob), 'off-duty')));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await onDuty()).toEqual(['bob']);
    await duty.append(entry('end', bob), 'on-duty');
  });

  it('snapshots the open alerts at a handover: fire alarms first, newest first, not closed, restored or suppressed', async () => {
    const oldFire = alertRow({ kind: 'fire-alarm', clause: '4.3.1', item: null });
    const fault = alertRow();
    const newFire = alertRow({ kind: 'fire-alarm', clause: '4.3.1', item: null });
    const closed = alertRow();
    const restored = alertRow();
    const restoring = alertRow({ kind: 'restored', restores: restored.id });
    const suppressed = alertRow({ suppressed: 'shielded' });
    await Promise.all(
      [oldFire, fault, newFire, closed, restored, restoring, suppressed].map((a) => alerts.addAlert(a)),
    );
    await alerts.addEvent({
      alertId: closed.id,
      type: 'closed',
      at: nextAt(),
      actor: alice,
      note: 'done',
      sourceId: null,
      detail: {},
    });
    await duty.append(entry('start', alice), 'off-duty');
    const result = await duty.append(entry('handover', alice, { toUserId: bob, openAlertsLimit: 3 }), 'on-duty');
    if (!result.ok) throw new Error('handover refused');
    expect(result.entry.openAlerts).toEqual([
      {
        id: newFire.id,
        kind: 'fire-alarm',
        title: newFire.title,
        deviceKey: 'uitd:889',
        unitId: null,
        receivedAt: `${newFire.receivedAt.slice(0, -1)}000Z`,
      },
      expect.objectContaining({ id: oldFire.id }),
      expect.objectContaining({ id: restoring.id, kind: 'restored' }),
    ]);
    expect(result.entry.openAlertsTotal).toBe(4); // the fault too
    const [listed] = await duty.list({ from: null, to: null, limit: 1 });
    expect(listed).toEqual(result.entry);
  });

  it('lists entries newest first within [from, to)', async () => {
    const first = await duty.append(entry('entry', bob, { note: 'patrol of the control room' }), null);
    const second = await duty.append(entry('entry', bob, { note: 'printer out of paper' }), null);
    if (!first.ok || !second.ok) throw new Error('entry refused');
    const window = await duty.list({ from: first.entry.at, to: second.entry.at, limit: 10 });
    expect(window.map((e) => e.note)).toEqual(['patrol of the control room']);
    const latest = await duty.list({ from: null, to: null, limit: 2 });
    expect(latest.map((e) => e.note)).toEqual(['printer out of paper', 'patrol of the control room']);
  });

  it('is append-only, even to the owner, and the app role may only insert and select', async () => {
    for (const statement of ["UPDATE duty_log SET note = 'x'", 'DELETE FROM duty_log', 'TRUNCATE duty_log']) {
      await expect(pool.query(statement)).rejects.toThrow(/permission denied|forbidden/);
      await expect(db.sql(statement)).rejects.toThrow(/append-only/);
    }
  });

  it('refuses rows that break the log’s shape', async () => {
    await expect(
      pool.query("INSERT INTO duty_log (at, kind, user_id) VALUES (now(), 'handover', $1)", [alice]),
    ).rejects.toThrow(/check constraint/);
    await expect(
      pool.query("INSERT INTO duty_log (at, kind, user_id) VALUES (now(), 'entry', $1)", [alice]),
    ).rejects.toThrow(/check constraint/);
    await expect(
      pool.query("INSERT INTO duty_log (at, kind, user_id, note) VALUES (now(), 'nap', $1, 'zzz')", [alice]),
    ).rejects.toThrow(/check constraint/);
  });
});
