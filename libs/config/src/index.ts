export * from './lib/config.error';
export * from './lib/config.loader';
export * from './lib/config.schema';
export * from './lib/config.token';
