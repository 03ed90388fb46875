import { DeviceProfile, powerClass, PowerSource } from '@fireiot/events';
import { DeadlineWheel } from '@fireiot/timing';

/** CQC/SC 11002 4.4.2: the ways a device's communication is found to have failed. */
export type LossCause = 'disconnected' | 'silence' | 'patrol-missed';

export interface LinkTransition {
  readonly deviceKey: string;
  readonly event: 'lost' | 'restored';
  readonly cause: LossCause | 'heard';
  /** ms: when the loss became observable (the alert's receive time), or when the device was heard. */
  readonly atMs: number;
  /** ms of the last sign of life before the transition; null if never seen. */
  readonly lastSeenMs: number | null;
}

export interface WatchedDevice {
  readonly deviceKey: string;
  readonly kind: 'uitd' | 'collector';
  readonly power: PowerSource;
  readonly profile: DeviceProfile;
}

export interface WatchState {
  /** ms; null if never seen. */
  readonly lastSeenMs: number | null;
  readonly lost: boolean;
}

export type DeviceWatch = 'never-seen' | 'online' | 'lost';

const LOST = 1;
/** Battery collectors connect to report and go to sleep: a closed connection is not a loss. */
const SLEEPER = 2;

/**
 * Which devices are alive (CQC/SC 11002 4.4.2), for a fleet of any size, in memory:
 *
 * - a sign of life moves the device's deadline to last seen + silence threshold (O(1), in a
 *   timing wheel: `tick` costs what falls due, not what is tracked);
 * - silence past the deadline is a loss at the deadline; a connection closed by the device (or
 *   reset) is a loss at once, except for battery collectors; a patrol left unanswered after the
 *   standard's retries is a loss at once;
 * - a lost device heard again (after its loss) is restored;
 * - a device never seen is not watched until it first shows life.
 *
 * Per device: the key (map entry + array slot), four numbers in typed arrays and the wheel's
 * 20 bytes. No clock inside: every call takes the time, so a 24 h battery period is tested
 * without waiting.
 */
export class LivenessTracker {
  private readonly index = new Map<string, number>();
  private keys: string[] = [];
  private lastSeen: Float64Array = new Float64Array(1024).fill(Number.NaN);
  private lostAt: Float64Array = new Float64Array(1024);
  private silenceMs: Float64Array = new Float64Array(1024);
  private flags: Uint8Array = new Uint8Array(1024);
  private readonly wheel: DeadlineWheel;
  private lostCount = 0;

  constructor(
    private readonly emit: (transition: LinkTransition) => void,
    startMs: number,
    slotMs = 100,
  ) {
    this.wheel = new DeadlineWheel({ startMs, slotMs, slots: 1 << 14 });
  }

  get tracked(): number {
    return this.keys.length;
  }

  get lost(): number {
    return this.lostCount;
  }

  /** Bytes in typed arrays (the map and the key strings come on top: see the benchmark). */
  get arrayBytes(): number {
    return this.wheel.bytes + this.lastSeen.length * (8 + 8 + 8 + 1);
  }

  has(deviceKey: string): boolean {
    return this.index.has(deviceKey);
  }

  watchOf(deviceKey: string): DeviceWatch | null {
    const id = this.index.get(deviceKey);
    if (id === undefined) return null;
    if ((this.flags[id] ?? 0) & LOST) return 'lost';
    return Number.isNaN(this.lastSeen[id] ?? Number.NaN) ? 'never-seen' : 'online';
  }

  deadlineOf(deviceKey: string): number | null {
    const id = this.index.get(deviceKey);
    return id === undefined ? null : this.wheel.deadlineOf(id);
  }

