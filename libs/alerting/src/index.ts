export * from './lib/alarm.book';
export * from './lib/alert-kind';
export * from './lib/alert-rule';
export * from './lib/alert.classifier';
export * from './lib/observation';
export * from './lib/shield.registry';
export * from './lib/maintenance.plan';
