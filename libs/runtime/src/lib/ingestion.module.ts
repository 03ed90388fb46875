import { DynamicModule, Module, Type } from '@nestjs/common';
import { BusModule } from '@fireiot/bus';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { GatewayModule, Gb26875ServerOptions } from '@fireiot/gateway';
import { MonitoringModule } from '@fireiot/monitoring';
import { StorageModule } from '@fireiot/storage';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { PlatformLifecycle } from './platform.lifecycle';

@Module({})
export class ConfigModule {
  static forRoot(config: FireiotConfig): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: FIREIOT_CONFIG, useValue: config }],
      exports: [FIREIOT_CONFIG],
    };
  }
}

/**
 * The ingestion tier as one Nest application: config, storage, bus, the device gateway, health,
 * self-monitoring (access metrics and throttle on every route, storage headroom; CQC/SC 11002
 * 4.4.1, 4.4.3).
 * `apps/gateway` runs it alone (distributed mode); `apps/platform` (npm start) runs it with
 * everything else in one process (`extra`: the alerting modules, which provide
 * `LIFECYCLE_PARTICIPANTS`).
 */
@Module({})
export class IngestionModule {
  static forRoot(
    config: FireiotConfig,
    gateway: Gb26875ServerOptions = {},
    extra: readonly (Type | DynamicModule)[] = [],
    ingest = true,
  ): DynamicModule {
    return {
      module: IngestionModule,
      imports: [
        ConfigModule.forRoot(config),
        StorageModule.forRoot(),
        BusModule.forRoot(),
        MonitoringModule,
        ...(ingest ? [GatewayModule.forRoot(gateway)] : []),
        ...extra,
      ],
      controllers: [HealthController, MetricsController],
      providers: [PlatformLifecycle],
    };
  }
}
