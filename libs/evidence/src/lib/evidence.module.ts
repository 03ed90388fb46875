import { Global, Module } from '@nestjs/common';
import { APP_POOL } from '@fireiot/storage';
import { Pool } from 'pg';
import { AlertRepository } from './alert.repository';
import { UnitDirectory } from './unit-directory.repository';

/**
 * The alert evidence and the unit directory, one instance per process (their group-commit
 * writers are flushed once, by the platform's lifecycle). Needs the global `APP_POOL`.
 */
@Global()
@Module({
  providers: [
    { provide: AlertRepository, inject: [APP_POOL], useFactory: (pool: Pool) => new AlertRepository(pool) },
    { provide: UnitDirectory, inject: [APP_POOL], useFactory: (pool: Pool) => new UnitDirectory(pool) },
  ],
  exports: [AlertRepository, UnitDirectory],
})
export class EvidenceModule {}
