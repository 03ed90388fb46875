import { statfs } from 'node:fs/promises';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { APP_POOL, OperatorAlertRepository } from '@fireiot/storage';
import { Pool } from 'pg';
import { gaugeMetric } from '../metrics.registry';
import { MONITORING_CLOCK, NowMs } from '../monitoring.tokens';
import { OperatorAlertService } from '../operator-alert.service';
import { CapacitySampleRepository } from './capacity-sample.repository';
import { freeBytes, GrowthBasis, growthPerDay, headroomDays } from './capacity.forecast';

const DAY_MS = 86_400_000;

export interface CapacityOptions {
  readonly sampleMs: number;
  /** FIREIOT_STORAGE_BUDGET_BYTES, or null. */
  readonly budgetBytes: number | null;
  readonly headroomMinDays: number;
  /** The embedded database's data directory (its disk is measured); null when the database is external. */
  readonly dataDir: string | null;
}
export const CAPACITY_OPTIONS = Symbol('CAPACITY_OPTIONS');

export interface DiskSpace {
  readonly freeBytes: number;
  readonly totalBytes: number;
}
/** Free and total space of the file system holding `path`. */
export type DiskProbe = (path: string) => Promise<DiskSpace>;
export const DISK_PROBE = Symbol('DISK_PROBE');

/** `statfs(2)`: space available to unprivileged users, and the file system's size. */
export const statfsProbe: DiskProbe = async (path) => {
  const s = await statfs(path);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
};

/** One sample and the forecast made from it. */
export interface CapacityReport {
  readonly at: string;
  readonly databaseBytes: number;
  readonly diskFreeBytes: number | null;
  readonly diskTotalBytes: number | null;
  readonly budgetBytes: number | null;
  /** min(disk free, budget − database); null when neither is known (external database, no budget). */
  readonly freeBytes: number | null;
  readonly growthBytesPerDay: number;
  readonly growthBasis: GrowthBasis;
  /** free / growth per day, capped at 36,500 (no growth); null when free is unknown. */
  readonly headroomDays: number | null;
  /** An operator alert was raised by this sample. */
  readonly alerted: boolean;
}

class CapacityMetrics {
  readonly database = gaugeMetric(
    'fireiot_storage_database_bytes',
    'Size of the platform database in bytes, pg_database_size (CQC/SC 11002 4.4.3 storage capacity)',
  );
  readonly free = gaugeMetric(
    'fireiot_storage_free_bytes',
    'Bytes the database may still grow by: min(disk free, budget - database); NaN when unknown (CQC/SC 11002 4.4.3)',
  );
  readonly growth = gaugeMetric(
    'fireiot_storage_growth_bytes_per_day',
    'Database growth in bytes per day: 7-day least-squares trend of the samples, or the last 24 h of raw rows before there is an hour of samples (CQC/SC 11002 4.4.3)',
  );
  readonly headroom = gaugeMetric(
    'fireiot_storage_headroom_days',
    'Forecast days until storage is full, free / growth per day, 36500 when not growing, NaN when unknown; operators are alerted below FIREIOT_HEADROOM_MIN_DAYS (CQC/SC 11002 4.4.3: at least one year)',
  );
}

/**
 * Storage headroom (CQC/SC 11002 4.4.3: the platform keeps storage for at least a year ahead and
 * warns before it runs short). Every `sampleMs` (and once at start): the database's size, the
 * data disk's free space (embedded database only) and the budget; the sample is appended to
 * `capacity_samples`; growth per day and headroom days are forecast (capacity.forecast.ts) and
 * exported as gauges. Headroom under `headroomMinDays` raises a `capacity` operator alert, at
 * most once every 24 h while it stays under: the last one is read from `operator_alerts` (at
 * start and before raising), so neither a restart nor a second process sampling the same
 * database alerts again within the day.
 */
