import { AlertRaised } from '@fireiot/events';
import { AlertNotice } from './channel.port';

/** What a channel tells a person about a raised alert. */
export function toNotice(alert: AlertRaised): AlertNotice {
  return {
    alertId: alert.alertId,
    unitId: alert.unitId,
    deviceId: alert.deviceId,
    deviceKey: alert.deviceKey,
    kind: alert.kind,
    clause: alert.clause,
    item: alert.item,
    title: alert.title,
    location: alert.location,
    receivedAt: alert.receivedAt,
    restores: alert.restores,
  };
}
