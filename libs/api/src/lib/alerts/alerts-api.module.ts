import { Module } from '@nestjs/common';
import { AlertsErrorFilter } from './alerts-error.filter';
import { AlertsController } from './alerts.controller';
import { AlertsService } from './alerts.service';

/**
 * `/api/alerts` (contract.md): list, read with every channel attempt, confirm, close. Needs
 * EvidenceModule, the global bus, and IdentityModule (global, via ApiModule) for the guard.
 */
@Module({
  controllers: [AlertsController],
  providers: [AlertsService, AlertsErrorFilter],
})
export class AlertsApiModule {}
