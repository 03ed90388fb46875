import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { MAINTENANCE_OBJECTS, MaintenanceObject } from '@fireiot/alerting';
import { Gauge, register } from 'prom-client';
import { MaintenanceCounts, MaintenanceService } from './maintenance.service';

/** Overdue maintenance as the reporter found it, for whoever tells the operators. */
export interface MaintenanceOverdue {
  readonly at: Date;
  readonly overdue: number;
  readonly due: number;
  readonly overdueByObject: Readonly<Record<MaintenanceObject, number>>;
}

/**
 * Where overdue maintenance is reported besides the log and the gauges: the composing app binds
 * it to the operators' alerts (4.4.4: overdue items reported). Optional: absent, the API alone
 * (its specs) only logs.
 */
export const MAINTENANCE_OVERDUE_SINK = Symbol('MAINTENANCE_OVERDUE_SINK');
export type MaintenanceOverdueSink = (overdue: MaintenanceOverdue) => Promise<void>;

/** How often the reporter counts (ms); default one hour. Provide it to change it (specs). */
export const MAINTENANCE_REPORT_INTERVAL_MS = Symbol('MAINTENANCE_REPORT_INTERVAL_MS');
export const DEFAULT_MAINTENANCE_REPORT_INTERVAL_MS = 3_600_000;

function gauge(name: string, help: string): Gauge<'object'> {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Gauge<'object'>;
  return new Gauge({ name, help, labelNames: ['object'] });
}

/**
 * Maintenance items per object (uitd, collector, platform) in prom-client's default registry,
 * which `/metrics` exposes: overdue (past their due date) and due (in their due window, not yet
 * overdue). CQC/SC 11002 4.4.4, Annex A.
 */
export class MaintenanceMetrics {
  readonly overdue = gauge(
    'fireiot_maintenance_overdue_items',
    'Maintenance items (CQC/SC 11002 4.4.4, Annex A) past their due date, per object',
  );
  readonly due = gauge(
    'fireiot_maintenance_due_items',
    'Maintenance items (CQC/SC 11002 4.4.4, Annex A) due and not yet overdue, per object',
  );

  set(counts: MaintenanceCounts): void {
    for (const object of MAINTENANCE_OBJECTS) {
      this.overdue.set({ object }, counts[object].overdue);
      this.due.set({ object }, counts[object].due);
    }
  }
}

/**
 * Reports overdue maintenance (CQC/SC 11002 4.4.4): at start and then every hour, counts due and
 * overdue items over the fleet and the platform, sets the gauges and, when any item is overdue,
 * logs one warning with the counts. The timer is unref'd and stopped on module destroy (after
 * a count in flight has finished, so the pool outlives it).
 */
@Injectable()
export class MaintenanceReporter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MaintenanceReporter.name);
  private readonly metrics = new MaintenanceMetrics();
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly maintenance: MaintenanceService,
    @Optional() @Inject(MAINTENANCE_REPORT_INTERVAL_MS) intervalMs?: number,
    @Optional() @Inject(MAINTENANCE_OVERDUE_SINK) private readonly sink: MaintenanceOverdueSink | null = null,
  ) {
    this.intervalMs = intervalMs ?? DEFAULT_MAINTENANCE_REPORT_INTERVAL_MS;
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  /** Counts now (not awaited: a fleet-wide count must not delay start-up) and every interval. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    this.tick();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One count: gauges set, a warning when anything is overdue; returns the counts. */
  async report(now = new Date()): Promise<MaintenanceCounts> {
    const counts = await this.maintenance.counts(now);
    this.metrics.set(counts);
    const overdue = total(counts, 'overdue');
    if (overdue > 0) {
      this.logger.warn({
        msg: 'maintenance items overdue (CQC/SC 11002 4.4.4, Annex A): GET /api/maintenance/due?status=overdue',
        overdue,
        due: total(counts, 'due'),
        overdueByObject: byObject(counts, 'overdue'),
        dueByObject: byObject(counts, 'due'),
      });
      await this.sink?.({
        at: now,
        overdue,
        due: total(counts, 'due'),
        overdueByObject: byObject(counts, 'overdue'),
      });
    }
    return counts;
  }

  private tick(): void {
    if (this.running !== null) return; // the previous count is still walking the fleet
    this.running = this.report()
      .then(() => undefined)
      .catch((error: unknown) => {
        this.logger.error({ msg: 'maintenance count failed', error: String(error) });
      })
      .finally(() => {
        this.running = null;
      });
  }
}

function total(counts: MaintenanceCounts, status: 'due' | 'overdue'): number {
  return MAINTENANCE_OBJECTS.reduce((sum, o) => sum + counts[o][status], 0);
}

function byObject(counts: MaintenanceCounts, status: 'due' | 'overdue'): Record<MaintenanceObject, number> {
  return { uitd: counts.uitd[status], collector: counts.collector[status], platform: counts.platform[status] };
}
