export * from './lib/app.pool';
export * from './lib/chain.verifier';
export * from './lib/device.repository';
export * from './lib/embedded-postgres.server';
export * from './lib/hash.chain';
export * from './lib/migration.runner';
export * from './lib/raw-store.repository';
export * from './lib/storage.error';
