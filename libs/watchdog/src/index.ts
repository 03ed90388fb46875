export * from './lib/liveness.tracker';
export * from './lib/watchdog.metrics';
export * from './lib/watchdog.module';
export * from './lib/watchdog.runner';
export * from './lib/watchdog.service';
