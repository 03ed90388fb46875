import { Global, Module } from '@nestjs/common';
import { AlertsApiModule, ApiModule } from '@fireiot/api';
import { EvidenceModule } from '@fireiot/evidence';
import { NotifierModule, NotifierRunner } from '@fireiot/notifier';
import { PipelineModule, PipelineRunner } from '@fireiot/pipeline';
import { LIFECYCLE_PARTICIPANTS, LifecycleParticipant } from '@fireiot/runtime';

/**
 * Alerting in the embedded platform: evidence, the classification pipeline, the notifier and the
 * apps' API, in one process with ingestion. The notifier starts before the pipeline, so alerts
 * the pipeline replays at start are consumed; both stop after the bus has drained.
 */
@Global()
@Module({
  imports: [EvidenceModule, ApiModule, AlertsApiModule, PipelineModule, NotifierModule],
  providers: [
    {
      provide: LIFECYCLE_PARTICIPANTS,
      inject: [NotifierRunner, PipelineRunner],
      useFactory: (notifier: NotifierRunner, pipeline: PipelineRunner): LifecycleParticipant[] => [
        { name: 'notifier', start: () => notifier.start(), stop: () => notifier.stop() },
        { name: 'pipeline', start: () => pipeline.start(), stop: () => pipeline.stop() },
      ],
    },
  ],
  exports: [LIFECYCLE_PARTICIPANTS],
})
export class AlertingModule {}
