import { Global, Module } from '@nestjs/common';
import { APP_POOL } from '@fireiot/storage';
import { Pool } from 'pg';
import { ShieldRegistry } from '@fireiot/alerting';
import { AlertRepository } from './alert.repository';
import { MaintenanceRepository } from './maintenance.repository';
import { DeviceLinkRepository } from './device-link.repository';
import { DutyRepository } from './duty.repository';
import { ShieldRepository } from './shield.repository';
import { UnitDirectory } from './unit-directory.repository';

/**
 * The alert evidence, the unit directory, link events, shields and the duty log, one instance per process (their group-commit
 * writers are flushed once, by the platform's lifecycle). Needs the global `APP_POOL`.
 */
@Global()
@Module({
  providers: [
    { provide: AlertRepository, inject: [APP_POOL], useFactory: (pool: Pool) => new AlertRepository(pool) },
    { provide: UnitDirectory, inject: [APP_POOL], useFactory: (pool: Pool) => new UnitDirectory(pool) },
    { provide: MaintenanceRepository, inject: [APP_POOL], useFactory: (pool: Pool) => new MaintenanceRepository(pool) },
    { provide: DeviceLinkRepository, inject: [APP_POOL], useFactory: (pool: Pool) => new DeviceLinkRepository(pool) },
    { provide: ShieldRepository, inject: [APP_POOL], useFactory: (pool: Pool) => new ShieldRepository(pool) },
    { provide: DutyRepository, inject: [APP_POOL], useFactory: (pool: Pool) => new DutyRepository(pool) },
    // The shields in force, shared by the pipeline and the watchdog (kept current by the watchdog).
    { provide: ShieldRegistry, useValue: new ShieldRegistry() },
  ],
  exports: [
    AlertRepository,
    UnitDirectory,
    MaintenanceRepository,
    DeviceLinkRepository,
    ShieldRepository,
    DutyRepository,
    ShieldRegistry,
  ],
})
export class EvidenceModule {}
