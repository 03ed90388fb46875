import { DynamicModule, Global, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BusModule, EVENT_BUS, EventBus } from '@fireiot/bus';
import { FIREIOT_CONFIG, FireiotConfig, loadConfig } from '@fireiot/config';
import { APP_POOL, PartitionMaintenance, PresenceRecorder, RawStore, StorageModule } from '@fireiot/storage';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { eventually } from '@fireiot/testing';
import { Pool } from 'pg';
import { GatewayModule } from './gateway.module';
import { DownlinkService } from './tcp/downlink.service';
import { answerPatrols, RawClient, sendAndConfirm, upload } from './tcp/gateway-harness.test-util';
import { Gb26875Server } from './tcp/gb26875.server';
import { PatrolScheduler } from './tcp/patrol.scheduler';

jest.setTimeout(60_000);

@Global()
@Module({})
class TestConfigModule {
  static forRoot(config: FireiotConfig): DynamicModule {
    return {
      module: TestConfigModule,
      providers: [{ provide: FIREIOT_CONFIG, useValue: config }],
      exports: [FIREIOT_CONFIG],
    };
  }
}

@Module({})
class TestAppModule {
  static forRoot(config: FireiotConfig): DynamicModule {
    return {
      module: TestAppModule,
      imports: [
        TestConfigModule.forRoot(config),
        StorageModule.forRoot(),
        BusModule.forRoot(),
        GatewayModule.forRoot({ sweepIntervalMs: 20 }),
      ],
    };
  }
}

/** The module as the apps compose it: one patrol scheduler shared by ingest and server, run by the server. */
describe(GatewayModule.name, () => {
  let db: TestDatabase;
  let app: INestApplicationContext;

  beforeAll(async () => {
    db = await startTestDatabase();
    const config = loadConfig({
      FIREIOT_DATABASE_URL: db.ownerUrl,
      FIREIOT_HOST: '127.0.0.1',
      FIREIOT_GB26875_PORT: '0',
      FIREIOT_GATEWAY_ID: 'gw-module',
    });
    app = await NestFactory.createApplicationContext(TestAppModule.forRoot(config), { logger: ['error'] });
  });
  afterAll(async () => {
    await app.get(RawStore).close();
    await app.get(PresenceRecorder).stop();
    await app.get<EventBus>(EVENT_BUS).close();
    app.get(PartitionMaintenance).stop();
    await app.get<Pool>(APP_POOL).end();
    await app.close();
    await db.stop();
  });

  it('patrols the devices of the server it listens with, records the patrols, and stops with the server', async () => {
    await db.sql("INSERT INTO devices (device_key, kind, patrol_period_s) VALUES ('uitd:7001', 'uitd', 1)");
    const server = app.get(Gb26875Server);
    const patrols = app.get(PatrolScheduler);
    const port = await server.listen(0, '127.0.0.1');
    const client = await RawClient.connect(port);
    try {
      answerPatrols(client, '7001');
      await sendAndConfirm(client, upload('7001', 1), 1);
      expect(patrols.stats().devices).toBe(1);

      const answered = await eventually(
        async () =>
          (
            await db.sql<{ gateway_id: string; attempts: number }>(
              "SELECT gateway_id, attempts FROM patrol_records WHERE device_key = 'uitd:7001' AND status = 'answered'",
            )
          )[0],
        'an answered patrol on record',
        10_000,
      );
      expect(answered).toEqual({ gateway_id: 'gw-module', attempts: 1 });

      await server.stop();
      expect(patrols.stats()).toMatchObject({ devices: 0, inFlight: 0 });
      await expect(
        app.get(DownlinkService).request('uitd:7001', { command: 4, adu: { type: 81, objects: [{}] } }),
      ).rejects.toMatchObject({ code: 'shutting-down' });
    } finally {
      client.destroy();
    }
  });
});
