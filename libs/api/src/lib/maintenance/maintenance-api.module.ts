import { Module } from '@nestjs/common';
import { EvidenceModule } from '@fireiot/evidence';
import { MaintenanceErrorFilter } from './maintenance-error.filter';
import { MaintenanceController } from './maintenance.controller';
import { MaintenanceReporter } from './maintenance.reporter';
import { MaintenanceService } from './maintenance.service';

/**
 * `/api/maintenance` and the overdue reporter (CQC/SC 11002 4.4.4, Annex A). Imports
 * EvidenceModule for `MaintenanceRepository` (one instance per process however often it is
 * imported; it needs the global `APP_POOL`), and uses the guard IdentityModule provides globally.
 */
@Module({
  imports: [EvidenceModule],
  controllers: [MaintenanceController],
  providers: [MaintenanceService, MaintenanceReporter, MaintenanceErrorFilter],
  exports: [MaintenanceService],
})
export class MaintenanceApiModule {}
