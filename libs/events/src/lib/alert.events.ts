import { z } from 'zod';
import { decimalString, isoMicros } from './ingest.events';

/**
 * Messages of the alerting tier: the pipeline publishes raised alerts, the apps' API publishes
 * what people did with them. Consumers: the notifier (channels, escalation) and the pipeline
 * (a closed alarm lets the next occurrence raise a new alert).
 */
const uuid = z.uuid();

export const alertRaisedSchema = z.object({
  alertId: uuid,
  unitId: uuid,
  deviceId: uuid.nullable(),
  deviceKey: z.string().min(1).max(200),
  subject: z.string().min(1).max(200),
  kind: z.enum(['fire-alarm', 'fault', 'abnormal', 'communication-loss', 'restored']),
  /** The clause whose deadline applies (CQC/SC 11002 4.3.1, 4.3.2, 4.4.2). */
  clause: z.enum(['4.3.1', '4.3.2', '4.4.2']),
  item: z.enum(['a', 'b', 'c', 'd', 'e', 'f']).nullable(),
  ruleId: z.string().min(1).max(80),
  title: z.string().min(1).max(300),
  location: z.string().max(200).nullable(),
  /** When the gateway read the data (the deadline runs from here). */
  receivedAt: isoMicros,
  classifiedAt: isoMicros,
  deadlineMs: z.number().int().positive(),
  restores: uuid.nullable(),
  source: z.object({ table: z.string().min(1).max(40), rawId: decimalString }),
});
export type AlertRaised = z.infer<typeof alertRaisedSchema>;

/**
 * What people did with an alert. `confirmed` (the unit saw it) stops escalation; `closed` also
 * re-arms the alarm. `received`, `verified`, `notified` are the monitoring centre's handling steps
 * (CQC/SC 11002 5.4.1 e: the alarm handling register): recorded and shown, they change neither.
 */
export const ALERT_LIFECYCLE_TYPES = ['confirmed', 'closed', 'received', 'verified', 'notified'] as const;
export const alertLifecycleSchema = z.object({
  alertId: uuid,
  unitId: uuid.nullable(),
  type: z.enum(ALERT_LIFECYCLE_TYPES),
  at: isoMicros,
  actor: uuid,
  note: z.string().max(1000).nullable(),
});
export type AlertLifecycle = z.infer<typeof alertLifecycleSchema>;
export type AlertLifecycleType = AlertLifecycle['type'];

/**
 * Whether this lifecycle event ends the alert's escalation (CQC/SC 11002 4.3.3: the next contact is
 * called only while nobody has confirmed): a confirmation or a close. The monitoring centre's
 * handling steps do not: the unit still has to confirm.
 */
export function stopsEscalation(type: AlertLifecycleType): boolean {
  switch (type) {
    case 'confirmed':
    case 'closed':
      return true;
    case 'received':
    case 'verified':
    case 'notified':
      return false;
  }
}

/** Whether this lifecycle event ends the alarm, so its next occurrence raises a new alert: a close only. */
export function rearmsAlarm(type: AlertLifecycleType): boolean {
  switch (type) {
    case 'closed':
      return true;
    case 'confirmed':
    case 'received':
    case 'verified':
    case 'notified':
      return false;
  }
}

/**
 * A shield set or lifted (CQC/SC 11002 4.4.4), so every process that classifies or watches
 * devices applies it at once. `subject` null = the whole device.
 */
export const shieldChangedSchema = z.object({
  shieldId: uuid,
  event: z.enum(['shielded', 'lifted']),
  deviceId: uuid,
  deviceKey: z.string().min(1).max(200),
  subject: z.string().min(1).max(200).nullable(),
  at: isoMicros,
  expiresAt: isoMicros.nullable(),
});
export type ShieldChanged = z.infer<typeof shieldChangedSchema>;

/** A device provisioned or its profile changed: consumers re-read it from the registry. */
export const deviceChangedSchema = z.object({
  deviceId: uuid,
  deviceKey: z.string().min(1).max(200),
  at: isoMicros,
});
export type DeviceChanged = z.infer<typeof deviceChangedSchema>;

/**
 * An alert for the monitoring centre's operators (not a unit's): storage headroom under a year
 * (4.4.3), abnormal access (4.4.1), maintenance overdue (4.4.4). Pushed to operators' apps.
 */
export const operatorAlertSchema = z.object({
  id: uuid,
  kind: z.enum(['capacity', 'abnormal-access', 'maintenance-overdue']),
  clause: z.enum(['4.4.1', '4.4.3', '4.4.4']),
  title: z.string().min(1).max(300),
  detail: z.record(z.string(), z.unknown()),
  raisedAt: isoMicros,
});
export type OperatorAlert = z.infer<typeof operatorAlertSchema>;
