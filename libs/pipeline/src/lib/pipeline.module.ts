import { Module } from '@nestjs/common';
import { APP_POOL } from '@fireiot/storage';
import { Pool } from 'pg';
import { ClassificationService } from './classification.service';
import { PipelineRunner } from './pipeline.runner';
import { RawReplayRepository } from './raw-replay.repository';

/**
 * The classification pipeline (CQC/SC 11002 4.3.1, 4.3.2). Needs the global `APP_POOL`
 * (StorageModule), `EVENT_BUS` (BusModule) and EvidenceModule (which holds the shields in force); `PipelineRunner.start()` is called by the
 * platform's lifecycle after storage and before the gateway accepts devices.
 */
@Module({
  providers: [
    { provide: RawReplayRepository, inject: [APP_POOL], useFactory: (pool: Pool) => new RawReplayRepository(pool) },
    ClassificationService,
    PipelineRunner,
  ],
  exports: [PipelineRunner, ClassificationService],
})
export class PipelineModule {}
