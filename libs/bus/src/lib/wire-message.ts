import { parseTopicMessage, TopicMessage, TopicName } from '@fireiot/events';

/**
 * A message as it comes off a bus (JSON bytes), checked on the way in: JSON at all, then the
 * topic's schema. Both adapters validate consumed messages with it.
 */
export function parseWireMessage<T extends TopicName>(
  topic: T,
  value: string | Buffer | null,
): { ok: true; message: TopicMessage<T> } | { ok: false; reason: string } {
  if (value === null) return { ok: false, reason: 'empty message value' };
  let decoded: unknown;
  try {
    decoded = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  return parseTopicMessage(topic, decoded);
}
