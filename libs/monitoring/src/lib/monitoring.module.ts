import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { APP_POOL, OperatorAlertRepository } from '@fireiot/storage';
import { Pool } from 'pg';
import { AccessMiddleware } from './access/access.middleware';
import { AccessMonitor } from './access/access.monitor';
import { BusLagGauge } from './bus-lag.gauge';
import { CAPACITY_OPTIONS, CapacityMonitor, CapacityOptions } from './capacity/capacity.monitor';
import { OperatorAlertService } from './operator-alert.service';

/**
 * Platform self-monitoring (CQC/SC 11002 4.4.1 access, 4.4.3 storage headroom): access metrics
 * and the abnormal-access throttle on every HTTP route, capacity sampling and forecast, operator
 * alerts. Needs, globally, `FIREIOT_CONFIG`, `APP_POOL` and `EVENT_BUS` (libs/runtime's
 * IngestionModule imports it, so every app has it). Figures go to `GET /metrics`.
 */
@Module({
  providers: [
    {
      provide: OperatorAlertRepository,
      inject: [APP_POOL],
      useFactory: (pool: Pool) => new OperatorAlertRepository(pool),
    },
    {
      provide: CAPACITY_OPTIONS,
      inject: [FIREIOT_CONFIG],
      useFactory: (config: FireiotConfig): CapacityOptions => ({
        sampleMs: config.monitoring.capacitySampleMs,
        budgetBytes: config.monitoring.storageBudgetBytes,
        headroomMinDays: config.monitoring.headroomMinDays,
        // The disk is measured only when the database lives in our data directory.
        dataDir: config.database.url === null ? config.dataDir : null,
      }),
    },
    OperatorAlertService,
    AccessMonitor,
    AccessMiddleware,
    CapacityMonitor,
    BusLagGauge,
  ],
  exports: [OperatorAlertService, AccessMonitor, CapacityMonitor],
})
export class MonitoringModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AccessMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
