import { timeLabelFromDate } from './time-label.codec';

/**
 * A clock as GB/T 26875.3 time labels (§8.2.2: sec, min, hour, day, month, year − 2000, plain
 * binary, naive local time; Asia/Shanghai = UTC+8 by default), for whoever stamps many frames:
 * the gateway's replies, a simulated device's uploads. The six bytes and the text are computed
 * once per second and shared, so stamping a frame costs a copy. `offsetMs` is a device's drift
 * from the host clock, set by a clock synchronisation (type 90).
 */
export class TimeLabelClock {
  private second = Number.NaN;
  private readonly label = new Uint8Array(6);
  private text = '';

  constructor(
    readonly offsetMs = 0,
    readonly utcOffsetMinutes = 480,
  ) {}

  /** The device's time, ms since the epoch. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** The current label's six wire bytes. Shared and overwritten every second: copy, never keep. */
  bytes(): Uint8Array {
    this.refresh();
    return this.label;
  }

  /** The current label as the codec writes it, "YYYY-MM-DDTHH:mm:ss". */
  labelText(): string {
    this.refresh();
    return this.text;
  }

  private refresh(): void {
    const ms = this.now();
    const second = Math.floor(ms / 1000);
    if (second === this.second) return;
    this.second = second;
    const t = new Date(second * 1000 + this.utcOffsetMinutes * 60_000);
    this.label[0] = t.getUTCSeconds();
    this.label[1] = t.getUTCMinutes();
    this.label[2] = t.getUTCHours();
    this.label[3] = t.getUTCDate();
    this.label[4] = t.getUTCMonth() + 1;
    this.label[5] = t.getUTCFullYear() - 2000;
    this.text = timeLabelFromDate(new Date(second * 1000), this.utcOffsetMinutes);
  }
}
