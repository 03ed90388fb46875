/**
 * Storage headroom arithmetic (CQC/SC 11002 4.4.3: storage for at least a year ahead). Pure.
 */

/** Reported when storage does not grow (or shrinks): "100 years", i.e. no limit in sight. */
export const HEADROOM_CAP_DAYS = 36_500;
/** Samples must span this long before their trend is trusted; before that, raw rows are used. */
export const MIN_SAMPLE_SPAN_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface StorageFigures {
  readonly databaseBytes: number;
  /** Free and total bytes of the embedded database's disk; null when the database is external. */
  readonly diskFreeBytes: number | null;
  readonly diskTotalBytes: number | null;
  /** FIREIOT_STORAGE_BUDGET_BYTES; null when unset. */
  readonly budgetBytes: number | null;
}

/** Bytes the database may still grow by: min(disk free, budget − database), ≥ 0; null if neither is known. */
export function freeBytes(f: StorageFigures): number | null {
  const candidates: number[] = [];
  if (f.diskFreeBytes !== null) candidates.push(f.diskFreeBytes);
  if (f.budgetBytes !== null) candidates.push(f.budgetBytes - f.databaseBytes);
  return candidates.length === 0 ? null : Math.max(0, Math.min(...candidates));
}

/** Days until `free` is used up at `growthPerDay`; capped at HEADROOM_CAP_DAYS; null if free is unknown. */
export function headroomDays(free: number | null, growthPerDay: number): number | null {
  if (free === null) return null;
  if (free <= 0) return 0;
  if (!(growthPerDay > 0)) return HEADROOM_CAP_DAYS;
  return Math.min(HEADROOM_CAP_DAYS, free / growthPerDay);
}

export interface SampleTrend {
  /** Samples of the last 7 days. */
  readonly count: number;
  /** From the first to the last of them. */
  readonly spanMs: number;
  /** Least-squares slope of database bytes over time, per day; null with fewer than 2 samples. */
  readonly bytesPerDay: number | null;
}

export interface RawIntake {
  /** Bytes of raw_frames and raw_mqtt rows received in the last 24 h. */
  readonly bytes: number;
  /** From the oldest of those rows to now (0 when there are none). */
  readonly spanMs: number;
}

export type GrowthBasis = 'samples' | 'raw-rows';

export interface Growth {
  readonly bytesPerDay: number;
  readonly basis: GrowthBasis;
}

/**
 * Growth per day: the samples' least-squares trend once at least 2 of them span an hour or
 * more; before that, the raw rows received in the last 24 h, per day (spread over at least an
 * hour, so a minute's burst is not taken for a day's pace).
 */
export function growthPerDay(trend: SampleTrend, raw: RawIntake): Growth {
  if (trend.count >= 2 && trend.spanMs >= MIN_SAMPLE_SPAN_MS && trend.bytesPerDay !== null) {
    return { bytesPerDay: trend.bytesPerDay, basis: 'samples' };
  }
  return { bytesPerDay: (raw.bytes / Math.max(raw.spanMs, MIN_SAMPLE_SPAN_MS)) * DAY_MS, basis: 'raw-rows' };
}
