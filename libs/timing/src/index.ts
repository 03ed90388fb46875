export * from './lib/deadline.wheel';
