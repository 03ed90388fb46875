import { Injectable, Logger } from '@nestjs/common';
import {
  assessMaintenance,
  Bilingual,
  MAINTENANCE_OBJECTS,
  MAINTENANCE_PLAN,
  MaintenanceAssessment,
  MaintenanceItem,
  maintenanceItem,
  maintenanceItemsFor,
  MaintenanceObject,
  MaintenancePeriod,
  MaintenanceStatus,
  MaintenanceTarget,
  PLAN_UTC_OFFSET_MINUTES,
  whyMaintenanceNotApplicable,
} from '@fireiot/alerting';
import { MaintainedDevice, MaintenanceRecord, MaintenanceRepository } from '@fireiot/evidence';
import { Principal } from '@fireiot/identity';
import { unitScope } from '../auth/tenant.scope';
import { MaintenanceError } from './maintenance.error';
import { DueQuery, RecordBody, RecordsQuery } from './maintenance.schema';

/** Devices read per query while walking the fleet (their last-done times are read per page too). */
const DEVICE_PAGE = 1000;
/** Clients' clocks may run a little ahead: a `doneAt` this far in the future is still "now". */
const FUTURE_SKEW_MS = 60_000;

export interface PlanView {
  readonly clause: '4.4.4';
  readonly annex: 'A';
  /** The zone calendar days and months are counted in (China Standard Time). */
  readonly utcOffset: string;
  readonly dueRule: string;
  readonly items: readonly MaintenanceItem[];
}

/** One item on one object (a device, or the platform) as it stands. */
export interface DueEntry {
  readonly object: MaintenanceObject;
  /** null: the platform's own item. */
  readonly deviceId: string | null;
  readonly deviceKey: string | null;
  readonly unitId: string | null;
  readonly itemId: string;
  readonly period: MaintenancePeriod;
  readonly title: Bilingual;
  readonly lastDoneAt: string | null;
  readonly dueFrom: string;
  readonly nextDueAt: string;
  readonly status: MaintenanceStatus;
}

export interface DueList {
  readonly asOf: string;
  /** Entries of the requested status (all pages). */
  readonly total: number;
  /** Entries due / overdue in the caller's scope, whatever the status filter. */
  readonly due: number;
  readonly overdue: number;
  readonly limit: number;
  readonly offset: number;
  /** Overdue first, then due, then ok; each by due date. */
  readonly items: readonly DueEntry[];
}

export type MaintenanceCounts = Record<MaintenanceObject, { due: number; overdue: number }>;

export interface RecordView {
  readonly id: string;
  readonly itemId: string;
  readonly deviceId: string | null;
  readonly deviceKey: string | null;
  readonly unitId: string | null;
  readonly doneAt: string;
  readonly actor: { readonly id: string; readonly username: string | null };
  readonly note: string | null;
  readonly recordedAt: string;
}

interface Assessed {
  readonly item: MaintenanceItem;
  readonly device: MaintainedDevice | null;
  readonly lastDoneAt: Date | null;
  readonly assessment: MaintenanceAssessment;
}

const RANK: Readonly<Record<MaintenanceStatus, number>> = { overdue: 0, due: 1, ok: 2 };
const PLAN_ORDER: ReadonlyMap<string, number> = new Map(MAINTENANCE_PLAN.map((item, n) => [item.id, n]));

function compare(a: Assessed, b: Assessed): number {
  return (
    RANK[a.assessment.status] - RANK[b.assessment.status] ||
    a.assessment.nextDueAt.getTime() - b.assessment.nextDueAt.getTime() ||
    (a.device?.deviceKey ?? '').localeCompare(b.device?.deviceKey ?? '') ||
    (PLAN_ORDER.get(a.item.id) ?? 0) - (PLAN_ORDER.get(b.item.id) ?? 0)
  );
}

function utcOffset(minutes: number): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function entry(a: Assessed): DueEntry {
  return {
    object: a.item.object,
    deviceId: a.device?.id ?? null,
    deviceKey: a.device?.deviceKey ?? null,
    unitId: a.device?.unitId ?? null,
    itemId: a.item.id,
    period: a.item.period,
    title: a.item.title,
    lastDoneAt: a.lastDoneAt?.toISOString() ?? null,
    dueFrom: a.assessment.dueFrom.toISOString(),
    nextDueAt: a.assessment.nextDueAt.toISOString(),
    status: a.assessment.status,
  };
}

