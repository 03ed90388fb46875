import type { AlertPush, AlertSummary } from '../api/api.model';
import { boardOrder, combineFetched, mergeAlerts, needsConfirmation, summaryFromPush, unitOrder } from './alert.order';

const push = (id: string, kind: AlertPush['kind'], receivedAt: string): AlertPush => ({
  alertId: id,
  unitId: 'u1',
  deviceKey: `uitd:${id}`,
  kind,
  clause: kind === 'fire-alarm' ? '4.3.1' : '4.3.2',
  title: id,
  location: null,
  receivedAt,
  sentAt: receivedAt,
});
const alert = (
  id: string,
  kind: AlertPush['kind'],
  minute: number,
  patch: Partial<AlertSummary> = {},
): AlertSummary => ({
  ...summaryFromPush(push(id, kind, `2026-11-22T10:${String(minute).padStart(2, '0')}:00.000Z`)),
  ...patch,
});

describe('boardOrder', () => {
  it('puts open fire alarms first, then the least handled, then the newest; closed last', () => {
    const list = [
      alert('fault-new', 'fault', 5),
      alert('fire-old-received', 'fire-alarm', 1, { handling: 'received' }),
      alert('fire-closed', 'fire-alarm', 9, { handling: 'closed', closedAt: '2026-11-22T10:10:00Z' }),
      alert('fire-new', 'fire-alarm', 2),
      alert('loss-newer', 'communication-loss', 6),
    ];
    expect(list.sort(boardOrder).map((a) => a.id)).toEqual([
      'fire-new',
      'fire-old-received',
      'loss-newer',
      'fault-new',
      'fire-closed',
    ]);
  });
});

describe('unitOrder and needsConfirmation', () => {
  it('puts what the unit still has to confirm on top, fire alarms first', () => {
    const list = [
      alert('confirmed', 'fire-alarm', 9, { confirmedAt: '2026-11-22T10:09:30Z' }),
      alert('fault', 'fault', 8),
      alert('fire', 'fire-alarm', 1),
      alert('restored', 'restored', 7),
    ];
    expect(list.sort(unitOrder).map((a) => a.id)).toEqual(['fire', 'fault', 'confirmed', 'restored']);
    expect(needsConfirmation(alert('restored', 'restored', 1))).toBe(false);
    expect(needsConfirmation(alert('shielded', 'fault', 1, { suppressed: 'shielded' }))).toBe(false);
  });
});

describe('mergeAlerts', () => {
  it('shows a pushed alert until the list has it, then only the listed one', () => {
    const pushed = [push('a', 'fire-alarm', '2026-11-22T10:00:00.000Z')];
    expect(mergeAlerts([], pushed, boardOrder).map((a) => [a.id, a.handling])).toEqual([['a', 'new']]);
    const listed = alert('a', 'fire-alarm', 0, { handling: 'received' });
    expect(mergeAlerts([listed], pushed, boardOrder)).toEqual([listed]);
  });
});

describe('combineFetched', () => {
  it('keeps an old open alert the latest list no longer holds, and each alert once, as the latest list has it', () => {
    const old = alert('old', 'fire-alarm', 0);
    const stale = alert('b', 'fault', 1);
    const fresh = alert('b', 'fault', 1, { handling: 'received' });
    const closed = alert('c', 'fault', 2, { closedAt: '2026-11-22T10:00:00.000Z' });
    expect(combineFetched([old, stale], [fresh, closed])).toEqual([old, fresh, closed]);
    expect(combineFetched(undefined, [closed])).toEqual([closed]);
    expect(combineFetched([old], undefined)).toEqual([old]);
  });
});
