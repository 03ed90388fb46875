import { Module } from '@nestjs/common';
import { APP_POOL, OperatorAlertRepository } from '@fireiot/storage';
import { Pool } from 'pg';
import { OperatorAlertsController } from './operator-alerts.controller';
import { OperatorAlertsService } from './operator-alerts.service';

/** `/api/operator-alerts`. Needs the global `APP_POOL`, and IdentityModule (global, via ApiModule) for the guard. */
@Module({
  controllers: [OperatorAlertsController],
  providers: [
    {
      provide: OperatorAlertRepository,
      inject: [APP_POOL],
      useFactory: (pool: Pool) => new OperatorAlertRepository(pool),
    },
    OperatorAlertsService,
  ],
})
export class OperatorAlertsApiModule {}
