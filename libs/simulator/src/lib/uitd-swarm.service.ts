import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { TimeLabelClock } from '@fireiot/gb26875';
import { UploadTemplates } from './frame.template';
import { RateCredit } from './rate.credit';
import { RetransmitQueue } from './retransmit.queue';
import { type PostKind, SimulatedUitd, type UitdShared } from './simulated-uitd.device';
import { resolveSwarmOptions, type ResolvedSwarmOptions, type SwarmOptions } from './simulator.options';
import { SimulatorCounters, type SimulatorStats } from './simulator.stats';

/** The swarm's scheduler runs this often; rates are spread over its ticks. */
const TICK_MS = 10;
/** Time per tick that new connections may take, so that a ramp never starves the traffic. */
const CONNECT_BUDGET_MS = 4;

export interface SwarmStopOptions {
  /** How long to wait for in-flight uploads; default the whole retransmission schedule. */
  readonly drainMs?: number;
}

/**
 * N simulated UITDs with consecutive addresses, driven from one process for demos, gateway
 * integration tests and load tests.
 *
 * One 10 ms scheduler does everything, whatever N: it ramps connections up at `connectRate`,
 * spreads heartbeats round-robin so that each connected device beats once per interval, sends
 * telemetry round-robin at `telemetryRate`, and fire alarms and faults from random devices at
 * their rates. Devices share their counters, RTT histogram, retransmission timer, clock and
 * pre-encoded frames, so the per-frame cost is a template stamp, a write and a map entry.
 */
export class UitdSwarm {
  readonly options: ResolvedSwarmOptions;
  /** The devices, in address order (`devices[i].address` = addressBase + i). */
  readonly devices: readonly SimulatedUitd[];
  private readonly counters = new SimulatorCounters();
  private readonly retransmits: RetransmitQueue;
  /** Devices able to upload now (connected, not silent), and where each sits in the list. */
  private readonly live: SimulatedUitd[] = [];
  private readonly liveIndex = new Map<SimulatedUitd, number>();
  private readonly heartbeats = new RateCredit(0);
  private readonly telemetry: RateCredit;
  private readonly fires: RateCredit;
  private readonly faults: RateCredit;
  private readonly ramp: RateCredit;
  private nextToConnect = 0;
  private connectsDue = 0;
  private attempted = 0;
  private heartbeatCursor = 0;
  private telemetryCursor = 0;
  private timer: NodeJS.Timeout | null = null;
  private phase: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private rampDone: (() => void) | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<SimulatorStats> | null = null;
  private drainUntil = 0;
  private readonly stopWaiters: (() => void)[] = [];

  constructor(options: SwarmOptions) {
    const o = resolveSwarmOptions(options);
    this.options = o;
    this.retransmits = new RetransmitQueue(o.confirmTimeoutMs);
    const shared: UitdShared = {
      counters: this.counters,
      retransmits: this.retransmits,
      clock: new TimeLabelClock(0, o.utcOffsetMinutes),
      templates: new UploadTemplates(o.destination, o.userVersion),
      onLiveChange: (device, live) => this.liveChanged(device, live),
    };
    const devices: SimulatedUitd[] = [];
    for (let i = 0; i < o.devices; i++) {
      devices.push(
        new SimulatedUitd(
          // Heartbeats are the swarm's to schedule (one timer, not one per device).
          { ...o, address: o.addressBase + i, heartbeatIntervalMs: 0, telemetryRate: 0 },
          shared,
        ),
      );
    }
    this.devices = devices;
    this.telemetry = new RateCredit(o.telemetryRate);
    this.fires = new RateCredit(o.fireRate);
    this.faults = new RateCredit(o.faultRate);
    this.ramp = new RateCredit(o.connectRate);
  }

  /** Counters of the whole swarm. */
  stats(): SimulatorStats {
    return this.counters.snapshot();
  }

  /**
   * Starts the scheduler: devices connect at `connectRate` while traffic begins on those
   * connected. Resolves once every device has tried to connect (refusals are counted, not thrown).
   */
  start(): Promise<void> {
    if (this.starting !== null) return this.starting;
    this.phase = 'running';
    const now = performance.now();
    for (const credit of [this.heartbeats, this.telemetry, this.fires, this.faults, this.ramp]) credit.take(now);
    this.starting = new Promise<void>((resolve) => {
      this.rampDone = resolve;
    });
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.tick();
    return this.starting;
  }

