import { Counter, Gauge, Histogram, register } from 'prom-client';

/*
 * Metrics live in prom-client's default registry, which `GET /metrics` (libs/runtime) exposes.
 * One registry per process, while a process may build several Nest apps (specs, a restart in
 * the harness): each metric is created once and reused by every later app.
 */

export function counterMetric<L extends string = never>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Counter<L> {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter<L>({ name, help, labelNames });
}

export function histogramMetric<L extends string = never>(
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: number[],
): Histogram<L> {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Histogram<L>;
  return new Histogram<L>({ name, help, labelNames, buckets });
}

export function gaugeMetric<L extends string = never>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Gauge<L> {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Gauge<L>;
  return new Gauge<L>({ name, help, labelNames });
}

export interface GaugeSample<L extends string> {
  readonly labels: Partial<Record<L, string>>;
  readonly value: number;
}

/**
 * A gauge read when `/metrics` is scraped, from the source the running app attached (the latest
 * one when several apps were built in this process). Without a source it has no samples (a
 * gauge without labels then shows 0).
 */
export class ScrapedGauge<L extends string = never> {
  private static readonly byName = new Map<string, ScrapedGauge<string>>();
  private source: (() => readonly GaugeSample<L>[]) | null = null;

  private constructor(name: string, help: string, labelNames: readonly L[]) {
    const existing = register.getSingleMetric(name);
    if (existing) register.removeSingleMetric(name);
    const gauge: Gauge<L> = new Gauge<L>({
      name,
      help,
      labelNames,
      collect: () => {
        gauge.reset();
        for (const sample of this.source?.() ?? []) gauge.set(sample.labels, sample.value);
      },
    });
  }

  static of<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): ScrapedGauge<L> {
    let gauge = ScrapedGauge.byName.get(name);
    if (!gauge) {
      gauge = new ScrapedGauge<L>(name, help, labelNames) as unknown as ScrapedGauge<string>;
      ScrapedGauge.byName.set(name, gauge);
    }
    return gauge as unknown as ScrapedGauge<L>;
  }

  /** Makes `source` the gauge's source; the returned function detaches it (if still attached). */
  attach(source: () => readonly GaugeSample<L>[]): () => void {
    this.source = source;
    return () => {
      if (this.source === source) this.source = null;
    };
  }
}
