import { Counter, Histogram, register } from 'prom-client';

/**
 * Alert latency for the operators' dashboards (CQC/SC 11002 4.3.1, 4.3.2): receive → first
 * hand-over to the unit, per kind; attempts per channel and outcome. Registered once in
 * prom-client's default registry, which `/metrics` exposes.
 */
function histogram(): Histogram<'kind'> {
  const name = 'fireiot_alert_first_send_seconds';
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Histogram<'kind'>;
  return new Histogram({
    name,
    help: 'Seconds from the gateway reading an alert off the socket to its first channel hand-over, per alert kind',
    labelNames: ['kind'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3, 10, 30, 100],
  });
}

function counter(): Counter<'channel' | 'status'> {
  const name = 'fireiot_alert_attempts_total';
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter<'channel' | 'status'>;
  return new Counter({ name, help: 'Alert channel attempts by channel and status', labelNames: ['channel', 'status'] });
}

export class NotifierMetrics {
  readonly firstSend = histogram();
  readonly attempts = counter();
}
