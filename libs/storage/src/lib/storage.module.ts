import { DynamicModule, Logger, Module } from '@nestjs/common';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { Pool } from 'pg';
import { createAppPool } from './app.pool';
import { DeviceRepository, PresenceRecorder } from './device.repository';
import { EmbeddedPostgresServer } from './embedded-postgres.server';
import { migrateDatabase, MigrationResult, PartitionMaintenance } from './migration.runner';
import { RawStore } from './raw-store.repository';

/** The running database: where it is, what the migration found, the embedded server if any. */
export class DatabaseHandle {
  constructor(
    readonly ownerUrl: string,
    readonly migration: MigrationResult,
    readonly embedded: EmbeddedPostgresServer | null,
  ) {}
}

export const APP_POOL = Symbol('APP_POOL');

/**
 * Storage for Nest apps. At start: the database (FIREIOT_DATABASE_URL, or embedded PostgreSQL
 * in FIREIOT_DATA_DIR), migrations, the application pool. Closing is the owner's job, in order
 * (see `closeStorage`), so frames in flight are committed before the database goes away.
 */
@Module({})
export class StorageModule {
  static forRoot(): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      providers: [
        {
          provide: DatabaseHandle,
          inject: [FIREIOT_CONFIG],
          useFactory: async (config: FireiotConfig) => {
            const logger = new Logger(StorageModule.name);
            let embedded: EmbeddedPostgresServer | null = null;
            let url = config.database.url;
            if (url === null) {
              embedded = new EmbeddedPostgresServer({ dataDir: config.dataDir, port: config.database.embeddedPort });
              url = await embedded.start();
            }
            const migration = await migrateDatabase(url);
            logger.log({
              msg: 'database ready',
              mode: embedded ? 'embedded' : 'external',
              partitioning: migration.partitioning,
            });
            return new DatabaseHandle(url, migration, embedded);
          },
        },
        {
          provide: APP_POOL,
          inject: [DatabaseHandle],
          useFactory: (db: DatabaseHandle) => createAppPool(db.ownerUrl, 10),
        },
        {
          provide: RawStore,
          inject: [APP_POOL, FIREIOT_CONFIG],
          useFactory: (pool: Pool, config: FireiotConfig) => new RawStore(pool, { batchMs: config.database.batchMs }),
        },
        { provide: DeviceRepository, inject: [APP_POOL], useFactory: (pool: Pool) => new DeviceRepository(pool) },
        {
          provide: PartitionMaintenance,
          inject: [DatabaseHandle],
          useFactory: (db: DatabaseHandle) => {
            const maintenance = new PartitionMaintenance(db.ownerUrl);
            maintenance.start();
            return maintenance;
          },
        },
        {
          provide: PresenceRecorder,
          inject: [APP_POOL],
          useFactory: (pool: Pool) => {
            const recorder = new PresenceRecorder(pool);
            recorder.start();
            return recorder;
          },
        },
      ],
      exports: [DatabaseHandle, APP_POOL, RawStore, DeviceRepository, PresenceRecorder, PartitionMaintenance],
    };
  }
}