function recordView(r: MaintenanceRecord): RecordView {
  return {
    id: r.id,
    itemId: r.itemId,
    deviceId: r.deviceId,
    deviceKey: r.deviceKey,
    unitId: r.unitId,
    doneAt: r.doneAt.toISOString(),
    actor: { id: r.actor, username: r.actorUsername },
    note: r.note,
    recordedAt: r.recordedAt.toISOString(),
  };
}

/**
 * Maintenance per CQC/SC 11002 4.4.4 and Annex A: the plan, what is due or overdue on each device
 * and on the platform (scoped like every read: operators and auditors all units and the platform,
 * unit users their unit's devices), and the records of items done (operators: the monitoring
 * centre maintains). Due dates come from the last record per (object, item), or from the
 * object's creation (a device's `created_at`, the platform's first account) when never done.
 */
@Injectable()
export class MaintenanceService {
  private readonly logger = new Logger(MaintenanceService.name);
  /** The platform's start when no account exists yet (an empty database). */
  private readonly startedAt = new Date();

  constructor(private readonly records: MaintenanceRepository) {}

  plan(): PlanView {
    return {
      clause: '4.4.4',
      annex: 'A',
      utcOffset: utcOffset(PLAN_UTC_OFFSET_MINUTES),
      dueRule:
        'next due = one period after last done (never done: after the device was created / the platform started); ' +
        'due from the start of the due day or the last fifth of the period, whichever is earlier; overdue after the due instant',
      items: MAINTENANCE_PLAN,
    };
  }

  async due(who: Principal, query: DueQuery, now = new Date()): Promise<DueList> {
    const scope = unitScope(who);
    if (scope !== null && query.unitId !== undefined && query.unitId !== scope) {
      throw new MaintenanceError('forbidden', 'another unit’s devices');
    }
    const unitId = scope ?? query.unitId ?? null;
    const keep = query.offset + query.limit;
    let kept: Assessed[] = [];
    let total = 0;
    let due = 0;
    let overdue = 0;
    await this.scan(unitId, unitId === null, now, (a) => {
      if (a.assessment.status === 'due') due++;
      if (a.assessment.status === 'overdue') overdue++;
      if (query.status !== 'all' && a.assessment.status !== query.status) return;
      total++;
      kept.push(a);
      // Only the first offset + limit are needed: a fleet is walked without holding all of it.
      if (kept.length >= 2 * keep) kept = kept.sort(compare).slice(0, keep);
    });
    const page = kept.sort(compare).slice(query.offset, keep);
    return {
      asOf: now.toISOString(),
      total,
      due,
      overdue,
      limit: query.limit,
      offset: query.offset,
      items: page.map(entry),
    };
  }

  /** Due and overdue items per object over the whole fleet and the platform (the reporter's). */
  async counts(now = new Date()): Promise<MaintenanceCounts> {
    const counts = Object.fromEntries(MAINTENANCE_OBJECTS.map((o) => [o, { due: 0, overdue: 0 }])) as MaintenanceCounts;
    await this.scan(null, true, now, (a) => {
      if (a.assessment.status !== 'ok') counts[a.item.object][a.assessment.status]++;
    });
    return counts;
  }

  /** Records an item done (CQC/SC 11002 4.4.4); the record is never changed afterwards. */
  async record(who: Principal, body: RecordBody, now = new Date()): Promise<{ id: string }> {
    const item = maintenanceItem(body.itemId);
    if (item === undefined) {
      throw new MaintenanceError(
        'unknown-item',
        `itemId: no item ${JSON.stringify(body.itemId)} in the plan (GET /api/maintenance/plan)`,
      );
    }
    let target: MaintenanceTarget;
    let existsSince: Date;
    if (body.deviceId === undefined) {
      if (item.object !== 'platform') {
        throw new MaintenanceError('item-not-applicable', `deviceId: ${item.id} is done on a device; say which`);
      }
      target = { object: 'platform' };
      existsSince = await this.platformSince();
    } else {
      if (item.object === 'platform') {
        throw new MaintenanceError('item-not-applicable', `deviceId: ${item.id} is a platform item; send no deviceId`);
      }
      const device = await this.records.device(body.deviceId);
      if (device === null) throw new MaintenanceError('device-not-found', `no device ${body.deviceId}`);
      target = { object: device.kind, power: device.power };
      existsSince = device.createdAt;
    }
    const reason = whyMaintenanceNotApplicable(item, target);
    if (reason !== null) throw new MaintenanceError('item-not-applicable', `itemId: ${reason}`);

    const doneAt = body.doneAt === undefined ? now : new Date(body.doneAt);
    if (doneAt.getTime() > now.getTime() + FUTURE_SKEW_MS) {
      throw new MaintenanceError('invalid-done-at', `doneAt: ${doneAt.toISOString()} is in the future`);
    }
    if (doneAt.getTime() < existsSince.getTime()) {
      const what = target.object === 'platform' ? 'the platform started' : 'the device was registered';
      throw new MaintenanceError(
        'invalid-done-at',
        `doneAt: ${doneAt.toISOString()} is before ${what} (${existsSince.toISOString()})`,
      );
    }
    const id = await this.records.record({
      itemId: item.id,
      deviceId: body.deviceId ?? null,
      doneAt,
      actor: who.userId,
      note: body.note ?? null,
    });
    this.logger.log({
      msg: 'maintenance recorded',
      id,
      itemId: item.id,
      deviceId: body.deviceId ?? null,
      doneAt: doneAt.toISOString(),
      actor: who.userId,
    });
    return { id };
  }

