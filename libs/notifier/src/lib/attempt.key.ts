import { createHash } from 'node:crypto';
import { ChannelName } from './channel.port';

/**
 * The idempotency key of one channel attempt: derived, never stored first, so the same attempt
 * after a crash carries the same key and the provider (or our own record) recognises it.
 */
export function attemptKey(alertId: string, channel: ChannelName, recipient: string, attemptNo: number): string {
  return createHash('sha256')
    .update(`${alertId}|${channel}|${recipient}|${attemptNo}`)
    .digest('base64url')
    .slice(0, 32);
}
