import { Module } from '@nestjs/common';
import { IdentityModule } from '@fireiot/identity';
import { APP_POOL, RawReadingRepository } from '@fireiot/storage';
import { Pool } from 'pg';
import { ApiStartup } from './api.startup';
import { AuthController } from './auth/auth.controller';
import { BearerAuthGuard } from './auth/bearer-auth.guard';
import { MeService } from './auth/me.service';
import { DeviceReadingsService } from './devices/device-readings.service';
import { DevicesController } from './devices/devices.controller';
import { DevicesService } from './devices/devices.service';
import { IdentityErrorFilter } from './http/identity-error.filter';
import { DutyApiModule } from './duty/duty-api.module';
import { OperatorAlertsApiModule } from './operator-alerts/operator-alerts-api.module';
import { MaintenanceApiModule } from './maintenance/maintenance-api.module';
import { UnitsController } from './units/units.controller';
import { UnitsService } from './units/units.service';
import { UsersController } from './users/users.controller';

/**
 * The HTTP API of accounts and provisioning (contract, "HTTP API"): login, units, users,
 * contacts, devices and their readings, maintenance, operators' alerts, the duty log. Needs,
 * globally, `FIREIOT_CONFIG` (a `ConfigModule.forRoot(config)`) and `APP_POOL`
 * (`StorageModule.forRoot()`). Imports `IdentityModule` globally, so other modules'
 * controllers can use `BearerAuthGuard`, `@Roles` and `@CurrentPrincipal` without importing it.
 */
@Module({
  imports: [
    IdentityModule.forRoot({ poolToken: APP_POOL }),
    MaintenanceApiModule,
    OperatorAlertsApiModule,
    DutyApiModule,
  ],
  controllers: [AuthController, UsersController, UnitsController, DevicesController],
  providers: [
    BearerAuthGuard,
    IdentityErrorFilter,
    UnitsService,
    DevicesService,
    DeviceReadingsService,
    MeService,
    { provide: RawReadingRepository, inject: [APP_POOL], useFactory: (pool: Pool) => new RawReadingRepository(pool) },
    ApiStartup,
  ],
  exports: [BearerAuthGuard, IdentityErrorFilter, UnitsService],
})
export class ApiModule {}
