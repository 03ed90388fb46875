export * from './lib/alerting.module';
