import { counterMetric, histogramMetric, ScrapedGauge } from '../metrics.registry';

/** The access figures of CQC/SC 11002 4.4.1 as Prometheus metrics (created once per process). */
export class AccessMetrics {
  readonly requests = counterMetric(
    'fireiot_http_requests_total',
    'HTTP requests by method, matched route pattern ("unmatched" when no route matched) and status (CQC/SC 11002 4.4.1 access statistics)',
    ['method', 'route', 'status'],
  );
  readonly duration = histogramMetric(
    'fireiot_http_request_duration_seconds',
    'HTTP response time in seconds by method and matched route pattern (CQC/SC 11002 4.4.1 access statistics)',
    ['method', 'route'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly visits = counterMetric(
    'fireiot_http_visits_total',
    'HTTP requests received, all routes (CQC/SC 11002 4.4.1 visit count)',
  );
  readonly averageResponse = ScrapedGauge.of(
    'fireiot_http_response_time_avg_seconds',
    'Mean HTTP response time in seconds over the sliding window (CQC/SC 11002 4.4.1 access statistics)',
    ['window'],
  );
  readonly distinctIps = ScrapedGauge.of(
    'fireiot_http_distinct_client_ips',
    'Distinct client IPs seen in the sliding window, at most 100000 tracked (CQC/SC 11002 4.4.1 visitors)',
    ['window'],
  );
  readonly throttled = counterMetric(
    'fireiot_access_throttled_total',
    'HTTP requests answered 429 because their client IP is throttled for abnormal access (CQC/SC 11002 4.4.1)',
  );
  readonly alerts = counterMetric(
    'fireiot_access_alerts_total',
    'Abnormal access alerts for the operators by reason: ip-rate (one IP over its limit), spike (platform-wide) (CQC/SC 11002 4.4.1)',
    ['reason'],
  );
}