  async list(who: Principal, query: RecordsQuery): Promise<RecordView[]> {
    const scope = unitScope(who);
    if (scope !== null && query.unitId !== undefined && query.unitId !== scope) {
      throw new MaintenanceError('forbidden', 'another unit’s records');
    }
    if (query.itemId !== undefined && maintenanceItem(query.itemId) === undefined) {
      throw new MaintenanceError('unknown-item', `itemId: no item ${JSON.stringify(query.itemId)} in the plan`);
    }
    if (query.deviceId !== undefined) {
      const device = await this.records.device(query.deviceId);
      // Another unit's device is "not found", so ids cannot be probed.
      if (device === null || (scope !== null && device.unitId !== scope)) {
        throw new MaintenanceError('device-not-found', `no device ${query.deviceId}`);
      }
    }
    const records = await this.records.list({
      deviceId: query.deviceId ?? null,
      unitId: scope ?? query.unitId ?? null,
      itemId: query.itemId ?? null,
      from: query.from === undefined ? null : new Date(query.from),
      to: query.to === undefined ? null : new Date(query.to),
      limit: query.limit,
      offset: query.offset,
    });
    return records.map(recordView);
  }

  private async platformSince(): Promise<Date> {
    return (await this.records.platformSince()) ?? this.startedAt;
  }

  /**
   * Every (object, item) in scope with its assessment at `now`: the platform's items (when
   * `includePlatform`), then the devices a page at a time, one last-done query per page.
   */
  private async scan(
    unitId: string | null,
    includePlatform: boolean,
    now: Date,
    visit: (assessed: Assessed) => void,
  ): Promise<void> {
    if (includePlatform) {
      const since = await this.platformSince();
      const items = maintenanceItemsFor({ object: 'platform' });
      const last = await this.records.lastDone(items.map((i) => ({ deviceId: null, itemId: i.id })));
      const byItem = new Map(last.map((l) => [l.itemId, l.doneAt]));
      for (const item of items) {
        const lastDoneAt = byItem.get(item.id) ?? null;
        visit({ item, device: null, lastDoneAt, assessment: assessMaintenance(item, lastDoneAt, since, now) });
      }
    }
    let afterId: string | null = null;
    for (;;) {
      const devices = await this.records.devices({ unitId, afterId, limit: DEVICE_PAGE });
      const plans = devices.map((device) => ({
        device,
        items: maintenanceItemsFor({ object: device.kind, power: device.power }),
      }));
      const last = await this.records.lastDone(
        plans.flatMap(({ device, items }) => items.map((i) => ({ deviceId: device.id, itemId: i.id }))),
      );
      const done = new Map(last.map((l) => [`${l.deviceId ?? ''}/${l.itemId}`, l.doneAt]));
      for (const { device, items } of plans) {
        for (const item of items) {
          const lastDoneAt = done.get(`${device.id}/${item.id}`) ?? null;
          visit({ item, device, lastDoneAt, assessment: assessMaintenance(item, lastDoneAt, device.createdAt, now) });
        }
      }
      const lastDevice = devices[devices.length - 1];
      if (devices.length < DEVICE_PAGE || lastDevice === undefined) return;
      afterId = lastDevice.id;
    }
  }
}
