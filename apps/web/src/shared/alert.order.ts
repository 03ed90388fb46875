import type { AlertPush, AlertSummary, HandlingStage } from '../api/api.model';

const HANDLING_RANK: Record<HandlingStage, number> = { new: 0, received: 1, verified: 2, notified: 3, closed: 4 };

/**
 * The board's order: fire alarms first (CQC/SC 11002 4.3.1 before 4.3.2), then the least
 * handled, then the newest. Closed alarms sink to the bottom whatever their kind.
 */
export function boardOrder(a: AlertSummary, b: AlertSummary): number {
  const closed = Number(a.closedAt !== null) - Number(b.closedAt !== null);
  if (closed !== 0) return closed;
  const fire = Number(b.kind === 'fire-alarm') - Number(a.kind === 'fire-alarm');
  if (fire !== 0) return fire;
  const handling = HANDLING_RANK[a.handling] - HANDLING_RANK[b.handling];
  if (handling !== 0) return handling;
  return b.receivedAt.localeCompare(a.receivedAt);
}

/** The unit's order: unconfirmed fire alarms, then other unconfirmed, then the newest. */
export function unitOrder(a: AlertSummary, b: AlertSummary): number {
  const waiting = Number(needsConfirmation(b)) - Number(needsConfirmation(a));
  if (waiting !== 0) return waiting;
  const fire = Number(b.kind === 'fire-alarm') - Number(a.kind === 'fire-alarm');
  if (fire !== 0 && needsConfirmation(a)) return fire;
  return b.receivedAt.localeCompare(a.receivedAt);
}

/** Whether the unit still has to confirm it (4.2 c): not confirmed, not closed, not a restoration. */
export function needsConfirmation(alert: AlertSummary): boolean {
  return (
    alert.confirmedAt === null && alert.closedAt === null && alert.kind !== 'restored' && alert.suppressed === null
  );
}

/**
 * An alert as the socket pushed it, shown at once while the list is re-read (the push can
 * arrive before the alert's row is committed).
 */
export function summaryFromPush(push: AlertPush): AlertSummary {
  return {
    id: push.alertId,
    unitId: push.unitId,
    deviceId: null,
    deviceKey: push.deviceKey,
    subject: push.location ?? push.deviceKey,
    kind: push.kind,
    clause: push.clause,
    item: null,
    title: push.title,
    detail: push.location === null ? {} : { location: push.location },
    receivedAt: push.receivedAt,
    deadlineMs: 0,
    restores: null,
    suppressed: null,
    state: 'notified',
    handling: 'new',
    firstSentAt: push.sentAt,
    firstSentElapsedMs: Date.parse(push.sentAt) - Date.parse(push.receivedAt),
    deadlineMet: null,
    confirmedAt: null,
    closedAt: null,
    repeats: 0,
  };
}

/** The same summary object for the same push, so a memoised row does not re-render. */
const fromPush = new WeakMap<AlertPush, AlertSummary>();
function pushedSummary(push: AlertPush): AlertSummary {
  let summary = fromPush.get(push);
  if (summary === undefined) {
    summary = summaryFromPush(push);
    fromPush.set(push, summary);
  }
  return summary;
}

/**
 * Two fetched lists as one, each alert once: every open alert (`open=true`, however old) and the
 * latest of all (closed ones included). An alert in both is taken from `latest`.
 */
export function combineFetched(
  open: readonly AlertSummary[] | undefined,
  latest: readonly AlertSummary[] | undefined,
): AlertSummary[] {
  const byId = new Map<string, AlertSummary>();
  for (const a of open ?? []) byId.set(a.id, a);
  for (const a of latest ?? []) byId.set(a.id, a);
  return [...byId.values()];
}

/** The fetched list with pushed alerts it does not have yet, in `order`. */
export function mergeAlerts(
  fetched: readonly AlertSummary[],
  pushed: readonly AlertPush[],
  order: (a: AlertSummary, b: AlertSummary) => number,
): AlertSummary[] {
  const known = new Set(fetched.map((a) => a.id));
  const extra = pushed.filter((p) => !known.has(p.alertId)).map(pushedSummary);
  return [...fetched, ...extra].sort(order);
}
