/**
 * The maintenance plan of CQC/SC 11002 4.4.4 and Annex A ("系统维护管理检查项目"): what is
 * checked on user information transmission devices (UITDs), information collectors and the
 * platform itself, and how often. The items are data with stable ids (records name them); the
 * calendar arithmetic and the due / overdue rule are pure functions of the last time an item was
 * done. No I/O.
 *
 * Calendar rules (`addMaintenancePeriod`): daily = +1 day, weekly = +7 days, monthly = +1
 * calendar month, half-yearly = +6 calendar months, in the plan's time zone (China Standard Time, UTC+8, no
 * daylight saving: the standard's; `PlanOptions.utcOffsetMinutes` for another). A month added to
 * a day the target month lacks gives its last day (Jan 31 + 1 month = Feb 28, or 29).
 *
 * Due rule (`assessMaintenance`): an item is next due one period after it was last done; never
 * done, one period after the object exists (a device's creation, the platform's start), so a new
 * UITD owes its self-test after a day, not at once. It is
 * - `overdue` once that instant has passed (strictly after `nextDueAt`);
 * - `due` from the earlier of the start of the due day (local) and the last fifth of the period
 *   (daily ≈ 4.8 h, weekly ≈ 1.4 days, monthly ≈ 6 days, half-yearly ≈ 36 days) up to and
 *   including `nextDueAt`;
 * - `ok` before that.
 */

export type MaintenanceObject = 'uitd' | 'collector' | 'platform';
export const MAINTENANCE_OBJECTS: readonly MaintenanceObject[] = ['uitd', 'collector', 'platform'];

export type MaintenancePeriod = 'daily' | 'weekly' | 'monthly' | 'half-yearly';
export type MaintenanceStatus = 'ok' | 'due' | 'overdue';
export type MaintenancePower = 'mains' | 'battery';

export interface Bilingual {
  readonly zh: string;
  readonly en: string;
}

export interface MaintenanceItem {
  /** Stable: maintenance records name it (`maintenance_records.item_id`). */
  readonly id: string;
  readonly object: MaintenanceObject;
  /** Only devices with this power source (the collector battery check: battery collectors). */
  readonly power?: MaintenancePower;
  readonly period: MaintenancePeriod;
  /** The part checked (Annex A, second column), e.g. 自检功能 / self-test function. */
  readonly aspect: Bilingual;
  /** The work to do (Annex A, 工作内容). */
  readonly title: Bilingual;
  readonly clause: '4.4.4';
  readonly annex: 'A';
}

/** What an item is done on: the platform, or a device of a kind and power source. */
export type MaintenanceTarget =
  { readonly object: 'platform' } | { readonly object: 'uitd' | 'collector'; readonly power: MaintenancePower };

export interface PlanOptions {
  /** The zone calendar days and months are counted in, minutes east of UTC (default 480, UTC+8). */
  readonly utcOffsetMinutes?: number;
}

/** China Standard Time (UTC+8): the standard's calendar. */
export const PLAN_UTC_OFFSET_MINUTES = 480;

/** The share of a period, before its due date, in which an item is `due` (at least the due day). */
export const DUE_WINDOW_SHARE = 0.2;

function item(
  id: string,
  object: MaintenanceObject,
  period: MaintenancePeriod,
  aspect: Bilingual,
  title: Bilingual,
  power?: MaintenancePower,
): MaintenanceItem {
  return Object.freeze({
    id,
    object,
    ...(power === undefined ? {} : { power }),
    period,
    aspect: Object.freeze(aspect),
    title: Object.freeze(title),
    clause: '4.4.4',
    annex: 'A',
  });
}

