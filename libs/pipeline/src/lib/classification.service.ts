import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AlarmBook,
  classify,
  DEFAULT_RULES,
  effectiveRules,
  NewAlert,
  Observation,
  ShieldRegistry,
} from '@fireiot/alerting';
import { deterministicUuid } from '@fireiot/secrets';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { AlertLifecycle, FrameReceived, microsToIso, rearmsAlarm, ReceiveClock, SensorEvent } from '@fireiot/events';
import { AlertRepository, alertFromRow, AlertRow, Suppression, UnitDirectory } from '@fireiot/evidence';
import { observationsOfFrame, observationsOfSensor } from './observation.mapper';
import { ProcessingWatermark } from './processing.watermark';

export interface ClassificationStats {
  observations: number;
  raised: number;
  repeated: number;
  restored: number;
  suppressed: number;
  malformedObjects: number;
  replayedSkipped: number;
  failedWrites: number;
  /** Messages whose classification failed (the watermark stays before them: replayed at restart). */
  failedMessages: number;
}

/** Replay context: ids of alerts already stored for the replayed window. */
export interface ReplayContext {
  readonly storedAlertIds: ReadonlySet<string>;
}

/**
 * The pipeline's use case (CQC/SC 11002 4.3.1, 4.3.2): observations → rules → alarm book →
 * alerts. An alert is published to the notifier first and stored right after (group commit, off
 * the hot path); the processing watermark only passes a message once its writes are committed,
 * so a crash in between is covered by the replay of raw rows at the next start.
 */
