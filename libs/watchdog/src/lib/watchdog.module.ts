import { Module } from '@nestjs/common';
import { WatchdogRunner } from './watchdog.runner';
import { WatchdogService } from './watchdog.service';

/**
 * Device communication monitoring (CQC/SC 11002 4.4.2). Needs `EVENT_BUS`, `FIREIOT_CONFIG` and
 * EvidenceModule (link events, alerts, the directory, shields); `WatchdogRunner.start()` is
 * called by the platform's lifecycle.
 */
@Module({
  providers: [WatchdogService, WatchdogRunner],
  exports: [WatchdogService, WatchdogRunner],
})
export class WatchdogModule {}
