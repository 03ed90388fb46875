import { Logger } from '@nestjs/common';
import { InProcessBus } from '@fireiot/bus';
import { OperatorAlert } from '@fireiot/events';
import { createAppPool, OperatorAlertRepository, RawStore } from '@fireiot/storage';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { eventually } from '@fireiot/testing';
import { Pool } from 'pg';
import { register } from 'prom-client';
import { OperatorAlertService } from '../operator-alert.service';
import { HEADROOM_CAP_DAYS } from './capacity.forecast';
import { CapacityMonitor, CapacityOptions, DiskProbe } from './capacity.monitor';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

const MB = 1_000_000;
const DAY_MS = 86_400_000;

describe(CapacityMonitor.name, () => {
  let db: TestDatabase;
  let pool: Pool;
  let bus: InProcessBus;
  let records: OperatorAlertRepository;
  let alerts: OperatorAlertService;
  const published: OperatorAlert[] = [];
  const monitors: CapacityMonitor[] = [];

  beforeAll(async () => {
    db = await startTestDatabase();
    pool = createAppPool(db.ownerUrl, 2);
    bus = new InProcessBus();
    await bus.subscribe('fireiot.operator-alerts.v1', 'spec', async (m) => void published.push(m));
    records = new OperatorAlertRepository(pool);
    alerts = new OperatorAlertService(records, bus);
  });
  afterAll(async () => {
    for (const m of monitors) await m.stop();
    await bus.close();
    await pool.end();
    await db.stop();
  });

  function monitor(options: Partial<CapacityOptions>, probe: DiskProbe | null = null, clock?: () => number) {
    const m = new CapacityMonitor(
      { sampleMs: 3_600_000, budgetBytes: null, headroomMinDays: 365, dataDir: null, ...options },
      pool,
      alerts,
      records,
      probe,
      clock ?? null,
    );
    monitors.push(m);
    return m;
  }
  const gauge = async (name: string): Promise<number> =>
    (await register.getSingleMetric(name)?.get())?.values[0]?.value ?? Number.NaN;
  const operatorAlerts = () => db.sql<{ kind: string; clause: string; title: string }>('SELECT * FROM operator_alerts');
  const databaseBytes = async () =>
    Number((await db.sql<{ b: string }>('SELECT pg_database_size(current_database()) AS b'))[0]?.b);

  it('external database without a budget: size and growth, no free figure, the disk never probed', async () => {
    const probe = jest.fn<ReturnType<DiskProbe>, Parameters<DiskProbe>>();
    const report = await monitor({}, probe).sample();
    expect(probe).not.toHaveBeenCalled();
    expect(report).toMatchObject({ diskFreeBytes: null, freeBytes: null, headroomDays: null, alerted: false });
    expect(report.databaseBytes).toBeGreaterThan(MB);
    expect(await gauge('fireiot_storage_database_bytes')).toBe(report.databaseBytes);
    expect(await gauge('fireiot_storage_headroom_days')).toBeNaN();
    const rows = await db.sql<{ database_bytes: string; disk_free_bytes: null }>('SELECT * FROM capacity_samples');
    expect(rows).toEqual([
      expect.objectContaining({ database_bytes: String(report.databaseBytes), disk_free_bytes: null }),
    ]);
  });

  it('before an hour of samples, estimates growth from the raw rows of the last 24 h', async () => {
    const store = new RawStore(pool, { batchMs: 1 });
    const nowUs = BigInt(Date.now()) * 1000n;
    for (let n = 0; n < 100; n++) {
      await store.appendFrame({
        deviceKey: 'uitd:1',
        receivedAtUs: nowUs + BigInt(n),
        receivedMonoNs: BigInt(n),
        gatewayId: 'gw-test',
        peer: '127.0.0.1:5000',
        registered: false,
        bytes: Buffer.alloc(200, n),
        serial: n,
        command: 2,
        aduType: 2,
      });
    }
    await store.close();
    const [raw] = await db.sql<{ b: string }>('SELECT sum(pg_column_size(t.*)) AS b FROM raw_frames t');
    const budgetBytes = (await databaseBytes()) + 1000 * MB;
    const report = await monitor({ budgetBytes }).sample();
    // The rows arrived within the last hour: spread over one hour, times 24.
    expect(report.growthBasis).toBe('raw-rows');
    expect(report.growthBytesPerDay).toBeCloseTo(Number(raw?.b) * 24, 3);
    expect(report.freeBytes).toBe(budgetBytes - report.databaseBytes);
    expect(report.headroomDays).toBeCloseTo((report.freeBytes ?? 0) / report.growthBytesPerDay, 6);
    expect(report.headroomDays).toBeGreaterThan(365);
    expect(report.alerted).toBe(false);
  });

  it('with a week’s trend and little free disk: alerts the operators once (row + bus message), 4.4.3', async () => {
    // Samples of the last 6 hours growing 1 MB an hour, up to the current size.
    const size = await databaseBytes();
    for (let h = 1; h <= 6; h++) {
      await db.sql(
        `INSERT INTO capacity_samples (at, database_bytes) VALUES (now() - make_interval(hours => $1), $2)`,
        [h, size - h * MB],
      );
    }
    const probe: DiskProbe = async () => ({ freeBytes: 2400 * MB, totalBytes: 100_000 * MB });
    const m = monitor({ dataDir: '/var/lib/fireiot' }, probe);
    const report = await m.sample();
    expect(report.growthBasis).toBe('samples');
    expect(report.growthBytesPerDay).toBeGreaterThan(20 * MB);
    expect(report.growthBytesPerDay).toBeLessThan(28 * MB);
    expect(report.diskFreeBytes).toBe(2400 * MB);
    expect(report.headroomDays).toBeGreaterThan(80);
    expect(report.headroomDays).toBeLessThan(120);
    expect(report.alerted).toBe(true);
    expect(await gauge('fireiot_storage_headroom_days')).toBe(report.headroomDays);
    expect(await gauge('fireiot_storage_free_bytes')).toBe(2400 * MB);
    expect(await gauge('fireiot_storage_growth_bytes_per_day')).toBe(report.growthBytesPerDay);

    const rows = await operatorAlerts();
    expect(rows).toEqual([
      expect.objectContaining({
        kind: 'capacity',
        clause: '4.4.3',
        title: `Storage headroom ${Math.floor(report.headroomDays ?? 0)} days, under the required 365 (CQC/SC 11002 4.4.3)`,
      }),
    ]);
    await eventually(() => published.length === 1, 'the bus message');
    expect(published[0]).toMatchObject({
      kind: 'capacity',
      clause: '4.4.3',
      detail: { diskFreeBytes: 2400 * MB, growthBasis: 'samples', minDays: 365 },
    });

    // A second sample within the day: still under a year, no second alert.
    const again = await m.sample();
    expect(again.headroomDays).toBeLessThan(365);
    expect(again.alerted).toBe(false);
    expect(await operatorAlerts()).toHaveLength(1);
  });

  it('after a restart, does not alert again within the day (read back from operator_alerts); does after 24 h', async () => {
    const probe: DiskProbe = async () => ({ freeBytes: 2400 * MB, totalBytes: 100_000 * MB });
    let now = Date.now();
    const restarted = monitor({ dataDir: '/var/lib/fireiot', sampleMs: 3_600_000 }, probe, () => now);
    await restarted.start();
    expect(restarted.last).toMatchObject({ alerted: false });
    expect(await operatorAlerts()).toHaveLength(1);
    now += DAY_MS + 1000;
    expect(await restarted.sample()).toMatchObject({ alerted: true });
    expect(await operatorAlerts()).toHaveLength(2);
    await eventually(() => published.length === 2, 'the second bus message');
  });

  it('reports a capped headroom when storage does not grow', async () => {
    await db.sql(`INSERT INTO capacity_samples (at, database_bytes) VALUES (now() - interval '6 days', $1)`, [
      10_000 * MB,
    ]);
    const report = await monitor({ budgetBytes: 20_000 * MB }).sample();
    expect(report.growthBytesPerDay).toBeLessThan(0);
    expect(report.headroomDays).toBe(HEADROOM_CAP_DAYS);
  });
});
