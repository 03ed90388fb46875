export * from './lib/health.controller';
export * from './lib/ingestion.module';
export * from './lib/platform.bootstrap';
export * from './lib/platform.lifecycle';
export * from './lib/web-ui.static';
