import { DynamicModule, Module } from '@nestjs/common';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { DeviceRepository, PresenceRecorder, RawStore } from '@fireiot/storage';
import { DownlinkService } from './tcp/downlink.service';
import { FrameIngestService } from './tcp/frame-ingest.service';
import { Gb26875Server, Gb26875ServerOptions } from './tcp/gb26875.server';

export const GB26875_SERVER_OPTIONS = Symbol('GB26875_SERVER_OPTIONS');

/**
 * The device gateway: GB/T 26875.3 over TCP and MQTT sensors in, raw rows stored, events out on
 * the bus. Needs the storage and bus modules (global) and the config.
 */
@Module({})
export class GatewayModule {
  static forRoot(options: Gb26875ServerOptions = {}): DynamicModule {
    return {
      module: GatewayModule,
      providers: [
        { provide: GB26875_SERVER_OPTIONS, useValue: options },
        { provide: DownlinkService, useFactory: () => new DownlinkService() },
        {
          provide: FrameIngestService,
          inject: [FIREIOT_CONFIG, RawStore, DeviceRepository, PresenceRecorder, EVENT_BUS, DownlinkService],
          useFactory: (
            config: FireiotConfig,
            store: RawStore,
            devices: DeviceRepository,
            presence: PresenceRecorder,
            bus: EventBus,
            downlinks: DownlinkService,
          ) => new FrameIngestService(config, store, devices, presence, bus, downlinks),
        },
        {
          provide: Gb26875Server,
          inject: [FIREIOT_CONFIG, FrameIngestService, DownlinkService, RawStore, EVENT_BUS, GB26875_SERVER_OPTIONS],
          useFactory: (
            config: FireiotConfig,
            ingest: FrameIngestService,
            downlinks: DownlinkService,
            store: RawStore,
            bus: EventBus,
            serverOptions: Gb26875ServerOptions,
          ) => new Gb26875Server(config, ingest, downlinks, store, bus, serverOptions),
        },
      ],
      exports: [Gb26875Server, DownlinkService, FrameIngestService],
    };
  }
}
