export * from './lib/eventually';
export * from './lib/free-port';
