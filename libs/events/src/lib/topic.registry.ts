import { z } from 'zod';
import {
  alertLifecycleSchema,
  alertRaisedSchema,
  deviceChangedSchema,
  operatorAlertSchema,
  shieldChangedSchema,
} from './alert.events';
import { devicePresenceSchema, frameReceivedSchema, sensorEventSchema } from './ingest.events';

/**
 * Every bus topic, its message schema and its lane. Topic names are versioned (`…v1`); a
 * breaking change of a schema gets a new topic. Messages are keyed by device key, so one
 * device's messages stay in order.
 *
 * Lanes: `priority` topics are consumed apart from `bulk` ones (their own Kafka topics and
 * consumers, their own in-process queues drained first), so a fire alarm never waits behind
 * telemetry (CQC/SC 11002 4.3.1: fire alarm to the unit within 3 s).
 */
export const TOPICS = {
  'fireiot.ingest.fire-alarms.v1': { schema: frameReceivedSchema, lane: 'priority' },
  'fireiot.ingest.frames.v1': { schema: frameReceivedSchema, lane: 'bulk' },
  'fireiot.ingest.sensor-events.v1': { schema: sensorEventSchema, lane: 'bulk' },
  'fireiot.ingest.sensor-fire-alarms.v1': { schema: sensorEventSchema, lane: 'priority' },
  'fireiot.device.presence.v1': { schema: devicePresenceSchema, lane: 'bulk' },
  // Alerts raised by the pipeline: fire alarms on their own priority topic (4.3.1), the rest apart
  // from ingestion's telemetry topics so a telemetry backlog never delays them.
  'fireiot.alerts.fire.v1': { schema: alertRaisedSchema, lane: 'priority' },
  'fireiot.alerts.v1': { schema: alertRaisedSchema, lane: 'bulk' },
  'fireiot.alerts.lifecycle.v1': { schema: alertLifecycleSchema, lane: 'bulk' },
  // Watchdog and self-monitoring (4.4): shields, device registry changes, operators' alerts.
  'fireiot.shields.v1': { schema: shieldChangedSchema, lane: 'bulk' },
  'fireiot.devices.changed.v1': { schema: deviceChangedSchema, lane: 'bulk' },
  'fireiot.operator-alerts.v1': { schema: operatorAlertSchema, lane: 'bulk' },
} as const satisfies Record<string, { schema: z.ZodType; lane: 'priority' | 'bulk' }>;

export type TopicName = keyof typeof TOPICS;
export type TopicMessage<T extends TopicName> = z.infer<(typeof TOPICS)[T]['schema']>;
export type Lane = (typeof TOPICS)[TopicName]['lane'];

export const TOPIC_NAMES = Object.keys(TOPICS) as TopicName[];

export function isTopicName(name: string): name is TopicName {
  return Object.prototype.hasOwnProperty.call(TOPICS, name);
}

/** Validates a message of a topic; returns the parsed message or the reasons it is invalid. */
export function parseTopicMessage<T extends TopicName>(
  topic: T,
  message: unknown,
): { ok: true; message: TopicMessage<T> } | { ok: false; reason: string } {
  const result = TOPICS[topic].schema.safeParse(message);
  if (result.success) return { ok: true, message: result.data as TopicMessage<T> };
  return { ok: false, reason: describeZodIssues(result.error) };
}

/** A schema failure as one line for logs and quarantine reasons: the first five issues, by path. */
export function describeZodIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