@Injectable()
export class ClassificationService {
  private readonly logger = new Logger(ClassificationService.name);
  private book = new AlarmBook();
  private readonly clock = new ReceiveClock();
  readonly watermark = new ProcessingWatermark();
  readonly counters: ClassificationStats = {
    observations: 0,
    raised: 0,
    repeated: 0,
    restored: 0,
    suppressed: 0,
    malformedObjects: 0,
    replayedSkipped: 0,
    failedWrites: 0,
    failedMessages: 0,
  };

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly alerts: AlertRepository,
    private readonly directory: UnitDirectory,
    private readonly shields: ShieldRegistry,
  ) {}

  /**
   * Rebuilds the open alarms from storage (at start, before any message is handled), as they
   * stood at `asOf` when raw rows after it are going to be replayed.
   */
  async loadOpenAlarms(asOf: string | null = null): Promise<number> {
    this.book = new AlarmBook(await this.alerts.openAlarms(asOf));
    return this.book.size;
  }

  async onFrame(message: FrameReceived, replay: ReplayContext | null = null, table = 'raw_frames'): Promise<void> {
    const { observations, malformed } = observationsOfFrame(message, table);
    if (malformed > 0) {
      this.counters.malformedObjects += malformed;
      this.logger.warn({ msg: 'objects without their fields skipped', deviceKey: message.deviceKey, malformed });
    }
    await this.process(message.receivedAt, observations, replay);
  }

  async onSensor(message: SensorEvent, replay: ReplayContext | null = null): Promise<void> {
    await this.process(message.receivedAt, observationsOfSensor(message), replay);
  }

  /** A person closed an alarm: its next occurrence raises a new alert. */
  onLifecycle(message: Pick<AlertLifecycle, 'alertId' | 'type'>): void {
    // Only a close ends the alarm; confirmations and handling steps (5.4.1 e) leave it open.
    if (rearmsAlarm(message.type)) this.book.close(message.alertId);
  }

  private async process(
    receivedAt: string,
    observations: readonly Observation[],
    replay: ReplayContext | null,
  ): Promise<void> {
    const first = observations[0];
    if (first === undefined) return;
    const mark = this.watermark.begin(receivedAt, this.clock.now().wallUs);
    const writes: Promise<void>[] = [];
    let classified = false;
    try {
      const device = await this.directory.device(first.deviceKey);
      const unit = device?.unitId ? await this.directory.unit(device.unitId) : null;
      const rules = effectiveRules(DEFAULT_RULES, unit?.rules ?? [], device?.rules ?? []);
      for (const observation of observations) {
        this.counters.observations++;
        for (const evaluation of classify(observation, rules)) {
          const decision = this.book.decide(observation, evaluation);
          switch (decision.type) {
            case 'none':
              break;
            case 'repeat': {
              const own = deterministicUuid(
                observation.source.table,
                observation.source.rawId,
                String(observation.source.index),
                evaluation.rule.id,
                evaluation.rule.kind,
              );
              if (own === decision.alertId) break; // replay of the row that raised it
              this.counters.repeated++;
              writes.push(
                this.alerts.addEvent({
                  alertId: decision.alertId,
                  type: 'repeated',
                  at: microsToIso(this.clock.now().wallUs),
                  actor: null,
                  note: null,
                  sourceId: observation.source.rawId,
                  detail: { value: evaluation.value },
                }),
              );
              break;
            }
            case 'raise':
            case 'restore': {
              if (replay?.storedAlertIds.has(decision.alert.id)) {
                // Stored before the crash: the book follows history, nothing is sent again.
                this.counters.replayedSkipped++;
                break;
              }
              const suppressed = this.suppression(decision.alert, device?.unitId ?? null, unit?.monitoringScope);
              const alert =
                decision.alert.deviceId === null && device
                  ? { ...decision.alert, deviceId: device.id }
                  : decision.alert;
              writes.push(...this.emit(alert, device?.unitId ?? null, suppressed));
              break;
            }
          }
        }
      }
      classified = true;
    } finally {
      if (!classified) {
        // Not classified (e.g. the directory could not be read): keep the watermark before it,
        // so the next start replays it; the bus reports the handler's error.
        this.counters.failedMessages++;
      } else if (writes.length === 0) this.watermark.end(mark);
      else
        void Promise.allSettled(writes).then((results) => {
          const failed = results.filter((r) => r.status === 'rejected').length;
          // A failed write keeps the watermark back, so the next start replays this message.
          if (failed > 0) this.counters.failedWrites += failed;
          else this.watermark.end(mark);
        });
    }
  }

  private suppression(
    alert: NewAlert,
    unitId: string | null,
    scope: readonly string[] | undefined,
  ): Suppression | null {
    if (unitId === null || scope === undefined) return 'no-unit';
    if (!scope.includes(alert.kind)) return 'out-of-scope'; // CQC/SC 11002 4.3.4
    if (this.shields.isShielded(alert.deviceKey, alert.subject, Date.now())) return 'shielded'; // 4.4.4
    return null;
  }

  private emit(alert: NewAlert, unitId: string | null, suppressed: Suppression | null): Promise<void>[] {
    const classifiedAt = microsToIso(this.clock.now().wallUs);
    const writes: Promise<void>[] = [];
    if (alert.kind === 'restored') this.counters.restored++;
    else this.counters.raised++;
    const row: AlertRow = {
      id: alert.id,
      unitId,
      deviceId: alert.deviceId,
      deviceKey: alert.deviceKey,
      subject: alert.subject,
      kind: alert.kind,
      clause: alert.clause,
      item: alert.item,
      ruleId: alert.ruleId,
      title: alert.title,
      detail: { value: alert.value, location: alert.location },
      sourceTable: alert.source.table,
      sourceId: alert.source.rawId,
      receivedAt: alert.receivedAt,
      classifiedAt,
      deadlineMs: alert.deadlineMs,
      restores: alert.restores,
      suppressed,
    };
    const message = alertFromRow(row);
    if (message !== null) {
      const topic = alert.kind === 'fire-alarm' ? 'fireiot.alerts.fire.v1' : 'fireiot.alerts.v1';
      writes.push(this.bus.publish(topic, alert.deviceKey, message));
    } else {
      this.counters.suppressed++;
      this.logger.debug({ msg: 'alert recorded, not sent', alertId: alert.id, deviceKey: alert.deviceKey, suppressed });
    }
    writes.push(this.alerts.addAlert(row));
    return writes;
  }
}