// CQC/SC 11002 4.4.4, Annex A: in the order of the annex's table.
export const MAINTENANCE_PLAN: readonly MaintenanceItem[] = Object.freeze([
  item(
    'uitd.self-test',
    'uitd',
    'daily',
    { zh: '自检功能', en: 'Self-test function' },
    { zh: '自检功能检查', en: 'Check the self-test function' },
  ),
  item(
    'uitd.transmission-test',
    'uitd',
    'monthly',
    { zh: '信息采集发送', en: 'Information collection and sending' },
    {
      zh: '由消防设施模拟火灾、故障报警，检查信息发送接收情况',
      en: 'Simulate fire and fault alarms from the fire facilities; check the information is sent and received',
    },
  ),
  item(
    'uitd.body-cleaning',
    'uitd',
    'half-yearly',
    { zh: '设备本体', en: 'Device body' },
    { zh: '断开电源，设备外观检查与除尘', en: 'Power off; check the appearance and remove dust' },
  ),
  item(
    'uitd.power-switchover',
    'uitd',
    'half-yearly',
    { zh: '电源', en: 'Power supply' },
    { zh: '主电源与备用电源切换试验', en: 'Main / backup power switch-over test' },
  ),
  item(
    'collector.patrol',
    'collector',
    'weekly',
    { zh: '巡查', en: 'Patrol' },
    {
      zh: '装置工作情况，与消防设施接口有无松动、泄漏情况，零部件完好情况',
      en: 'Working state; interfaces to the fire facilities loose or leaking; parts intact',
    },
  ),
  item(
    'collector.transmission-test',
    'collector',
    'monthly',
    { zh: '信息采集发送', en: 'Information collection and sending' },
    {
      zh: '模拟消防设施状态变化及信息采集发送试验',
      en: 'Simulate fire facility state changes; test collection and sending',
    },
  ),
  item(
    'collector.device-check',
    'collector',
    'half-yearly',
    { zh: '设备检查', en: 'Device check' },
    {
      zh: '确认设备的准确性、实时性和防护等级的环境设计要求符合性，对易堵介质的导压管进行吹扫，对易感染、易腐蚀生锈设备、管道、阀门进行清洁、除锈、注润滑剂',
      en: 'Confirm accuracy, real-time behaviour and protection rating against the environment; purge impulse lines of clogging media; clean, de-rust and lubricate devices, pipes and valves prone to fouling or corrosion',
    },
  ),
  item(
    'collector.battery',
    'collector',
    'half-yearly',
    { zh: '蓄电池', en: 'Battery' },
    { zh: '查看电池供电情况，及时进行更换', en: 'Check the battery supply; replace in time' },
    'battery',
  ),
  item(
    'platform.log-housekeeping',
    'platform',
    'monthly',
    { zh: '运行日志', en: 'Running logs' },
    { zh: '日志整理', en: 'Log housekeeping' },
  ),
  item(
    'platform.database-capacity',
    'platform',
    'monthly',
    { zh: '数据库', en: 'Database' },
    { zh: '检查使用情况，必要时扩容', en: 'Check usage; expand when needed' },
  ),
  item(
    'platform.info-update',
    'platform',
    'monthly',
    { zh: '相关信息', en: 'Related information' },
    { zh: '更新消防地理信息、消防安全信息', en: 'Update fire geographic information and fire safety information' },
  ),
  item(
    'platform.function-check',
    'platform',
    'half-yearly',
    { zh: '系统集成功能', en: 'System integration functions' },
    { zh: '系统功能及各平台功能检查', en: 'Check the system functions and the functions of each platform' },
  ),
  item(
    'platform.records-check',
    'platform',
    'half-yearly',
    { zh: '文件', en: 'Documents' },
    { zh: '相关文件记录检查', en: 'Check the related documents and records' },
  ),
]);

const BY_ID: ReadonlyMap<string, MaintenanceItem> = new Map(MAINTENANCE_PLAN.map((i) => [i.id, i]));

/** The plan's item with this id, or undefined. */
export function maintenanceItem(id: string): MaintenanceItem | undefined {
  return BY_ID.get(id);
}

/** Why `item` is not done on `target` (a reason for the caller), or null when it applies. */
export function whyMaintenanceNotApplicable(item: MaintenanceItem, target: MaintenanceTarget): string | null {
  if (item.object !== target.object) {
    return item.object === 'platform'
      ? `${item.id} is a platform item (no device)`
      : `${item.id} applies to ${item.object === 'uitd' ? 'UITDs' : 'collectors'}, not to ${target.object === 'platform' ? 'the platform' : `a ${target.object}`}`;
  }
  if (item.power !== undefined && target.object !== 'platform' && target.power !== item.power) {
    return `${item.id} applies to ${item.power}-powered ${item.object}s only; this one is ${target.power}-powered`;
  }
  return null;
}

