/**
 * Receive times (CQC/SC 11002 4.3.1/4.3.2: alert latency is measured from the platform's receipt).
 *
 * A receive time is taken once, when the chunk holding a frame's last byte is read, as
 *   - `wallUs`: wall clock in µs since the Unix epoch, for storage and evidence, and
 *   - `monoNs`: `process.hrtime.bigint()`, for intervals inside this process.
 * `Date.now()` has only ms; the clock keeps an offset between the monotonic clock and
 * `Date.now()`, re-read every `recalibrateMs`, so wall times carry µs and follow clock steps
 * within that period, without ever going backwards inside a process.
 */
export interface ReceiveTime {
  readonly wallUs: bigint;
  readonly monoNs: bigint;
}

export class ReceiveClock {
  private offsetUs = 0n;
  private calibratedAtNs = -1n;
  private lastUs = 0n;

  constructor(
    private readonly recalibrateMs = 1_000,
    private readonly wallMs: () => number = Date.now,
    private readonly monoNs: () => bigint = process.hrtime.bigint,
  ) {}

  now(): ReceiveTime {
    const monoNs = this.monoNs();
    if (this.calibratedAtNs < 0n || monoNs - this.calibratedAtNs > BigInt(this.recalibrateMs) * 1_000_000n) {
      this.offsetUs = BigInt(this.wallMs()) * 1000n - monoNs / 1000n;
      this.calibratedAtNs = monoNs;
    }
    let wallUs = monoNs / 1000n + this.offsetUs;
    if (wallUs <= this.lastUs) wallUs = this.lastUs + 1n;
    this.lastUs = wallUs;
    return { wallUs, monoNs };
  }
}

/** `1763781234567890n` → `"2025-11-22T03:13:54.567890Z"`. */
export function microsToIso(us: bigint): string {
  const micros = ((us % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const second = (us - micros) / 1_000_000n;
  // Receive times come in bursts of the same second: format that part once.
  if (second !== isoCache.second) {
    isoCache.second = second;
    isoCache.prefix = new Date(Number(second) * 1000).toISOString().slice(0, 19);
  }
  return `${isoCache.prefix}.${micros.toString().padStart(6, '0')}Z`;
}

const isoCache = { second: -1n, prefix: '' };

/** The reverse of `microsToIso` (µs precision; accepts 0–6 fraction digits). */
export function isoToMicros(iso: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(iso);
  if (!m) throw new RangeError(`not an ISO UTC time: ${iso}`);
  const seconds = BigInt(Date.parse(`${m[1] as string}Z`)) / 1000n;
  return seconds * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}
