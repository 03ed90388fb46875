/** Wall time in ms (`Date.now`); specs inject a fake one. */
export type NowMs = () => number;

/** Nest token of the monitoring's clock (`NowMs`); `Date.now` when not provided. */
export const MONITORING_CLOCK = Symbol('MONITORING_CLOCK');
