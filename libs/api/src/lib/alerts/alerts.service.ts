import { Inject, Injectable, Logger } from '@nestjs/common';
import { isAlertKind } from '@fireiot/alerting';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { AlertLifecycleType, describeZodIssues, microsToIso, ReceiveClock } from '@fireiot/events';
import { AlertDetail, AlertRepository, AlertSummary } from '@fireiot/evidence';
import { Principal } from '@fireiot/identity';
import { z } from 'zod';
import { AlertsError } from './alerts.error';

const isoTime = z.iso.datetime({ offset: true });
export const alertQuerySchema = z.strictObject({
  unitId: z.uuid().optional(),
  kind: z.string().refine(isAlertKind, 'one of fire-alarm, fault, abnormal, communication-loss, restored').optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  /** true: every open alert, however old (the board); false: closed, restored or suppressed only. */
  open: z
    .enum(['true', 'false'], 'true or false')
    .transform((v) => v === 'true')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const confirmSchema = z.strictObject({ note: z.string().max(1000).optional() });
export const closeSchema = z.strictObject({
  /** What was done (5.4.1 e: the handling register). */
  note: z.string().trim().min(1, 'say what was done').max(1000),
});
/**
 * `POST /api/alerts/:id/steps` (5.4.1 e): a step of the monitoring centre's handling. `received`
 * (taken in hand) may say nothing; `verified` says what checking found, `notified` whom was told.
 */
export const stepSchema = z.discriminatedUnion('step', [
  z.strictObject({
    step: z.literal('received'),
    note: z
      .string()
      .trim()
      .max(1000)
      .transform((n) => (n === '' ? undefined : n))
      .optional(),
  }),
  z.strictObject({
    step: z.literal('verified'),
    note: z.string().trim().min(1, 'say how the alarm was verified and what was found').max(1000),
  }),
  z.strictObject({
    step: z.literal('notified'),
    note: z.string().trim().min(1, 'say who was notified (the unit, the fire brigade …)').max(1000),
  }),
]);
export type StepBody = z.infer<typeof stepSchema>;

/**
 * The unit apps' view of alerts (CQC/SC 11002 4.2 b–d) and the handling register (5.4.1 e):
 * list and read, scoped by role and unit; confirm (unit users of that unit, operators); the
 * centre's handling steps (operators: received, verified, notified); close with what was done.
 * Every action is an appended event, published for the notifier (a confirmation or close stops
 * escalation), the pipeline (a closed alarm re-arms) and the consoles and apps (live updates).
 */
@Injectable()
export class AlertsService {
  private readonly logger = new Logger(AlertsService.name);
  private readonly clock = new ReceiveClock();

  constructor(
    private readonly alerts: AlertRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  async list(who: Principal, query: unknown): Promise<AlertSummary[]> {
    const q = parse(alertQuerySchema, query);
    let unitIds: string[] | null = q.unitId === undefined ? null : [q.unitId];
    if (who.role === 'unit') {
      if (q.unitId !== undefined && q.unitId !== who.unitId)
        throw new AlertsError('forbidden', 'another unit’s alerts');
      unitIds = [who.unitId ?? ''];
    }
    return this.alerts.list({
      unitIds,
      kind: q.kind ?? null,
      from: q.from ?? null,
      to: q.to ?? null,
      open: q.open ?? null,
      limit: q.limit,
    });
  }

  async get(who: Principal, id: string): Promise<AlertDetail> {
    if (!z.uuid().safeParse(id).success) throw new AlertsError('invalid-request', 'id: not a UUID');
    const alert = await this.alerts.find(id);
    // Another unit's alert is "not found", so ids cannot be probed.
    if (alert === null || (who.role === 'unit' && alert.unitId !== who.unitId)) {
      throw new AlertsError('not-found', `no alert ${id}`);
    }
    return alert;
  }

  async confirm(who: Principal, id: string, body: unknown): Promise<AlertDetail> {
    const { note } = parse(confirmSchema, body ?? {});
    const alert = await this.actionable(who, id);
    if (alert.confirmedAt !== null) throw new AlertsError('already-confirmed', `confirmed at ${alert.confirmedAt}`);
    await this.append(who, alert, 'confirmed', note ?? null);
    return this.get(who, id);
  }

  async close(who: Principal, id: string, body: unknown): Promise<AlertDetail> {
    const { note } = parse(closeSchema, body);
    const alert = await this.actionable(who, id);
    if (alert.closedAt !== null) throw new AlertsError('already-closed', `closed at ${alert.closedAt}`);
    await this.append(who, alert, 'closed', note);
    return this.get(who, id);
  }

  /**
   * Records a handling step (operators only: the route's `@Roles`). Nothing after a close;
   * `received` once (the register's row, unique in the table against a simultaneous second one).
   */
  async step(who: Principal, id: string, body: unknown): Promise<AlertDetail> {
    const { step, note } = parse(stepSchema, body ?? {});
    const alert = await this.actionable(who, id);
    if (alert.closedAt !== null) throw new AlertsError('already-closed', `closed at ${alert.closedAt}`);
    const taken = alert.events.find((e) => e.type === 'received');
    if (step === 'received' && taken !== undefined) {
      throw new AlertsError('step-already-recorded', `received at ${taken.at} by ${taken.actorName ?? taken.actor}`);
    }
    const at = microsToIso(this.clock.now().wallUs);
    const stored = await this.alerts.appendStep({
      alertId: alert.id,
      type: step,
      at,
      actor: who.userId,
      note: note ?? null,
    });
    if (!stored) throw new AlertsError('step-already-recorded', `alert ${alert.id} was received already`);
    await this.publish(who, alert, step, at, note ?? null);
    this.logger.log({ msg: 'alert handling step', alertId: alert.id, step, actor: who.userId });
    return this.get(who, id);
  }

  private async actionable(who: Principal, id: string): Promise<AlertDetail> {
    if (who.role === 'auditor') throw new AlertsError('forbidden', 'auditors have read-only access');
    return this.get(who, id);
  }

  private async append(who: Principal, alert: AlertDetail, type: 'confirmed' | 'closed', note: string | null) {
    const at = microsToIso(this.clock.now().wallUs);
    await this.alerts.addEvent({ alertId: alert.id, type, at, actor: who.userId, note, sourceId: null, detail: {} });
    await this.publish(who, alert, type, at, note);
  }

  /** To the notifier (escalation), the pipeline (re-arming) and every console and app (`alert-updated`). */
  private async publish(who: Principal, alert: AlertDetail, type: AlertLifecycleType, at: string, note: string | null) {
    await this.bus.publish('fireiot.alerts.lifecycle.v1', alert.deviceKey, {
      alertId: alert.id,
      unitId: alert.unitId,
      type,
      at,
      actor: who.userId,
      note,
    });
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new AlertsError('invalid-request', describeZodIssues(result.error));
  return result.data;
}
