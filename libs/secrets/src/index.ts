export * from './lib/secret-hash.util';
export * from './lib/secret.error';
export * from './lib/deterministic-uuid.util';
