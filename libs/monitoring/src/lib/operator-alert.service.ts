import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { microsToIso, OperatorAlert, ReceiveClock } from '@fireiot/events';
import { deterministicUuid } from '@fireiot/secrets';
import { OperatorAlertRepository } from '@fireiot/storage';
import { counterMetric } from './metrics.registry';

export interface OperatorAlertInput {
  readonly kind: OperatorAlert['kind'];
  readonly clause: OperatorAlert['clause'];
  readonly title: string;
  readonly detail: Readonly<Record<string, unknown>>;
  /**
   * Makes the id deterministic: raising twice with the same key (two processes sampling one
   * database, a retry) writes and publishes one alert. Random id when absent.
   */
  readonly dedupeKey?: string;
}

const raisedTotal = () =>
  counterMetric(
    'fireiot_operator_alerts_total',
    'Alerts raised for the monitoring centre operators, by kind (CQC/SC 11002 4.4.1 abnormal access, 4.4.3 storage headroom, 4.4.4 maintenance)',
    ['kind'],
  );

/**
 * Alerts for the monitoring centre's operators (not a unit's): appended to `operator_alerts`
 * (the record), then published on `fireiot.operator-alerts.v1`, which the notifier pushes to
 * every connected operator app (socket.io `/alerts`, event `operator-alert`).
 */
@Injectable()
export class OperatorAlertService {
  private readonly logger = new Logger(OperatorAlertService.name);
  private readonly clock = new ReceiveClock();
  private readonly raised = raisedTotal();

  constructor(
    private readonly repository: OperatorAlertRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  /** The alert as stored and published; null when its dedupe key was raised already. */
  async raise(input: OperatorAlertInput): Promise<OperatorAlert | null> {
    const alert: OperatorAlert = {
      id: input.dedupeKey === undefined ? randomUUID() : deterministicUuid('operator-alert', input.dedupeKey),
      kind: input.kind,
      clause: input.clause,
      title: input.title.length > 300 ? `${input.title.slice(0, 299)}…` : input.title,
      detail: { ...input.detail },
      raisedAt: microsToIso(this.clock.now().wallUs),
    };
    if (!(await this.repository.insert(alert))) return null;
    this.raised.inc({ kind: alert.kind });
    this.logger.warn({
      msg: 'operator alert',
      id: alert.id,
      kind: alert.kind,
      clause: alert.clause,
      title: alert.title,
    });
    try {
      await this.bus.publish('fireiot.operator-alerts.v1', alert.kind, alert);
    } catch (error) {
      // Recorded all the same: GET /api/operator-alerts lists it.
      this.logger.error({ msg: 'operator alert not published', id: alert.id, error: String(error) });
    }
    return alert;
  }
}