@Injectable()
export class CapacityMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CapacityMonitor.name);
  private readonly samples: CapacitySampleRepository;
  private readonly metrics = new CapacityMetrics();
  private readonly probe: DiskProbe;
  private readonly now: NowMs;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<CapacityReport | null> | null = null;
  private lastAlertMs: number | null = null;
  private stopped = false;
  last: CapacityReport | null = null;

  constructor(
    @Inject(CAPACITY_OPTIONS) private readonly options: CapacityOptions,
    @Inject(APP_POOL) private readonly pool: Pool,
    private readonly alerts: OperatorAlertService,
    private readonly alertRecords: OperatorAlertRepository,
    @Optional() @Inject(DISK_PROBE) probe: DiskProbe | null = null,
    @Optional() @Inject(MONITORING_CLOCK) clock: NowMs | null = null,
  ) {
    this.samples = new CapacitySampleRepository(pool);
    this.probe = probe ?? statfsProbe;
    this.now = clock ?? Date.now;
  }

  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** Reads the last capacity alert, takes the first sample, then samples every `sampleMs`. */
  async start(): Promise<void> {
    this.stopped = false;
    try {
      const latest = await this.alertRecords.latest('capacity');
      this.lastAlertMs = latest === null ? null : Date.parse(latest.raisedAt);
    } catch (error) {
      this.logger.warn({ msg: 'could not read the last capacity alert', error: String(error) });
    }
    const first = await this.tick();
    if (first !== null) this.logger.log({ msg: 'storage sampled', ...summary(first) });
    this.timer = setInterval(() => void this.tick(), this.options.sampleMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One sample now, unless one is running (then that one's result) or the pool is closing. */
  tick(): Promise<CapacityReport | null> {
    if (this.running !== null) return this.running;
    if (this.stopped || this.pool.ending) return Promise.resolve(null);
    this.running = this.sample()
      .catch((error: unknown) => {
        if (!this.pool.ending) this.logger.warn({ msg: 'storage sample failed', error: String(error) });
        return null;
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  /** Samples, forecasts, exports the gauges and alerts the operators if needed. */
  async sample(): Promise<CapacityReport> {
    const databaseBytes = await this.samples.databaseBytes();
    let disk: { freeBytes: number; totalBytes: number } | null = null;
    if (this.options.dataDir !== null) {
      try {
        disk = await this.probe(this.options.dataDir);
      } catch (error) {
        this.logger.warn({ msg: 'disk space unknown', dataDir: this.options.dataDir, error: String(error) });
      }
    }
    const figures = {
      databaseBytes,
      diskFreeBytes: disk?.freeBytes ?? null,
      diskTotalBytes: disk?.totalBytes ?? null,
      budgetBytes: this.options.budgetBytes,
    };
    const at = await this.samples.insert(figures);
    const growth = growthPerDay(await this.samples.trend(), await this.samples.rawIntake());
    const free = freeBytes(figures);
    const headroom = headroomDays(free, growth.bytesPerDay);
    this.metrics.database.set(databaseBytes);
    this.metrics.free.set(free ?? Number.NaN);
    this.metrics.growth.set(growth.bytesPerDay);
    this.metrics.headroom.set(headroom ?? Number.NaN);
    const report: Omit<CapacityReport, 'alerted'> = {
      at,
      ...figures,
      freeBytes: free,
      growthBytesPerDay: growth.bytesPerDay,
      growthBasis: growth.basis,
      headroomDays: headroom,
    };
    const alerted = headroom !== null && headroom < this.options.headroomMinDays && (await this.alert(report));
    this.last = { ...report, alerted };
    return this.last;
  }

  private async alert(report: Omit<CapacityReport, 'alerted'>): Promise<boolean> {
    const now = this.now();
    if (this.lastAlertMs !== null && now - this.lastAlertMs < DAY_MS) return false;
    // Another process sampling this database may have alerted meanwhile.
    const latest = await this.alertRecords.latest('capacity');
    if (latest !== null && now - Date.parse(latest.raisedAt) < DAY_MS) {
      this.lastAlertMs = Date.parse(latest.raisedAt);
      return false;
    }
    const days = Math.floor(report.headroomDays ?? 0);
    const raised = await this.alerts.raise({
      kind: 'capacity',
      clause: '4.4.3',
      title: `Storage headroom ${days} days, under the required ${this.options.headroomMinDays} (CQC/SC 11002 4.4.3)`,
      detail: { ...summary(report), minDays: this.options.headroomMinDays, sampledAt: report.at },
      dedupeKey: `capacity:${Math.floor(now / DAY_MS)}`,
    });
    this.lastAlertMs = now;
    return raised !== null;
  }
}

function summary(r: Omit<CapacityReport, 'alerted'>): Record<string, string | number | null> {
  return {
    headroomDays: r.headroomDays === null ? null : Math.round(r.headroomDays * 10) / 10,
    databaseBytes: r.databaseBytes,
    freeBytes: r.freeBytes,
    diskFreeBytes: r.diskFreeBytes,
    diskTotalBytes: r.diskTotalBytes,
    budgetBytes: r.budgetBytes,
    growthBytesPerDay: Math.round(r.growthBytesPerDay),
    growthBasis: r.growthBasis,
  };
}
