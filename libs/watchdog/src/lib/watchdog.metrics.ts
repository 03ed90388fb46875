import { Counter, Gauge, Histogram, register } from 'prom-client';

function once<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * The watchdog on `/metrics` (CQC/SC 11002 4.4.2): devices watched and lost, losses by cause,
 * and how long after a loss became observable the watchdog found it (the timing wheel's lag).
 */
export class WatchdogMetrics {
  private readonly devices = once(
    'fireiot_watchdog_devices',
    () =>
      new Gauge({
        name: 'fireiot_watchdog_devices',
        help: 'Devices the watchdog tracks, and of those, lost (4.4.2)',
        labelNames: ['state'],
      }),
  ) as Gauge<'state'>;
  private readonly losses = once(
    'fireiot_watchdog_losses_total',
    () =>
      new Counter({
        name: 'fireiot_watchdog_losses_total',
        help: 'Communication losses found, by cause (disconnected, silence, patrol-missed)',
        labelNames: ['cause'],
      }),
  ) as Counter<'cause'>;
  private readonly lag = once(
    'fireiot_watchdog_detection_lag_seconds',
    () =>
      new Histogram({
        name: 'fireiot_watchdog_detection_lag_seconds',
        help: 'Seconds from a loss becoming observable (deadline, close, missed patrol) to the watchdog finding it',
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      }),
  );

  set(tracked: number, lost: number): void {
    this.devices.set({ state: 'tracked' }, tracked);
    this.devices.set({ state: 'lost' }, lost);
  }

  lossFound(cause: string, lagMs: number): void {
    this.losses.inc({ cause });
    this.lag.observe(Math.max(0, lagMs) / 1000);
  }
}
