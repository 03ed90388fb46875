import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { eventually } from '@fireiot/testing';
import { Gauge, register } from 'prom-client';
import { MAINTENANCE_REPORT_INTERVAL_MS, MaintenanceOverdue, MaintenanceReporter } from './maintenance.reporter';
import { MaintenanceCounts, MaintenanceService } from './maintenance.service';

function counts(uitd: number, collector: number, platform: number, due = 0): MaintenanceCounts {
  return {
    uitd: { due, overdue: uitd },
    collector: { due, overdue: collector },
    platform: { due, overdue: platform },
  };
}

/** Stands in for the service: answers the counts it is given, and counts the calls. */
class FakeMaintenance {
  calls = 0;
  next: MaintenanceCounts | Error = counts(0, 0, 0);
  release: (() => void) | null = null;
  hold = false;

  async counts(): Promise<MaintenanceCounts> {
    this.calls++;
    if (this.hold) await new Promise<void>((resolve) => (this.release = resolve));
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
}

async function gauge(name: string): Promise<Record<string, number>> {
  const metric = register.getSingleMetric(name) as Gauge<'object'> | undefined;
  const values = (await metric?.get())?.values ?? [];
  return Object.fromEntries(values.map((v) => [String(v.labels['object']), v.value]));
}

describe(MaintenanceReporter.name, () => {
  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    warn.mockRestore();
    error.mockRestore();
  });

  async function start(fake: FakeMaintenance, intervalMs: number) {
    const moduleRef = await Test.createTestingModule({
      providers: [
        MaintenanceReporter,
        { provide: MaintenanceService, useValue: fake },
        { provide: MAINTENANCE_REPORT_INTERVAL_MS, useValue: intervalMs },
      ],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init(); // onApplicationBootstrap: the first count
    return app;
  }

  it('counts at start and every interval, sets the gauges, and stops on module destroy', async () => {
    const fake = new FakeMaintenance();
    fake.next = counts(0, 0, 0, 2);
    const app = await start(fake, 30);
    await eventually(() => fake.calls >= 3, 'three counts');
    expect(await gauge('fireiot_maintenance_due_items')).toEqual({ uitd: 2, collector: 2, platform: 2 });
    expect(await gauge('fireiot_maintenance_overdue_items')).toEqual({ uitd: 0, collector: 0, platform: 0 });
    expect(warn).not.toHaveBeenCalled();
    await app.close();
    const after = fake.calls;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fake.calls).toBe(after);
  });

  it('logs one structured warning with the counts per count that finds overdue items', async () => {
    const fake = new FakeMaintenance();
    fake.next = counts(3, 1, 2, 5);
    const app = await start(fake, 3_600_000);
    await eventually(() => warn.mock.calls.length === 1, 'the warning');
    await app.close();
    expect(fake.calls).toBe(1); // the hour has not passed
    expect(warn).toHaveBeenCalledWith({
      msg: expect.stringContaining('maintenance items overdue (CQC/SC 11002 4.4.4, Annex A)'),
      overdue: 6,
      due: 15,
      overdueByObject: { uitd: 3, collector: 1, platform: 2 },
      dueByObject: { uitd: 5, collector: 5, platform: 5 },
    });
    expect(await gauge('fireiot_maintenance_overdue_items')).toEqual({ uitd: 3, collector: 1, platform: 2 });
  });

  it('hands overdue counts to the operators’ sink, and nothing when all is done', async () => {
    const fake = new FakeMaintenance();
    const told: MaintenanceOverdue[] = [];
    const reporter = new MaintenanceReporter(fake as unknown as MaintenanceService, 3_600_000, async (o) => {
      told.push(o);
    });
    fake.next = counts(0, 0, 0, 4);
    await reporter.report(new Date('2026-11-22T01:00:00Z'));
    expect(told).toEqual([]);
    fake.next = counts(2, 1, 0, 4);
    await reporter.report(new Date('2026-11-22T02:00:00Z'));
    expect(told).toEqual([
      {
        at: new Date('2026-11-22T02:00:00Z'),
        overdue: 3,
        due: 12,
        overdueByObject: { uitd: 2, collector: 1, platform: 0 },
      },
    ]);
  });

  it('survives a failed count (logged) and waits for a count in flight before it stops', async () => {
    const fake = new FakeMaintenance();
    fake.next = new Error('database down');
    fake.hold = true;
    const app = await start(fake, 20);
    await eventually(() => fake.release !== null, 'a count in flight');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fake.calls).toBe(1); // no second count while the first one runs
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(closed).toBe(false);
    fake.release?.();
    await closing;
    expect(error).toHaveBeenCalledWith({ msg: 'maintenance count failed', error: 'Error: database down' });
  });

  it('does not keep the process alive and defaults to an hour', () => {
    const reporter = new MaintenanceReporter(new FakeMaintenance() as unknown as MaintenanceService);
    const setInterval = jest.spyOn(global, 'setInterval');
    reporter.start();
    const timer = setInterval.mock.results[0]?.value as NodeJS.Timeout;
    expect(setInterval.mock.calls[0]?.[1]).toBe(3_600_000);
    expect(timer.hasRef()).toBe(false);
    setInterval.mockRestore();
    return reporter.onModuleDestroy();
  });
});
