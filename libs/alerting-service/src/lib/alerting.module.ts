import { Global, Module } from '@nestjs/common';
import {
  AlertsApiModule,
  ApiModule,
  MAINTENANCE_OVERDUE_SINK,
  MaintenanceOverdueSink,
  ShieldsApiModule,
} from '@fireiot/api';
import { EvidenceModule } from '@fireiot/evidence';
import { MonitoringModule, OperatorAlertService } from '@fireiot/monitoring';
import { NotifierModule, NotifierRunner } from '@fireiot/notifier';
import { PipelineModule, PipelineRunner } from '@fireiot/pipeline';
import { LIFECYCLE_PARTICIPANTS, LifecycleParticipant } from '@fireiot/runtime';
import { WatchdogModule, WatchdogRunner } from '@fireiot/watchdog';

/**
 * Alerting in the embedded platform: evidence, the classification pipeline, the device watchdog,
 * the notifier and the apps' API, in one process with ingestion. The notifier starts before the pipeline, so alerts
 * the pipeline replays at start are consumed; both stop after the bus has drained.
 */
@Global()
@Module({
  imports: [
    EvidenceModule,
    ApiModule,
    AlertsApiModule,
    ShieldsApiModule,
    PipelineModule,
    NotifierModule,
    WatchdogModule,
    MonitoringModule,
  ],
  providers: [
    {
      // 4.4.4: overdue maintenance is reported to the operators, once a day while it lasts.
      provide: MAINTENANCE_OVERDUE_SINK,
      inject: [OperatorAlertService],
      useFactory:
        (operators: OperatorAlertService): MaintenanceOverdueSink =>
        async (o) => {
          await operators.raise({
            kind: 'maintenance-overdue',
            clause: '4.4.4',
            title: `维护逾期 ${o.overdue} maintenance items overdue (Annex A)`,
            detail: { overdue: o.overdue, due: o.due, byObject: o.overdueByObject },
            dedupeKey: `maintenance-overdue:${o.at.toISOString().slice(0, 10)}`,
          });
        },
    },
    {
      provide: LIFECYCLE_PARTICIPANTS,
      inject: [NotifierRunner, PipelineRunner, WatchdogRunner],
      useFactory: (
        notifier: NotifierRunner,
        pipeline: PipelineRunner,
        watchdog: WatchdogRunner,
      ): LifecycleParticipant[] => [
        { name: 'notifier', start: () => notifier.start(), stop: () => notifier.stop() },
        { name: 'pipeline', start: () => pipeline.start(), stop: () => pipeline.stop() },
        {
          name: 'watchdog',
          start: () => watchdog.start(),
          quiesce: () => watchdog.quiesce(),
          stop: () => watchdog.stop(),
        },
      ],
    },
  ],
  exports: [LIFECYCLE_PARTICIPANTS, MAINTENANCE_OVERDUE_SINK],
})
export class AlertingModule {}
