// Test support for integration specs of other projects (`@fireiot/storage/testing`).
export * from './lib/test-database.test-util';
