import {
  addMaintenancePeriod,
  maintenanceAppliesTo,
  assessMaintenance,
  maintenanceItemsFor,
  MAINTENANCE_PLAN,
  MaintenanceItem,
  maintenanceItem,
  MaintenancePeriod,
  maintenanceStatus,
  nextMaintenanceDueAt,
  whyMaintenanceNotApplicable,
  startOfPlanDay,
} from './maintenance.plan';

/** An instant written as China Standard Time (the plan's calendar). */
function cst(local: string): Date {
  return new Date(`${local}+08:00`);
}

function planItem(id: string): MaintenanceItem {
  const found = maintenanceItem(id);
  if (found === undefined) throw new Error(`no item ${id}`);
  return found;
}

const HOUR = 3_600_000;

describe('MAINTENANCE_PLAN', () => {
  it('is CQC/SC 11002 Annex A: 4 UITD, 4 collector and 5 platform items with their periods', () => {
    expect(MAINTENANCE_PLAN.map((i) => [i.id, i.object, i.period])).toEqual([
      ['uitd.self-test', 'uitd', 'daily'],
      ['uitd.transmission-test', 'uitd', 'monthly'],
      ['uitd.body-cleaning', 'uitd', 'half-yearly'],
      ['uitd.power-switchover', 'uitd', 'half-yearly'],
      ['collector.patrol', 'collector', 'weekly'],
      ['collector.transmission-test', 'collector', 'monthly'],
      ['collector.device-check', 'collector', 'half-yearly'],
      ['collector.battery', 'collector', 'half-yearly'],
      ['platform.log-housekeeping', 'platform', 'monthly'],
      ['platform.database-capacity', 'platform', 'monthly'],
      ['platform.info-update', 'platform', 'monthly'],
      ['platform.function-check', 'platform', 'half-yearly'],
      ['platform.records-check', 'platform', 'half-yearly'],
    ]);
  });

  it('names clause 4.4.4 / Annex A and gives the Chinese and English wording of each item', () => {
    for (const i of MAINTENANCE_PLAN) {
      expect({ id: i.id, clause: i.clause, annex: i.annex }).toEqual({ id: i.id, clause: '4.4.4', annex: 'A' });
      expect(i.title.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(i.aspect.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(i.title.en.length).toBeGreaterThan(5);
      expect(i.id).toMatch(/^[a-z]+\.[a-z-]+$/);
    }
    expect(planItem('uitd.self-test').title.zh).toBe('自检功能检查');
    expect(planItem('uitd.power-switchover').title.zh).toBe('主电源与备用电源切换试验');
    expect(planItem('platform.log-housekeeping').title.zh).toBe('日志整理');
    expect(new Set(MAINTENANCE_PLAN.map((i) => i.id)).size).toBe(MAINTENANCE_PLAN.length);
  });

  it('is frozen data', () => {
    expect(Object.isFrozen(MAINTENANCE_PLAN)).toBe(true);
    expect(Object.isFrozen(planItem('uitd.self-test'))).toBe(true);
    expect(maintenanceItem('uitd.unknown')).toBeUndefined();
  });
});

describe(maintenanceItemsFor.name, () => {
  it('gives battery collectors the battery check and mains collectors not', () => {
    const battery = maintenanceItemsFor({ object: 'collector', power: 'battery' }).map((i) => i.id);
    const mains = maintenanceItemsFor({ object: 'collector', power: 'mains' }).map((i) => i.id);
    expect(battery).toEqual([
      'collector.patrol',
      'collector.transmission-test',
      'collector.device-check',
      'collector.battery',
    ]);
    expect(mains).toEqual(['collector.patrol', 'collector.transmission-test', 'collector.device-check']);
    expect(maintenanceItemsFor({ object: 'uitd', power: 'battery' })).toHaveLength(4);
    expect(maintenanceItemsFor({ object: 'platform' }).map((i) => i.object)).toEqual(Array(5).fill('platform'));
  });
});

describe(whyMaintenanceNotApplicable.name, () => {
  it('says why an item is not done on an object', () => {
    const battery = planItem('collector.battery');
    expect(whyMaintenanceNotApplicable(battery, { object: 'collector', power: 'battery' })).toBeNull();
    expect(whyMaintenanceNotApplicable(battery, { object: 'collector', power: 'mains' })).toMatch(
      /battery-powered collectors only; this one is mains-powered/,
    );
    expect(whyMaintenanceNotApplicable(planItem('uitd.self-test'), { object: 'collector', power: 'mains' })).toMatch(
      /applies to UITDs, not to a collector/,
    );
    expect(whyMaintenanceNotApplicable(planItem('uitd.self-test'), { object: 'platform' })).toMatch(
      /not to the platform/,
    );
    expect(whyMaintenanceNotApplicable(planItem('platform.info-update'), { object: 'uitd', power: 'mains' })).toMatch(
      /platform item/,
    );
    expect(maintenanceAppliesTo(planItem('platform.info-update'), { object: 'platform' })).toBe(true);
  });
});

describe(addMaintenancePeriod.name, () => {
  it.each<[MaintenancePeriod, string, string]>([
    ['daily', '2025-03-01T09:30:00', '2025-03-02T09:30:00'],
    ['daily', '2025-12-31T23:00:00', '2026-01-01T23:00:00'],
    ['weekly', '2025-02-26T08:00:00', '2025-03-05T08:00:00'],
    ['monthly', '2025-03-15T10:00:00', '2025-04-15T10:00:00'],
    ['monthly', '2025-01-31T10:00:00', '2025-02-28T10:00:00'],
    ['monthly', '2024-01-31T10:00:00', '2024-02-29T10:00:00'],
    ['monthly', '2025-03-31T10:00:00', '2025-04-30T10:00:00'],
    ['monthly', '2025-12-31T10:00:00', '2026-01-31T10:00:00'],
    ['monthly', '2025-02-28T10:00:00', '2025-03-28T10:00:00'],
    ['half-yearly', '2025-08-31T10:00:00', '2026-02-28T10:00:00'],
    ['half-yearly', '2023-08-31T10:00:00', '2024-02-29T10:00:00'],
    ['half-yearly', '2025-07-15T10:00:00', '2026-01-15T10:00:00'],
    ['half-yearly', '2025-12-31T10:00:00', '2026-06-30T10:00:00'],
  ])('%s after %s (UTC+8) is %s', (period, from, to) => {
    expect(addMaintenancePeriod(cst(from), period).toISOString()).toBe(cst(to).toISOString());
  });

  it('counts calendar months in the plan zone, not in UTC', () => {
    // 2025-01-31 00:30 in Beijing is still 2025-01-30 in UTC.
    const at = cst('2025-01-31T00:30:00');
    expect(addMaintenancePeriod(at, 'monthly')).toEqual(cst('2025-02-28T00:30:00'));
    expect(addMaintenancePeriod(at, 'monthly', { utcOffsetMinutes: 0 })).toEqual(new Date('2025-02-28T16:30:00Z'));
    // Feb 1 00:30 in Beijing (Jan 31 in UTC): the Beijing calendar gives Mar 1.
    expect(addMaintenancePeriod(cst('2025-02-01T00:30:00'), 'monthly')).toEqual(cst('2025-03-01T00:30:00'));
  });

  it('keeps milliseconds', () => {
    expect(addMaintenancePeriod(cst('2025-05-31T23:59:59.999'), 'monthly')).toEqual(cst('2025-06-30T23:59:59.999'));
  });
});

describe(startOfPlanDay.name, () => {
  it('is local midnight in the plan zone', () => {
    expect(startOfPlanDay(cst('2025-03-02T07:59:00'))).toEqual(cst('2025-03-02T00:00:00'));
    expect(startOfPlanDay(new Date('2025-03-01T16:00:00Z'))).toEqual(cst('2025-03-02T00:00:00'));
    expect(startOfPlanDay(new Date('2025-03-01T15:59:59.999Z'))).toEqual(cst('2025-03-01T00:00:00'));
  });
});

describe(nextMaintenanceDueAt.name, () => {
  const created = cst('2025-03-10T12:00:00');

  it('counts a never-done item from the object’s creation', () => {
    expect(nextMaintenanceDueAt(planItem('uitd.self-test'), null, created)).toEqual(cst('2025-03-11T12:00:00'));
    expect(nextMaintenanceDueAt(planItem('collector.patrol'), null, created)).toEqual(cst('2025-03-17T12:00:00'));
    expect(nextMaintenanceDueAt(planItem('platform.records-check'), null, created)).toEqual(cst('2025-09-10T12:00:00'));
  });

  it('counts from the last time it was done', () => {
    expect(nextMaintenanceDueAt(planItem('uitd.transmission-test'), cst('2025-05-31T08:00:00'), created)).toEqual(
      cst('2025-06-30T08:00:00'),
    );
  });
});

describe(assessMaintenance.name, () => {
  const created = cst('2025-01-01T00:00:00');

  it('daily: ok until the due day starts, due through the due instant, overdue after it', () => {
    const selfTest = planItem('uitd.self-test');
    const done = cst('2025-03-03T09:00:00');
    const at = (local: string) => maintenanceStatus(selfTest, done, created, cst(local));
    expect(at('2025-03-03T09:00:00')).toBe('ok');
    expect(at('2025-03-03T23:59:59.999')).toBe('ok');
    expect(at('2025-03-04T00:00:00')).toBe('due');
    expect(at('2025-03-04T09:00:00')).toBe('due');
    expect(at('2025-03-04T09:00:00.001')).toBe('overdue');
    expect(assessMaintenance(selfTest, done, created, cst('2025-03-04T10:00:00'))).toEqual({
      status: 'overdue',
      dueFrom: cst('2025-03-04T00:00:00'),
      nextDueAt: cst('2025-03-04T09:00:00'),
    });
  });

  it('daily, done just after midnight: the last fifth (4.8 h) opens earlier than the due day', () => {
    const done = cst('2025-03-03T00:30:00');
    const { dueFrom, nextDueAt: due } = assessMaintenance(planItem('uitd.self-test'), done, created, done);
    expect(due).toEqual(cst('2025-03-04T00:30:00'));
    expect(dueFrom).toEqual(new Date(due.getTime() - 4.8 * HOUR));
  });

  it('monthly: due in the last fifth of the calendar month it spans (Jan 31 → Feb 28: 5.6 days)', () => {
    const item = planItem('platform.log-housekeeping');
    const done = cst('2025-01-31T10:00:00');
    const result = assessMaintenance(item, done, created, cst('2025-02-20T00:00:00'));
    expect(result.nextDueAt).toEqual(cst('2025-02-28T10:00:00'));
    expect(result.dueFrom).toEqual(new Date(cst('2025-02-28T10:00:00').getTime() - 5.6 * 24 * HOUR));
    expect(result.status).toBe('ok');
    expect(maintenanceStatus(item, done, created, result.dueFrom)).toBe('due');
    expect(maintenanceStatus(item, done, created, new Date(result.dueFrom.getTime() - 1))).toBe('ok');
    expect(maintenanceStatus(item, done, created, cst('2025-02-28T10:00:00.001'))).toBe('overdue');
  });

  it('weekly and half-yearly windows are a fifth of the period', () => {
    const weekly = assessMaintenance(planItem('collector.patrol'), cst('2025-03-03T12:00:00'), created, created);
    expect(weekly.nextDueAt.getTime() - weekly.dueFrom.getTime()).toBe(33 * HOUR + 36 * 60_000); // 1.4 days
    const half = assessMaintenance(planItem('collector.battery'), cst('2025-03-03T12:00:00'), created, created);
    expect(half.nextDueAt).toEqual(cst('2025-09-03T12:00:00'));
    expect(half.nextDueAt.getTime() - half.dueFrom.getTime()).toBe(Math.round(184 * 24 * HOUR * 0.2));
  });

  it('never done: counted from creation, so a fresh UITD owes its self-test after a day', () => {
    const selfTest = planItem('uitd.self-test');
    const fresh = cst('2025-04-01T15:00:00');
    expect(maintenanceStatus(selfTest, null, fresh, fresh)).toBe('ok');
    expect(maintenanceStatus(selfTest, null, fresh, cst('2025-04-02T00:00:00'))).toBe('due');
    expect(maintenanceStatus(selfTest, null, fresh, cst('2025-04-02T15:00:01'))).toBe('overdue');
    expect(maintenanceStatus(planItem('uitd.power-switchover'), null, fresh, cst('2025-04-02T15:00:01'))).toBe('ok');
  });

  it('a record newer than now (clock skew) is ok', () => {
    const now = cst('2025-04-01T15:00:00');
    expect(maintenanceStatus(planItem('uitd.self-test'), new Date(now.getTime() + 1000), created, now)).toBe('ok');
  });
});