export function maintenanceAppliesTo(item: MaintenanceItem, target: MaintenanceTarget): boolean {
  return whyMaintenanceNotApplicable(item, target) === null;
}

/** The plan's items for an object, in plan order. */
export function maintenanceItemsFor(target: MaintenanceTarget): MaintenanceItem[] {
  return MAINTENANCE_PLAN.filter((i) => maintenanceAppliesTo(i, target));
}

const DAY_MS = 86_400_000;

function offsetMs(options: PlanOptions | undefined): number {
  return (options?.utcOffsetMinutes ?? PLAN_UTC_OFFSET_MINUTES) * 60_000;
}

/** `months` calendar months after `at`, same local time of day; clamped to the month's last day. */
function addMonths(at: Date, months: number, offset: number): Date {
  const local = new Date(at.getTime() + offset);
  const year = local.getUTCFullYear();
  const month = local.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const shifted = Date.UTC(
    year,
    month,
    Math.min(local.getUTCDate(), lastDay),
    local.getUTCHours(),
    local.getUTCMinutes(),
    local.getUTCSeconds(),
    local.getUTCMilliseconds(),
  );
  return new Date(shifted - offset);
}

/** One period after `at` (calendar rules in the module comment). */
export function addMaintenancePeriod(at: Date, period: MaintenancePeriod, options?: PlanOptions): Date {
  switch (period) {
    case 'daily':
      return new Date(at.getTime() + DAY_MS); // a fixed-offset zone: a local day is always 24 h
    case 'weekly':
      return new Date(at.getTime() + 7 * DAY_MS);
    case 'monthly':
      return addMonths(at, 1, offsetMs(options));
    case 'half-yearly':
      return addMonths(at, 6, offsetMs(options));
  }
}

/** Local midnight (in the plan's zone) of the day `at` falls on. */
export function startOfPlanDay(at: Date, options?: PlanOptions): Date {
  const offset = offsetMs(options);
  return new Date(Math.floor((at.getTime() + offset) / DAY_MS) * DAY_MS - offset);
}

/**
 * When the item is next due: one period after it was last done, or after `createdAt` (the
 * device's creation, the platform's start) when it never was.
 */
export function nextMaintenanceDueAt(
  item: MaintenanceItem,
  lastDoneAt: Date | null,
  createdAt: Date,
  options?: PlanOptions,
): Date {
  return addMaintenancePeriod(lastDoneAt ?? createdAt, item.period, options);
}

export interface MaintenanceAssessment {
  readonly status: MaintenanceStatus;
  /** `ok` until this instant, then `due`. */
  readonly dueFrom: Date;
  /** `due` up to and including this instant, then `overdue`. */
  readonly nextDueAt: Date;
}

/** Status of an item on one object at `now`, with the instants it changes (rule in the module comment). */
export function assessMaintenance(
  item: MaintenanceItem,
  lastDoneAt: Date | null,
  createdAt: Date,
  now: Date,
  options?: PlanOptions,
): MaintenanceAssessment {
  const base = lastDoneAt ?? createdAt;
  const due = addMaintenancePeriod(base, item.period, options);
  const window = Math.round((due.getTime() - base.getTime()) * DUE_WINDOW_SHARE);
  const dueFrom = new Date(Math.min(startOfPlanDay(due, options).getTime(), due.getTime() - window));
  const t = now.getTime();
  const status: MaintenanceStatus = t > due.getTime() ? 'overdue' : t >= dueFrom.getTime() ? 'due' : 'ok';
  return { status, dueFrom, nextDueAt: due };
}

/** `ok`, `due` or `overdue` (CQC/SC 11002 4.4.4, Annex A; rule in the module comment). */
export function maintenanceStatus(
  item: MaintenanceItem,
  lastDoneAt: Date | null,
  createdAt: Date,
  now: Date,
  options?: PlanOptions,
): MaintenanceStatus {
  return assessMaintenance(item, lastDoneAt, createdAt, now, options).status;
}
