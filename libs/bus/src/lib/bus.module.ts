import { DynamicModule, Logger, Module } from '@nestjs/common';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { EVENT_BUS, EventBus } from './event-bus.port';
import { InProcessBus } from './in-process.bus';
import { KafkaBus } from './kafka.bus';

/** The event bus for Nest apps: Kafka when FIREIOT_KAFKA_BROKERS is set, in-process otherwise. */
@Module({})
export class BusModule {
  static forRoot(): DynamicModule {
    return {
      module: BusModule,
      global: true,
      providers: [
        {
          provide: EVENT_BUS,
          inject: [FIREIOT_CONFIG],
          useFactory: async (config: FireiotConfig): Promise<EventBus> => {
            const brokers = config.kafka.brokers;
            const bus: EventBus =
              brokers === null
                ? new InProcessBus()
                : new KafkaBus({ brokers: [...brokers], clientId: `fireiot-${config.gatewayId}` });
            await bus.start();
            new Logger(BusModule.name).log({ msg: 'event bus ready', adapter: bus.adapter, brokers });
            return bus;
          },
        },
      ],
      exports: [EVENT_BUS],
    };
  }
}
