import { DynamicModule, Module } from '@nestjs/common';
import { EVENT_BUS, EventBus } from '@fireiot/bus';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { APP_POOL, DeviceRepository, PatrolRecorder, PresenceRecorder, RawStore } from '@fireiot/storage';
import { Pool } from 'pg';
import { DownlinkService } from './tcp/downlink.service';
import { FrameIngestService } from './tcp/frame-ingest.service';
import { Gb26875Server, Gb26875ServerOptions } from './tcp/gb26875.server';
import { PatrolScheduler } from './tcp/patrol.scheduler';
import { EmbeddedMqttBroker } from './mqtt/embedded-mqtt.broker';
import { ExternalMqttBridge } from './mqtt/external-mqtt.bridge';
import { MqttIngestService } from './mqtt/mqtt-ingest.service';
import { ReceiveClock } from '@fireiot/events';

export const GB26875_SERVER_OPTIONS = Symbol('GB26875_SERVER_OPTIONS');

/**
 * Where MQTT messages come in: the embedded aedes broker (FIREIOT_MQTT_URL unset) or a bridge
 * subscribed to an external broker. Either way `start()` listens/subscribes, `stop()` closes,
 * and `port` is the embedded broker's port (null for the bridge).
 */
export interface MqttIngress {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly port: number | null;
  /** Device sessions open on the embedded broker; null when bridged (the external broker knows). */
  connections(): number | null;
}
export const MQTT_INGRESS = Symbol('MQTT_INGRESS');

/**
 * The device gateway: GB/T 26875.3 over TCP and MQTT sensors in, raw rows stored, events out on
 * the bus. Needs the storage and bus modules (global) and the config. The patrol scheduler
 * (GB/T 26875.3 type 81, CQC/SC 11002 4.4.2) runs with the TCP server: started when it listens,
 * stopped (patrols in flight aborted, records flushed) before its downlinks stop.
 */
@Module({})
export class GatewayModule {
  static forRoot(options: Gb26875ServerOptions = {}): DynamicModule {
    return {
      module: GatewayModule,
      providers: [
        { provide: GB26875_SERVER_OPTIONS, useValue: options },
        { provide: DownlinkService, useFactory: () => new DownlinkService() },
        { provide: PatrolRecorder, inject: [APP_POOL], useFactory: (pool: Pool) => new PatrolRecorder(pool) },
        {
          provide: PatrolScheduler,
          inject: [FIREIOT_CONFIG, DownlinkService, PatrolRecorder, EVENT_BUS],
          useFactory: (config: FireiotConfig, downlinks: DownlinkService, recorder: PatrolRecorder, bus: EventBus) =>
            new PatrolScheduler(config, downlinks, recorder, bus),
        },
        {
          provide: FrameIngestService,
          inject: [
            FIREIOT_CONFIG,
            RawStore,
            DeviceRepository,
            PresenceRecorder,
            EVENT_BUS,
            DownlinkService,
            PatrolScheduler,
          ],
          useFactory: (
            config: FireiotConfig,
            store: RawStore,
            devices: DeviceRepository,
            presence: PresenceRecorder,
            bus: EventBus,
            downlinks: DownlinkService,
            patrols: PatrolScheduler,
          ) => new FrameIngestService(config, store, devices, presence, bus, downlinks, patrols),
        },
        {
          provide: Gb26875Server,
          inject: [
            FIREIOT_CONFIG,
            FrameIngestService,
            DownlinkService,
            RawStore,
            EVENT_BUS,
            GB26875_SERVER_OPTIONS,
            PatrolScheduler,
          ],
          useFactory: (
            config: FireiotConfig,
            ingest: FrameIngestService,
            downlinks: DownlinkService,
            store: RawStore,
            bus: EventBus,
            serverOptions: Gb26875ServerOptions,
            patrols: PatrolScheduler,
          ) => new Gb26875Server(config, ingest, downlinks, store, bus, serverOptions, patrols),
        },
        {
          provide: MqttIngestService,
          inject: [RawStore, DeviceRepository, PresenceRecorder, EVENT_BUS, FIREIOT_CONFIG],
          useFactory: (
            store: RawStore,
            devices: DeviceRepository,
            presence: PresenceRecorder,
            bus: EventBus,
            config: FireiotConfig,
          ) => new MqttIngestService(store, devices, presence, bus, config),
        },
        {
          provide: MQTT_INGRESS,
          inject: [FIREIOT_CONFIG, MqttIngestService, DeviceRepository],
          useFactory: (config: FireiotConfig, ingest: MqttIngestService, devices: DeviceRepository): MqttIngress => {
            const clock = new ReceiveClock();
            if (config.mqtt.url === null) {
              const broker = new EmbeddedMqttBroker(config, ingest, devices, clock);
              return {
                start: () => broker.start(),
                stop: () => broker.stop(),
                get port() {
                  return broker.port;
                },
                connections: () => broker.stats().connectedClients,
              };
            }
            const bridge = new ExternalMqttBridge(config, ingest, clock);
            return { start: () => bridge.start(), stop: () => bridge.stop(), port: null, connections: () => null };
          },
        },
      ],
      exports: [Gb26875Server, DownlinkService, FrameIngestService, PatrolScheduler, PatrolRecorder, MQTT_INGRESS],
    };
  }
}
