export * from './lib/alert-raised.mapper';
export * from './lib/alert.repository';
export * from './lib/batch.writer';
export * from './lib/evidence.model';
export * from './lib/unit-directory.repository';
export * from './lib/evidence.module';
