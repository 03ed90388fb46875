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

export const alertLifecycleSchema = z.object({
  alertId: uuid,
  unitId: uuid.nullable(),
  type: z.enum(['confirmed', 'closed']),
  at: isoMicros,
  actor: uuid,
  note: z.string().max(1000).nullable(),
});
export type AlertLifecycle = z.infer<typeof alertLifecycleSchema>;
