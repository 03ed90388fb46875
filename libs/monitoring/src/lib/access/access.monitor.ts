import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { MONITORING_CLOCK, NowMs } from '../monitoring.tokens';
import { OperatorAlertService } from '../operator-alert.service';
import { AbnormalAccessDetector, AccessAlert, AccessThrottle } from './abnormal-access.detector';
import { AccessMetrics } from './access.metrics';
import { AccessWindows } from './access.windows';

/** Paths counted but never throttled: probes and the metrics scrape. */
const EXEMPT_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The platform's access (CQC/SC 11002 4.4.1): every HTTP request's figures (metrics), the
 * abnormal-access detector's verdict, and its alerts to the operators.
 */
@Injectable()
export class AccessMonitor implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AccessMonitor.name);
  private readonly metrics = new AccessMetrics();
  private readonly detector: AbnormalAccessDetector;
  private readonly windows: AccessWindows;
  private readonly detach: (() => void)[] = [];

  constructor(
    @Inject(FIREIOT_CONFIG) config: FireiotConfig,
    private readonly alerts: OperatorAlertService,
    @Optional() @Inject(MONITORING_CLOCK) clock: NowMs | null = null,
  ) {
    const now = clock ?? Date.now;
    this.detector = new AbnormalAccessDetector(
      {
        maxPerIpPerMinute: config.monitoring.accessMaxPerIpPerMinute,
        throttleMs: config.monitoring.accessThrottleMs,
        spikeFactor: config.monitoring.accessSpikeFactor,
      },
      now,
    );
    this.windows = new AccessWindows(now);
  }

  onModuleInit(): void {
    this.detach.push(
      this.metrics.averageResponse.attach(() => [
        { labels: { window: '1m' }, value: this.windows.averageSeconds('1m') },
        { labels: { window: '1h' }, value: this.windows.averageSeconds('1h') },
      ]),
      this.metrics.distinctIps.attach(() =>
        Object.entries(this.windows.distinctIps()).map(([window, value]) => ({ labels: { window }, value })),
      ),
    );
  }

  onModuleDestroy(): void {
    for (const detach of this.detach.splice(0)) detach();
  }

  /** A request arrives: null to serve it, else the throttle to answer (429). */
  admit(ip: string, path: string): AccessThrottle | null {
    const decision = this.detector.record(ip, EXEMPT_PATHS.has(path));
    for (const alert of decision.alerts) this.raise(alert);
    if (decision.throttle !== null) this.metrics.throttled.inc();
    return decision.throttle;
  }

  /** A response went out. `route`: the matched route pattern, or null. */
  answered(ip: string, method: string, route: string | null, status: number, seconds: number): void {
    const m = METHODS.has(method) ? method : 'OTHER';
    const r = route ?? 'unmatched';
    this.metrics.requests.labels(m, r, String(status)).inc();
    this.metrics.duration.labels(m, r).observe(seconds);
    this.metrics.visits.inc();
    this.windows.record(ip, seconds);
  }

  private raise(alert: AccessAlert): void {
    this.metrics.alerts.inc({ reason: alert.reason });
    this.alerts
      .raise({
        kind: 'abnormal-access',
        clause: '4.4.1',
        title: alert.title,
        detail: { reason: alert.reason, ...alert.detail },
      })
      .catch((error: unknown) => {
        this.logger.error({ msg: 'abnormal access alert not recorded', reason: alert.reason, error: String(error) });
      });
  }
}
