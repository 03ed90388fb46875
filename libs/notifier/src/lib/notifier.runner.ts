import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { AlertRaised, stopsEscalation } from '@fireiot/events';
import { AlertRepository, alertFromRow } from '@fireiot/evidence';
import { DispatchService } from './dispatch.service';

/**
 * Runs the notifier: consumes raised alerts (fire alarms on their priority topic) and the
 * lifecycle of alerts (a confirmation or a close stops escalation). At start it resumes what a
 * previous run left unfinished: every unconfirmed alert of the last `resumeWindowMs` is
 * dispatched again against its recorded attempts, so nothing is lost and nothing accepted is
 * sent twice.
 */
@Injectable()
export class NotifierRunner {
  private readonly logger = new Logger(NotifierRunner.name);

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly dispatch: DispatchService,
    private readonly alerts: AlertRepository,
  ) {}

  async start(resumeWindowMs = 24 * 3600_000): Promise<{ resumed: number }> {
    const d = this.dispatch;
    // Handlers return at once: a slow provider must not hold the next alert back.
    const onAlert = async (m: AlertRaised): Promise<void> => void d.handle(m);
    await this.bus.subscribe('fireiot.alerts.fire.v1', 'notifier', onAlert);
    await this.bus.subscribe('fireiot.alerts.v1', 'notifier', onAlert);
    // A confirmation or a close ends escalation (4.3.3); the centre's handling steps (received,
    // verified, notified: 5.4.1 e) do not, the unit still has to confirm.
    await this.bus.subscribe('fireiot.alerts.lifecycle.v1', 'notifier', async (m) => {
      if (stopsEscalation(m.type)) d.settle(m.alertId);
    });
    const resumed = await this.resume(new Date(Date.now() - resumeWindowMs).toISOString());
    this.logger.log({ msg: 'notifier ready', resumed });
    return { resumed };
  }

  async stop(): Promise<void> {
    await this.dispatch.stop();
    await this.alerts.flush();
  }

  private async resume(since: string): Promise<number> {
    const rows = await this.alerts.unfinished(since);
    const known = await this.alerts.attemptStatuses(rows.map((r) => r.id));
    for (const row of rows) {
      const alert = alertFromRow(row);
      if (alert === null) continue;
      void this.dispatch.handle(alert, known);
    }
    return rows.length;
  }
}
