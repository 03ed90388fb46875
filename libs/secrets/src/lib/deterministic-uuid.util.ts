import { createHash } from 'node:crypto';

/**
 * A UUID (version 8, RFC 9562 "custom") derived from the parts given: the same source always
 * gives the same id, so a replay after a crash finds the alert it already raised, and two
 * processes raising the same operator alert write one.
 */
export function deterministicUuid(...parts: readonly string[]): string {
  const h = createHash('sha256').update(parts.join('\u001f')).digest();
  h.writeUInt8((h.readUInt8(6) & 0x0f) | 0x80, 6); // version 8
  h.writeUInt8((h.readUInt8(8) & 0x3f) | 0x80, 8); // variant 10
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
