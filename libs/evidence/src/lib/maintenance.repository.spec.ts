import { createAppPool } from '@fireiot/storage';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { Pool } from 'pg';
import { MaintenanceRepository } from './maintenance.repository';

jest.setTimeout(120_000);

describe(MaintenanceRepository.name, () => {
  let db: TestDatabase;
  let pool: Pool;
  let repo: MaintenanceRepository;
  let unitA: string;
  let unitB: string;
  let actor: string;
  let uitdA: string;
  let collectorA: string;
  let uitdB: string;

  async function one<T extends object>(sql: string, params: unknown[] = []): Promise<T> {
    const [row] = await db.sql<T>(sql, params);
    if (row === undefined) throw new Error(`no row: ${sql}`);
    return row;
  }

  async function device(key: string, kind: string, power: string, unitId: string | null): Promise<string> {
    return (
      await one<{ id: string }>(
        'INSERT INTO devices (device_key, kind, power, unit_id) VALUES ($1, $2, $3, $4) RETURNING id',
        [key, kind, power, unitId],
      )
    ).id;
  }

  beforeAll(async () => {
    db = await startTestDatabase();
    pool = createAppPool(db.ownerUrl, 4);
    repo = new MaintenanceRepository(pool);
    expect(await repo.platformSince()).toBeNull();
    unitA = (await one<{ id: string }>("INSERT INTO units (name) VALUES ('A') RETURNING id")).id;
    unitB = (await one<{ id: string }>("INSERT INTO units (name) VALUES ('B') RETURNING id")).id;
    actor = (
      await one<{ id: string }>(
        "INSERT INTO users (username, password_hash, role, created_at) VALUES ('op', 'x', 'operator', '2025-01-01T00:00:00Z') RETURNING id",
      )
    ).id;
    uitdA = await device('uitd:1', 'uitd', 'mains', unitA);
    collectorA = await device('mqtt:c-1', 'collector', 'battery', unitA);
    uitdB = await device('uitd:2', 'uitd', 'mains', unitB);
  });
  afterAll(async () => {
    await pool.end();
    await db.stop();
  });

  const at = (iso: string) => new Date(iso);

  it('appends records of devices and of the platform (device_id NULL) and lists them newest first', async () => {
    const first = await repo.record({
      itemId: 'uitd.self-test',
      deviceId: uitdA,
      doneAt: at('2025-03-01T08:00:00Z'),
      actor,
      note: 'ok',
    });
    expect(first).toMatch(/^\d+$/);
    await repo.record({
      itemId: 'uitd.self-test',
      deviceId: uitdA,
      doneAt: at('2025-03-02T08:00:00Z'),
      actor,
      note: null,
    });
    await repo.record({
      itemId: 'uitd.self-test',
      deviceId: uitdB,
      doneAt: at('2025-03-03T08:00:00Z'),
      actor,
      note: null,
    });
    await repo.record({
      itemId: 'collector.battery',
      deviceId: collectorA,
      doneAt: at('2025-02-01T08:00:00Z'),
      actor,
      note: '换电池',
    });
    await repo.record({
      itemId: 'platform.log-housekeeping',
      deviceId: null,
      doneAt: at('2025-03-05T08:00:00Z'),
      actor,
      note: null,
    });

    const all = await repo.list({ limit: 100 });
    expect(all.map((r) => [r.itemId, r.deviceKey, r.doneAt.toISOString()])).toEqual([
      ['platform.log-housekeeping', null, '2025-03-05T08:00:00.000Z'],
      ['uitd.self-test', 'uitd:2', '2025-03-03T08:00:00.000Z'],
      ['uitd.self-test', 'uitd:1', '2025-03-02T08:00:00.000Z'],
      ['uitd.self-test', 'uitd:1', '2025-03-01T08:00:00.000Z'],
      ['collector.battery', 'mqtt:c-1', '2025-02-01T08:00:00.000Z'],
    ]);
    expect(all[3]).toEqual({
      id: first,
      itemId: 'uitd.self-test',
      deviceId: uitdA,
      deviceKey: 'uitd:1',
      unitId: unitA,
      doneAt: at('2025-03-01T08:00:00Z'),
      actor,
      actorUsername: 'op',
      note: 'ok',
      recordedAt: expect.any(Date),
    });
    expect(all[0]).toMatchObject({ deviceId: null, unitId: null });
  });

  it('filters by device, unit (never the platform’s records), item and done_at range, with paging', async () => {
    const ids = async (filter: Parameters<MaintenanceRepository['list']>[0]) =>
      (await repo.list(filter)).map((r) => `${r.itemId}@${r.deviceKey ?? 'platform'}`);
    expect(await ids({ deviceId: uitdA, limit: 10 })).toEqual(['uitd.self-test@uitd:1', 'uitd.self-test@uitd:1']);
    expect(await ids({ unitId: unitA, limit: 10 })).toEqual([
      'uitd.self-test@uitd:1',
      'uitd.self-test@uitd:1',
      'collector.battery@mqtt:c-1',
    ]);
    expect(await ids({ unitId: unitB, limit: 10 })).toEqual(['uitd.self-test@uitd:2']);
    expect(await ids({ itemId: 'platform.log-housekeeping', limit: 10 })).toEqual([
      'platform.log-housekeeping@platform',
    ]);
    expect(await ids({ from: at('2025-03-02T08:00:00Z'), to: at('2025-03-05T08:00:00Z'), limit: 10 })).toEqual([
      'uitd.self-test@uitd:2',
      'uitd.self-test@uitd:1',
    ]);
    expect(await ids({ limit: 2, offset: 1 })).toEqual(['uitd.self-test@uitd:2', 'uitd.self-test@uitd:1']);
  });

  it('gives the last time each (device or platform, item) was done, in one query; never done is absent', async () => {
    const last = await repo.lastDone([
      { deviceId: uitdA, itemId: 'uitd.self-test' },
      { deviceId: uitdB, itemId: 'uitd.self-test' },
      { deviceId: uitdA, itemId: 'uitd.power-switchover' },
      { deviceId: collectorA, itemId: 'collector.battery' },
      { deviceId: null, itemId: 'platform.log-housekeeping' },
      { deviceId: null, itemId: 'platform.records-check' },
      // A device item asked for the platform: the platform never did it.
      { deviceId: null, itemId: 'uitd.self-test' },
    ]);
    expect(last).toEqual([
      { deviceId: uitdA, itemId: 'uitd.self-test', doneAt: at('2025-03-02T08:00:00Z') },
      { deviceId: uitdB, itemId: 'uitd.self-test', doneAt: at('2025-03-03T08:00:00Z') },
      { deviceId: collectorA, itemId: 'collector.battery', doneAt: at('2025-02-01T08:00:00Z') },
      { deviceId: null, itemId: 'platform.log-housekeeping', doneAt: at('2025-03-05T08:00:00Z') },
    ]);
    expect(await repo.lastDone([])).toEqual([]);
  });

  it('finds the last done through the (item, device, done_at) index, not by scanning every record', async () => {
    await db.sql(
      `INSERT INTO maintenance_records (item_id, device_id, done_at, actor)
       SELECT 'uitd.self-test', $1, timestamptz '2024-01-01' + n * interval '1 minute', $2 FROM generate_series(1, 20000) n`,
      [uitdB, actor],
    );
    await db.sql('ANALYZE maintenance_records');
    // The statement lastDone sends, explained with the same parameters.
    const query = jest.spyOn(pool, 'query');
    const keys = [
      { deviceId: uitdB, itemId: 'uitd.self-test' },
      { deviceId: null, itemId: 'platform.log-housekeeping' },
    ];
    const [last] = await repo.lastDone(keys);
    const [sql, params] = query.mock.calls[0] as unknown as [string, unknown[]];
    query.mockRestore();
    expect(last?.doneAt).toEqual(at('2025-03-03T08:00:00Z'));
    const plan = await db.sql<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toContain('maintenance_records_item');
    expect(text).not.toMatch(/Seq Scan on maintenance_records|Bitmap Heap Scan on maintenance_records/);
    expect(text).toMatch(/Limit[\s\S]*Index (Only )?Scan using maintenance_records_item/);
  });

  it('is append-only for the application role', async () => {
    await expect(pool.query("UPDATE maintenance_records SET note = 'changed'")).rejects.toThrow();
    await expect(pool.query('DELETE FROM maintenance_records')).rejects.toThrow();
    await expect(
      repo.record({
        itemId: 'x',
        deviceId: '00000000-0000-4000-8000-000000000000',
        doneAt: new Date(),
        actor,
        note: null,
      }),
    ).rejects.toThrow(/foreign key/);
  });

  it('walks devices a page at a time, per unit or all; finds one; knows when the platform started', async () => {
    const firstPage = await repo.devices({ unitId: null, afterId: null, limit: 2 });
    const lastId = firstPage[1]?.id ?? null;
    const rest = await repo.devices({ unitId: null, afterId: lastId, limit: 2 });
    expect([...firstPage, ...rest].map((d) => d.id).sort()).toEqual([uitdA, collectorA, uitdB].sort());
    expect(rest).toHaveLength(1);
    expect((await repo.devices({ unitId: unitA, afterId: null, limit: 10 })).map((d) => d.deviceKey).sort()).toEqual([
      'mqtt:c-1',
      'uitd:1',
    ]);
    expect(await repo.device(collectorA)).toEqual({
      id: collectorA,
      deviceKey: 'mqtt:c-1',
      kind: 'collector',
      power: 'battery',
      unitId: unitA,
      createdAt: expect.any(Date),
    });
    expect(await repo.device('00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await repo.platformSince()).toEqual(at('2025-01-01T00:00:00Z'));
  });
});
