export * from './lib/eventually';
export * from './lib/free-port';
export * from './lib/twilio-fake.server';
export * from './lib/bench-stats';
