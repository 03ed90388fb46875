/** What a benchmark reports of a set of measurements (same unit as the values, usually ms). */
export interface LatencySummary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentiles and the maximum; null when there is nothing to summarise. */
export function summarise(values: readonly number[]): LatencySummary | null {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
  return { n: s.length, p50: at(50), p95: at(95), p99: at(99), max: s[s.length - 1] as number };
}

/**
 * A plain-text table, indented by two spaces: a header, a rule, the rows; the columns in `right`
 * aligned right (numbers), the others left.
 */
export function textTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: ReadonlySet<number>,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}
