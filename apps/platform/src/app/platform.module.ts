import { DynamicModule, Module } from '@nestjs/common';
import { BusModule } from '@fireiot/bus';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { GatewayModule, Gb26875ServerOptions } from '@fireiot/gateway';
import { StorageModule } from '@fireiot/storage';
import { HealthController } from './health.controller';
import { PlatformLifecycle } from './platform.lifecycle';

@Module({})
class ConfigModule {
  static forRoot(config: FireiotConfig): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: FIREIOT_CONFIG, useValue: config }],
      exports: [FIREIOT_CONFIG],
    };
  }
}

/** The whole platform in one process (`npm start`): the composition root. */
@Module({})
export class PlatformModule {
  static forRoot(config: FireiotConfig, gateway: Gb26875ServerOptions = {}): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        ConfigModule.forRoot(config),
        StorageModule.forRoot(),
        BusModule.forRoot(),
        GatewayModule.forRoot(gateway),
      ],
      controllers: [HealthController],
      providers: [PlatformLifecycle],
    };
  }
}
