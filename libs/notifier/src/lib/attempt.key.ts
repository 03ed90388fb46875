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

/**
 * The provider's idempotency key of one message: the same for every attempt at sending this
 * alert to this recipient on this channel (retries, resumes after a crash), so the provider
 * creates it at most once however often an attempt's outcome was unknown.
 */
export function messageKey(alertId: string, channel: ChannelName, recipient: string): string {
  return createHash('sha256').update(`message|${alertId}|${channel}|${recipient}`).digest('base64url').slice(0, 32);
}
