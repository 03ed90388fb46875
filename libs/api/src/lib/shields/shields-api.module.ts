import { Module } from '@nestjs/common';
import { ShieldsErrorFilter } from './shields-error.filter';
import { ShieldsController } from './shields.controller';
import { ShieldsService } from './shields.service';

/**
 * Shielding (CQC/SC 11002 4.4.4). Needs EvidenceModule (shield events), the global bus, and
 * IdentityModule (global, via ApiModule) for the guard and the device registry.
 */
@Module({
  controllers: [ShieldsController],
  providers: [ShieldsService, ShieldsErrorFilter],
})
export class ShieldsApiModule {}
