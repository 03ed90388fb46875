/**
 * A background-load driver of the alerting benchmark (alerting.bench.ts): one child process
 * holding a `UitdSwarm` (its own 20,000 open-file limit), steered over the IPC channel:
 *
 *   child  → { type: 'ready' }             listening (sent once, at start)
 *   parent → { type: 'start', options }    connect the swarm (heartbeats as configured, no
 *                                          telemetry yet), then report { type: 'ramped', stats }
 *   parent → { type: 'rate', perSecond }   telemetry frames/s across its connected devices, from now
 *   parent → { type: 'sample', id }        report { type: 'sample', id, stats } (counters now)
 *   parent → { type: 'stop' }              stop (drain ≤ 10 s), report { type: 'stopped', stats }, exit
 *   parent → { type: 'kill', id, addresses, how? }
 *                                          these devices' connections end now, at once, and stay
 *                                          down (no reconnection): `reset` (default) destroys each
 *                                          socket with a TCP RST, `close` ends it with a FIN (the
 *                                          simulator's disconnect); report { type: 'killed', id,
 *                                          killed, notConnected, startedAtMs, doneAtMs, stats }
 *                                          (wall-clock ms, sub-ms; watchdog-tcp.bench.ts)
 *
 * Telemetry is scheduled here rather than by the swarm so that its rate can change while the
 * swarm runs (the bench ramps it up instead of switching 5,000 frames/s on at once): every 10 ms,
 * the frames due go round-robin to the connected devices (each device still holds back telemetry
 * while 64 of its uploads await their confirm).
 *
 * Started as `node bench/run-ts.js apps/platform/bench/alerting-driver.ts` with an IPC channel;
 * not a `*.bench.ts`, so `npm run bench` does not pick it up on its own.
 */
import type { Socket } from 'node:net';
import { type SimulatedUitd, type SimulatorStats, type SwarmOptions, UitdSwarm } from '@fireiot/simulator';

export type DriverCommand =
  | { readonly type: 'start'; readonly options: SwarmOptions }
  | { readonly type: 'rate'; readonly perSecond: number }
  | { readonly type: 'sample'; readonly id: number }
  | { readonly type: 'stop' }
  | {
      readonly type: 'kill';
      readonly id: number;
      /** GB/T 26875.3 addresses of this driver's swarm. */
      readonly addresses: readonly number[];
      readonly how?: 'reset' | 'close';
    };

export type DriverReport =
  | { readonly type: 'ready' }
  | { readonly type: 'ramped'; readonly stats: SimulatorStats; readonly rampMs: number }
  | { readonly type: 'sample'; readonly id: number; readonly stats: SimulatorStats }
  | { readonly type: 'stopped'; readonly stats: SimulatorStats }
  | {
      readonly type: 'killed';
      readonly id: number;
      readonly killed: number;
      /** Addresses not in the swarm or not connected at the time. */
      readonly notConnected: number;
      /** Wall clock (ms, sub-ms resolution) before the first and after the last kill. */
      readonly startedAtMs: number;
      readonly doneAtMs: number;
      readonly stats: SimulatorStats;
    }
  | { readonly type: 'error'; readonly message: string };

const TICK_MS = 10;

function report(message: DriverReport): void {
  process.send?.(message);
}

/** Telemetry at a settable rate, round-robin over the connected devices of the swarm. */
class Telemetry {
  private rate = 0;
  private credit = 0;
  private last = performance.now();
  private cursor = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly devices: readonly SimulatedUitd[]) {
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  setRate(perSecond: number): void {
    this.rate = perSecond;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = performance.now();
    // A stalled loop catches up at most one second's worth, as the swarm's own scheduler does.
    this.credit = Math.min(this.credit + (this.rate * Math.min(1000, now - this.last)) / 1000, Math.max(1, this.rate));
    this.last = now;
    const n = this.devices.length;
    let skipped = 0;
    while (this.credit >= 1 && skipped < n) {
      const device = this.devices[this.cursor] as SimulatedUitd;
      this.cursor = (this.cursor + 1) % n;
      if (!device.connected || device.silent) {
        skipped++;
        continue;
      }
      skipped = 0;
      this.credit--;
      device.post('telemetry');
    }
    if (skipped >= n) this.credit = 0; // nobody connected: the frames are dropped, not owed
  }
}

let swarm: UitdSwarm | null = null;
let telemetry: Telemetry | null = null;

const wallMs = (): number => performance.timeOrigin + performance.now();

/**
 * Ends a device's connection abruptly and for good: no more uploads and no reconnection
 * (`quiesce`), then a TCP RST (`resetAndDestroy`: a device rebooting, a cut line seen by the
 * router) or a FIN (`disconnect`). The simulator has no public reset, so its socket is reached
 * directly; without one, the FIN.
 */
function kill(device: SimulatedUitd, how: 'reset' | 'close'): void {
  device.quiesce();
  const socket = (device as unknown as { socket?: Socket | null }).socket;
  if (how === 'reset' && socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else void device.disconnect();
}

async function handle(command: DriverCommand): Promise<void> {
  switch (command.type) {
    case 'start': {
      if (swarm !== null) return;
      const started = performance.now();
      swarm = new UitdSwarm({ ...command.options, telemetryRate: 0 });
      telemetry = new Telemetry(swarm.devices);
      await swarm.start();
      report({ type: 'ramped', stats: swarm.stats(), rampMs: Math.round(performance.now() - started) });
      return;
    }
    case 'rate':
      telemetry?.setRate(command.perSecond);
      return;
    case 'sample':
      if (swarm !== null) report({ type: 'sample', id: command.id, stats: swarm.stats() });
      return;
    case 'kill': {
      if (swarm === null) throw new Error('kill before start');
      const startedAtMs = wallMs();
      let killed = 0;
      let notConnected = 0;
      const base = swarm.options.addressBase;
      for (const address of command.addresses) {
        const device = swarm.devices[address - base];
        if (device === undefined || !device.connected) {
          notConnected++;
          continue;
        }
        kill(device, command.how ?? 'reset');
        killed++;
      }
      const doneAtMs = wallMs();
      report({ type: 'killed', id: command.id, killed, notConnected, startedAtMs, doneAtMs, stats: swarm.stats() });
      return;
    }
    case 'stop': {
      telemetry?.stop();
      const stats = swarm === null ? null : await swarm.stop({ drainMs: 10_000 });
      if (stats !== null) report({ type: 'stopped', stats });
      process.disconnect?.();
      return;
    }
  }
}

if (typeof process.send !== 'function') {
  console.error('alerting-driver: needs an IPC channel (spawned by alerting.bench.ts)');
  process.exit(2);
}
process.on('message', (message: DriverCommand) => {
  handle(message).catch((error: unknown) => {
    report({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exitCode = 1;
  });
});
report({ type: 'ready' });
// The parent went away (crashed or killed): do not linger with thousands of sockets.
process.on('disconnect', () => {
  telemetry?.stop();
  if (swarm === null) process.exit(0);
  void swarm.stop({ drainMs: 0 }).finally(() => process.exit(0));
});
