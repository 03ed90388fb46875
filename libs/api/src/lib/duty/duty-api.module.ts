import { Module } from '@nestjs/common';
import { EvidenceModule } from '@fireiot/evidence';
import { DutyErrorFilter } from './duty-error.filter';
import { DutyController } from './duty.controller';
import { DutyService } from './duty.service';

/**
 * `/api/duty` (CQC/SC 11002 5.4.1 a, b). Imports EvidenceModule for `DutyRepository` (one
 * instance per process however often it is imported; it needs the global `APP_POOL`), and uses
 * the guard and `UserRepository` IdentityModule provides globally.
 */
@Module({
  imports: [EvidenceModule],
  controllers: [DutyController],
  providers: [DutyService, DutyErrorFilter],
})
export class DutyApiModule {}
