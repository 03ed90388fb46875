export * from './lib/bus.error';
export * from './lib/event-bus.port';
export * from './lib/in-process.bus';
export * from './lib/bus.module';
export * from './lib/kafka.bus';
