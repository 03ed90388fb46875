export * from './lib/gateway.error';
export * from './lib/gateway.module';
export * from './lib/tcp/device-connection';
export * from './lib/tcp/downlink.service';
export * from './lib/tcp/fire-alarm.lane';
export * from './lib/tcp/frame-ingest.service';
export * from './lib/tcp/gb26875.server';
export * from './lib/tcp/retransmission.cache';
