import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { AlertLifecycle } from '@fireiot/events';
import { AlertsGateway } from './alerts.gateway';

/** The `alert-updated` event of the `/alerts` namespace: the `fireiot.alerts.lifecycle.v1` message. */
export type AlertUpdatedPayload = Pick<AlertLifecycle, 'alertId' | 'unitId' | 'type' | 'at' | 'actor' | 'note'>;

export const ALERT_UPDATED_EVENT = 'alert-updated';

/**
 * Live updates of the alarm handling register (CQC/SC 11002 4.2 c, 5.4.1 e): whenever someone
 * confirms, closes or records a handling step of an alert, every operator's console and the apps
 * of that alert's unit get `alert-updated` `{ alertId, unitId, type, at, actor, note }` and
 * refresh it. Like the operators' alerts, one consumer group per process, so every process
 * holding sockets sees every message.
 */
@Injectable()
export class AlertUpdateRelay implements OnApplicationBootstrap {
  private readonly logger = new Logger(AlertUpdateRelay.name);

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(FIREIOT_CONFIG) private readonly config: FireiotConfig,
    private readonly gateway: AlertsGateway,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.bus.subscribe(
      'fireiot.alerts.lifecycle.v1',
      `notifier-alert-updates-${this.config.gatewayId}`,
      async (m) => {
        const payload: AlertUpdatedPayload = {
          alertId: m.alertId,
          unitId: m.unitId,
          type: m.type,
          at: m.at,
          actor: m.actor,
          note: m.note,
        };
        const sockets = this.gateway.emitToUnit(m.unitId, ALERT_UPDATED_EVENT, payload);
        this.logger.debug({ msg: 'alert update relayed', alertId: m.alertId, type: m.type, sockets });
      },
    );
  }
}
