import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { AlertsGateway } from './alerts.gateway';

/**
 * Operators' alerts (CQC/SC 11002 4.4.1 abnormal access, 4.4.3 storage headroom, 4.4.4) to every
 * operator app connected to this process: socket.io `/alerts`, event `operator-alert`, payload
 * the `fireiot.operator-alerts.v1` message. One consumer group per process, so each alerting
 * process pushes every alert to its own sockets.
 */
@Injectable()
export class OperatorAlertRelay implements OnApplicationBootstrap {
  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(FIREIOT_CONFIG) private readonly config: FireiotConfig,
    private readonly gateway: AlertsGateway,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.bus.subscribe(
      'fireiot.operator-alerts.v1',
      `notifier-operators-${this.config.gatewayId}`,
      async (m) => {
        this.gateway.emitToOperators('operator-alert', m);
      },
    );
  }
}
