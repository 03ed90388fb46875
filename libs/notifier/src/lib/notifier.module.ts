import { Module } from '@nestjs/common';
import { AlertUpdateRelay } from './app/alert-update.relay';
import { AlertsGateway } from './app/alerts.gateway';
import { AppChannel } from './app/app.channel';
import { OperatorAlertRelay } from './app/operator-alert.relay';
import { AttemptRecorder } from './attempt.recorder';
import { DispatchService } from './dispatch.service';
import { NotifierMetrics } from './notifier.metrics';
import { NotifierRunner } from './notifier.runner';
import { TwilioChannelsModule, TwilioModule } from './twilio/twilio.module';

/** Dispatch, evidence and the app channel; SMS and voice from TwilioChannelsModule. */
@Module({
  imports: [TwilioChannelsModule],
  providers: [
    NotifierMetrics,
    AttemptRecorder,
    AppChannel,
    AlertsGateway,
    OperatorAlertRelay,
    AlertUpdateRelay,
    DispatchService,
    NotifierRunner,
  ],
  exports: [NotifierRunner, AttemptRecorder, AppChannel, DispatchService],
})
export class NotifierCoreModule {}

/**
 * The notifier (CQC/SC 11002 4.3): app (socket.io `/alerts`), SMS and voice (Twilio) with their
 * delivery reports, evidence, escalation. Needs EvidenceModule, IdentityModule (the socket's
 * token check), and the global config, bus and pool. `NotifierRunner.start()` is called by the
 * platform's lifecycle.
 */
@Module({
  imports: [
    NotifierCoreModule,
    TwilioModule.forRoot({ imports: [NotifierCoreModule], statusSink: { useExisting: AttemptRecorder } }),
  ],
  exports: [NotifierCoreModule],
})
export class NotifierModule {}