  /**
   * Adds a device or updates its profile. `state` (at start, from storage) sets what is known of
   * it; `graceFromMs` is the restart rule: no device is declared silent before one whole
   * silence threshold after it, so devices that stayed alive while the platform was down have
   * time to show it, and those that died are found one threshold after the restart.
   */
  watch(device: WatchedDevice, nowMs: number, state?: WatchState, graceFromMs?: number): void {
    let id = this.index.get(device.deviceKey);
    if (id === undefined) {
      id = this.keys.length;
      this.keys.push(device.deviceKey);
      this.index.set(device.deviceKey, id);
      if (id >= this.flags.length) this.grow();
    }
    this.silenceMs[id] = device.profile.silenceThresholdS * 1000;
    let flags = (this.flags[id] ?? 0) & LOST;
    if (powerClass(device.kind, device.power) === 'battery') flags |= SLEEPER;
    this.flags[id] = flags;
    if (state) {
      if (state.lastSeenMs !== null) this.lastSeen[id] = Math.max(state.lastSeenMs, this.lastSeen[id] || 0);
      if (state.lost && !(flags & LOST)) {
        this.flags[id] = flags | LOST;
        this.lostAt[id] = nowMs;
        this.lostCount++;
      }
    }
    if ((this.flags[id] ?? 0) & LOST) {
      this.wheel.cancel(id);
      return;
    }
    const seen = this.lastSeen[id] ?? Number.NaN;
    if (Number.isNaN(seen) && graceFromMs === undefined) return;
    const silence = this.silenceMs[id] ?? 0;
    const deadline = Math.max(Number.isNaN(seen) ? -Infinity : seen + silence, (graceFromMs ?? -Infinity) + silence);
    this.wheel.schedule(id, deadline);
  }

  /** A sign of life at `atMs`. False if the device is not tracked (the caller may look it up). */
  heard(deviceKey: string, atMs: number): boolean {
    const id = this.index.get(deviceKey);
    if (id === undefined) return false;
    const previous = this.lastSeen[id] ?? Number.NaN;
    if (Number.isNaN(previous) || atMs > previous) this.lastSeen[id] = atMs;
    const flags = this.flags[id] ?? 0;
    if (flags & LOST) {
      // A message from before the loss, delivered after it, is no sign the device is back.
      if (atMs <= (this.lostAt[id] ?? 0)) return true;
      this.flags[id] = flags & ~LOST;
      this.lostCount--;
      this.emit({
        deviceKey,
        event: 'restored',
        cause: 'heard',
        atMs,
        lastSeenMs: Number.isNaN(previous) ? null : previous,
      });
    }
    this.wheel.schedule(id, (this.lastSeen[id] ?? atMs) + (this.silenceMs[id] ?? 0));
    return true;
  }

  /** The device's connection ended, closed or reset by the device (GB/T 26875.3 over TCP, MQTT). */
  disconnected(deviceKey: string, atMs: number): void {
    const id = this.index.get(deviceKey);
    if (id === undefined || (this.flags[id] ?? 0) & SLEEPER) return;
    this.loss(id, 'disconnected', atMs);
  }

  /** A patrol query went unanswered after the standard's retries (GB/T 26875.3 §6.4). */
  patrolMissed(deviceKey: string, atMs: number): void {
    const id = this.index.get(deviceKey);
    if (id === undefined) return;
    this.loss(id, 'patrol-missed', atMs);
  }

  /** Declares silent devices lost; call it often (every 100–250 ms). Returns losses found. */
  tick(nowMs: number): number {
    let found = 0;
    this.wheel.advance(nowMs, (id, deadline) => {
      if ((this.flags[id] ?? 0) & LOST) return;
      const due = (this.lastSeen[id] ?? Number.NaN) + (this.silenceMs[id] ?? 0);
      if (due > nowMs) {
        // Heard since this deadline was set, without moving it: wait for the new one.
        this.wheel.schedule(id, due);
        return;
      }
      found++;
      // Observable at the deadline: last seen + threshold, or the end of the restart grace.
      this.loss(id, 'silence', deadline);
    });
    return found;
  }

  private loss(id: number, cause: LossCause, atMs: number): void {
    const flags = this.flags[id] ?? 0;
    if (flags & LOST) return;
    this.flags[id] = flags | LOST;
    this.lostAt[id] = atMs;
    this.lostCount++;
    this.wheel.cancel(id);
    const seen = this.lastSeen[id] ?? Number.NaN;
    this.emit({
      deviceKey: this.keys[id] ?? '',
      event: 'lost',
      cause,
      atMs,
      lastSeenMs: Number.isNaN(seen) ? null : seen,
    });
  }

  private grow(): void {
    const n = this.flags.length * 2;
    const grow64 = (old: Float64Array, fill: number): Float64Array => {
      const fresh = new Float64Array(n).fill(fill);
      fresh.set(old);
      return fresh;
    };
    this.lastSeen = grow64(this.lastSeen, Number.NaN);
    this.lostAt = grow64(this.lostAt, 0);
    this.silenceMs = grow64(this.silenceMs, 0);
    const flags = new Uint8Array(n);
    flags.set(this.flags);
    this.flags = flags;
  }
}