  /**
   * Starts, runs for `durationMs` (or until `signal` aborts; with neither, until `stop()`), then
   * stops; resolves to the final stats.
   */
  async run(signal?: AbortSignal): Promise<SimulatorStats> {
    void this.start(); // the duration counts from now, whether or not the ramp is over
    await new Promise<void>((resolve) => {
      const finish = () => {
        if (timer !== null) clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      const timer = this.options.durationMs > 0 ? setTimeout(finish, this.options.durationMs) : null;
      if (signal?.aborted === true) finish();
      else signal?.addEventListener('abort', finish, { once: true });
      if (timer === null && signal === undefined) void this.whenStopping().then(finish);
    });
    return this.stop();
  }

  /**
   * Stops: no new connections or uploads; waits (up to `drainMs`) for in-flight uploads, which
   * are still retransmitted; counts the rest as unconfirmed; closes every connection.
   */
  stop(options: SwarmStopOptions = {}): Promise<SimulatorStats> {
    if (this.stopping !== null) return this.stopping;
    this.stopping = this.shutdown(options.drainMs);
    return this.stopping;
  }

  /** Cuts short the wait of a `stop()` for in-flight uploads (e.g. a second Ctrl-C). */
  abortDrain(): void {
    this.drainUntil = 0;
  }

  private async shutdown(drainMs: number | undefined): Promise<SimulatorStats> {
    const { confirmTimeoutMs, retries } = this.options;
    this.phase = 'stopping';
    this.stopWaiters.forEach((w) => w());
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.nextToConnect = this.devices.length;
    for (const d of this.devices) d.quiesce();
    const drain = drainMs ?? confirmTimeoutMs * (retries + 1) + 2 * this.retransmits.resolution;
    this.drainUntil = Date.now() + drain;
    while (this.counters.inFlight > 0 && Date.now() < this.drainUntil) await sleep(10);
    for (const d of this.devices) d.abandonUploads();
    await Promise.all(this.devices.map((d) => d.disconnect()));
    this.retransmits.clear();
    this.rampDone?.();
    this.phase = 'stopped';
    return this.stats();
  }

  private whenStopping(): Promise<void> {
    return this.phase === 'stopping' || this.phase === 'stopped'
      ? Promise.resolve()
      : new Promise((resolve) => this.stopWaiters.push(resolve));
  }

  private tick(): void {
    if (this.phase !== 'running') return;
    const now = performance.now();
    // Connections due, within a time budget per tick: connect() is a system call, and the kernel's
    // search for a free local port slows down as tens of thousands are taken (or in TIME_WAIT).
    this.connectsDue = Math.min(this.connectsDue + this.ramp.take(now), this.devices.length - this.nextToConnect);
    while (this.connectsDue > 0 && performance.now() - now < CONNECT_BUDGET_MS) {
      this.connectsDue--;
      this.connectNext();
    }
    const live = this.live;
    const interval = this.options.heartbeatIntervalMs;
    this.heartbeats.rate = interval > 0 ? (live.length * 1000) / interval : 0;
    const beats = this.heartbeats.take(now);
    const telemetry = this.telemetry.take(now);
    const fires = this.fires.take(now);
    const faults = this.faults.take(now);
    if (live.length === 0) return; // nothing to send from: the credits are dropped
    for (let n = beats; n > 0; n--) this.nextInTurn('heartbeat').post('heartbeat');
    for (let n = telemetry; n > 0; n--) this.nextInTurn('telemetry').post('telemetry');
    for (let n = fires; n > 0; n--) this.random().post('fire');
    for (let n = faults; n > 0; n--) this.random().post('fault');
  }

  private connectNext(): void {
    const device = this.devices[this.nextToConnect++] as SimulatedUitd;
    const settled = () => {
      if (++this.attempted === this.devices.length) this.rampDone?.();
    };
    device.connect().then(settled, settled); // a refusal is counted by the device
  }

  /** Round-robin over the live devices, one cursor per kind. */
  private nextInTurn(kind: Extract<PostKind, 'heartbeat' | 'telemetry'>): SimulatedUitd {
    const live = this.live;
    if (kind === 'heartbeat') {
      this.heartbeatCursor = (this.heartbeatCursor + 1) % live.length;
      return live[this.heartbeatCursor] as SimulatedUitd;
    }
    this.telemetryCursor = (this.telemetryCursor + 1) % live.length;
    return live[this.telemetryCursor] as SimulatedUitd;
  }

  private random(): SimulatedUitd {
    return this.live[Math.floor(Math.random() * this.live.length)] as SimulatedUitd;
  }

  private liveChanged(device: SimulatedUitd, live: boolean): void {
    if (live) {
      this.liveIndex.set(device, this.live.length);
      this.live.push(device);
      return;
    }
    const i = this.liveIndex.get(device);
    if (i === undefined) return;
    const last = this.live.pop() as SimulatedUitd;
    if (last !== device) {
      this.live[i] = last;
      this.liveIndex.set(last, i);
    }
    this.liveIndex.delete(device);
  }
}
