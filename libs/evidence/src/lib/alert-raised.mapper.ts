import { AlertRaised } from '@fireiot/events';
import { AlertRow } from './evidence.model';

/**
 * The bus message of a stored alert (`fireiot.alerts.*.v1`): the pipeline publishes it, the
 * notifier rebuilds it on resume and for apps catching up. Null for an alert that is not sent
 * (no unit, or suppressed).
 */
export function alertFromRow(row: AlertRow): AlertRaised | null {
  if (row.unitId === null || row.suppressed !== null) return null;
  return {
    alertId: row.id,
    unitId: row.unitId,
    deviceId: row.deviceId,
    deviceKey: row.deviceKey,
    subject: row.subject,
    kind: row.kind,
    clause: row.clause,
    item: row.item as AlertRaised['item'],
    ruleId: row.ruleId,
    title: row.title,
    location: typeof row.detail['location'] === 'string' ? row.detail['location'] : null,
    receivedAt: row.receivedAt,
    classifiedAt: row.classifiedAt,
    deadlineMs: row.deadlineMs,
    restores: row.restores,
    source: { table: row.sourceTable, rawId: row.sourceId },
  };
}
