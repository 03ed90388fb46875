import { deterministicUuid } from '@fireiot/secrets';
import { AlertKind, Clause, clauseOf, DEADLINE_MS } from './alert-kind';
import { AlertRule } from './alert-rule';
import { Evaluation } from './alert.classifier';
import { Observation } from './observation';

/** An alert as the pipeline raises it (a row of `alerts`, before suppression is decided). */
export interface NewAlert {
  readonly id: string;
  readonly deviceKey: string;
  readonly deviceId: string | null;
  readonly subject: string;
  readonly kind: AlertKind;
  readonly clause: Clause;
  readonly item: string | null;
  readonly ruleId: string;
  readonly title: string;
  readonly location: string | null;
  readonly value: number | string | null;
  readonly source: { readonly table: string; readonly rawId: string };
  readonly receivedAt: string;
  readonly deadlineMs: number;
  /** For `restored`: the alert whose condition cleared. */
  readonly restores: string | null;
}

/** An alarm still open: raised, not yet restored or closed. */
export interface OpenAlarm {
  readonly alertId: string;
  readonly deviceKey: string;
  readonly subject: string;
  readonly ruleId: string;
  readonly title: string;
}

export type Decision =
  | { readonly type: 'raise'; readonly alert: NewAlert }
  | { readonly type: 'repeat'; readonly alertId: string }
  | { readonly type: 'restore'; readonly alert: NewAlert }
  | { readonly type: 'none' };

/**
 * The open alarms and their lifecycle: a condition that becomes active raises an alert; while
 * it stays active, repeats update that alert instead of alerting again; when it clears, a
 * `restored` alert closes it. Alarms are keyed by device, subject and rule, so a fire alarm is
 * never taken for a repeat of an open fault (CQC/SC 11002 4.3.1 over 4.3.2).
 */
export class AlarmBook {
  private readonly open = new Map<string, OpenAlarm>();
  private readonly keyOf = new Map<string, string>();

  constructor(alarms: Iterable<OpenAlarm> = []) {
    for (const alarm of alarms) this.add(alarm);
  }

  get size(): number {
    return this.open.size;
  }

  isOpen(alertId: string): boolean {
    return this.keyOf.has(alertId);
  }

  decide(observation: Observation, evaluation: Evaluation): Decision {
    const { rule } = evaluation;
    const key = alarmKey(observation.deviceKey, observation.subject, rule.id);
    const current = this.open.get(key);
    if (evaluation.active) {
      if (current) return { type: 'repeat', alertId: current.alertId };
      const alert = buildAlert(observation, rule, evaluation, rule.kind, null);
      this.add({
        alertId: alert.id,
        deviceKey: alert.deviceKey,
        subject: alert.subject,
        ruleId: rule.id,
        title: alert.title,
      });
      return { type: 'raise', alert };
    }
    if (!current) return { type: 'none' };
    this.remove(current.alertId);
    return { type: 'restore', alert: buildAlert(observation, rule, evaluation, 'restored', current) };
  }

  /** A person closed the alarm: the next occurrence raises a new alert. */
  close(alertId: string): void {
    this.remove(alertId);
  }

  private add(alarm: OpenAlarm): void {
    const key = alarmKey(alarm.deviceKey, alarm.subject, alarm.ruleId);
    this.open.set(key, alarm);
    this.keyOf.set(alarm.alertId, key);
  }

  private remove(alertId: string): void {
    const key = this.keyOf.get(alertId);
    if (key === undefined) return;
    this.keyOf.delete(alertId);
    this.open.delete(key);
  }
}

function alarmKey(deviceKey: string, subject: string, ruleId: string): string {
  return `${deviceKey}\u001f${subject}\u001f${ruleId}`;
}

function buildAlert(
  observation: Observation,
  rule: AlertRule,
  evaluation: Evaluation,
  kind: AlertKind,
  restores: OpenAlarm | null,
): NewAlert {
  const { source } = observation;
  const clause = clauseOf(kind);
  const base = `${rule.title.zh} ${rule.title.en}`;
  return {
    id: deterministicUuid(source.table, source.rawId, String(source.index), rule.id, kind),
    deviceKey: observation.deviceKey,
    deviceId: observation.deviceId,
    subject: observation.subject,
    kind,
    clause,
    item: rule.item,
    ruleId: rule.id,
    title: restores === null ? base : `恢复 Restored: ${restores.title}`,
    location: observation.location,
    value: evaluation.value,
    source: { table: source.table, rawId: source.rawId },
    receivedAt: observation.receivedAt,
    deadlineMs: DEADLINE_MS[clause],
    restores: restores?.alertId ?? null,
  };
}
