export * from './lib/ingest.events';
export * from './lib/receive.clock';
export * from './lib/topic.registry';
export * from './lib/alert.events';
export * from './lib/device-profile';
