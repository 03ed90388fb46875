import { parseArgs } from 'node:util';
import {
  allConfirmed,
  type ResolvedSwarmOptions,
  type SimulatorStats,
  type SwarmOptions,
  UitdSwarm,
  UPLOAD_KINDS,
} from '@fireiot/simulator';
import type { CliCommand } from './cli.command';
import { CliError } from './cli.error';
import type { CliIo } from './cli-io.port';

/** What `fireiot simulate` takes from its process; injected so tests need no real signals or environment. */
export interface SimulateDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Calls `handler` on each SIGINT / SIGTERM until the returned function is called. */
  readonly onInterrupt: (handler: () => void) => () => void;
  /** Progress lines on stderr this often (ms); default 2000. */
  readonly progressIntervalMs?: number;
}

const USAGE = 'fireiot simulate [--devices N] [--host H] [--port P] [--duration S] [options]';

const HELP = `Usage: ${USAGE}

A swarm of simulated UITDs (user information transmission devices) speaking GB/T 26875.3 over TCP.
Every upload waits for its confirm (command 3), is retransmitted after the confirm timeout, and
fails after the retries; patrols, duty checks, clock syncs and reads from the centre are answered.

  --devices N            devices, with consecutive addresses (default 10)
  --host H               the centre's host (default 127.0.0.1)
  --port P               its GB/T 26875.3 port (default $FIREIOT_GB26875_PORT, else 7533)
  --duration S           seconds to run, ramp-up included; 0 = until Ctrl-C (default 10)
  --fire-rate R          fire alarms per second across the swarm (default 0)
  --fault-rate R         faults per second across the swarm (default 0)
  --telemetry-rate R     telemetry frames per second across the swarm (default 0)
  --heartbeat S          heartbeat interval per device, seconds; 0 = none (default 30)
  --address-base N       address of the first device (default 100000)
  --connect-rate R       new connections per second while ramping up (default 2000)
  --confirm-timeout MS   wait for a confirm before retransmitting (default 10000)
  --retries N            retransmissions before an upload fails (default 3)
  --json                 print the final summary as JSON

Progress goes to stderr every few seconds, the summary to stdout. Exit status: 0 when every upload
was confirmed and every connection succeeded, 1 otherwise, 2 for a bad command line.
`;

const OPTIONS = {
  devices: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  duration: { type: 'string' },
  'fire-rate': { type: 'string' },
  'fault-rate': { type: 'string' },
  'telemetry-rate': { type: 'string' },
  heartbeat: { type: 'string' },
  'address-base': { type: 'string' },
  'connect-rate': { type: 'string' },
  'confirm-timeout': { type: 'string' },
  retries: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const DEFAULT_PORT = 7533;

/** A decimal number from the command line (or the environment, named by `what`), within bounds. */
function numeric(
  what: string,
  text: string | undefined,
  dflt: number,
  min: number,
  max: number,
  integer: boolean,
): number {
  if (text === undefined) return dflt;
  const v = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new CliError(
      'usage',
      `${what} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not '${text}'`,
    );
  }
  return v;
}

function parseOptions(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
  } catch (e) {
    // node:util reports unknown options and missing values with an ERR_PARSE_ARGS_* code; checked
    // structurally, since an error from Node's own realm is not always `instanceof Error` (Jest).
    const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
    if (code.startsWith('ERR_PARSE_ARGS')) throw new CliError('usage', (e as { message: string }).message);
    throw e;
  }
}

interface Plan {
  readonly swarm: SwarmOptions;
  readonly json: boolean;
}

function plan(args: readonly string[], env: SimulateDeps['env']): Plan | 'help' {
  const { values, positionals } = parseOptions(args);
  if (values.help === true) return 'help';
  if (positionals.length > 0) throw new CliError('usage', `unexpected argument '${positionals[0] as string}'`);
  const envPort = env['FIREIOT_GB26875_PORT'];
  const port =
    values.port !== undefined
      ? numeric('--port', values.port, DEFAULT_PORT, 1, 65_535, true)
      : numeric('FIREIOT_GB26875_PORT', envPort === '' ? undefined : envPort, DEFAULT_PORT, 1, 65_535, true);
  const host = values.host ?? '127.0.0.1';
  if (host.trim() === '') throw new CliError('usage', '--host must not be empty');
  const seconds = (name: string, text: string | undefined, dflt: number) =>
    Math.round(numeric(name, text, dflt, 0, 31_536_000, false) * 1000);
  const rate = (name: string, text: string | undefined, dflt: number) =>
    numeric(name, text, dflt, 0, 10_000_000, false);
  return {
    json: values.json === true,
    swarm: {
      host,
      port,
      devices: numeric('--devices', values.devices, 10, 1, 1_000_000, true),
      durationMs: seconds('--duration', values.duration, 10),
      fireRate: rate('--fire-rate', values['fire-rate'], 0),
      faultRate: rate('--fault-rate', values['fault-rate'], 0),
      telemetryRate: rate('--telemetry-rate', values['telemetry-rate'], 0),
      heartbeatIntervalMs: seconds('--heartbeat', values.heartbeat, 30),
      addressBase: numeric('--address-base', values['address-base'], 100_000, 0, 0xffff_ffff_ffff, true),
      connectRate: numeric('--connect-rate', values['connect-rate'], 2000, 0.001, 1_000_000, false),
      confirmTimeoutMs: numeric('--confirm-timeout', values['confirm-timeout'], 10_000, 1, 600_000, true),
      retries: numeric('--retries', values.retries, 3, 0, 100, true),
    },
  };
}

const ms = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;

function progressLine(stats: SimulatorStats, elapsedMs: number, perSecond: number): string {
  const c = stats.connections;
  const u = stats.uploads;
  return (
    `[${(elapsedMs / 1000).toFixed(1).padStart(6)} s] connected ${c.connected}/${c.devices}` +
    `  sent ${u.sent}  confirmed ${u.confirmed}  retransmitted ${u.retransmitted}  failed ${u.failed}` +
    `  denied ${u.denied}  in flight ${u.inFlight}  errors ${c.errors}` +
    `  rtt p50 ${ms(stats.rttMs.p50)} p99 ${ms(stats.rttMs.p99)}  ${Math.round(perSecond)} uploads/s\n`
  );
}

function summaryTable(stats: SimulatorStats, o: ResolvedSwarmOptions, elapsedMs: number, ok: boolean): string {
  const c = stats.connections;
  const u = stats.uploads;
  const d = stats.downlink;
  const r = stats.rttMs;
  const base = o.addressBase;
  const errors = Object.entries(c.errorsByCode).map(([code, n]) => `${code} ${n}`);
  const rows: [string, string][] = [
    ['centre', `${o.host}:${o.port}`],
    ['devices', `${c.devices} (addresses ${base}–${base + c.devices - 1})`],
    ['elapsed', `${(elapsedMs / 1000).toFixed(1)} s`],
    [
      'connections',
      `${c.connects} connects, ${c.disconnects} disconnects, ${c.errors} errors${errors.length ? ` (${errors.join(', ')})` : ''}`,
    ],
    [
      'uploads',
      `${u.sent} sent, ${u.confirmed} confirmed, ${u.retransmitted} retransmitted, ${u.failed} failed, ` +
        `${u.denied} denied, ${u.unconfirmed} unconfirmed, ${u.notSent} not sent`,
    ],
    ['  by kind', UPLOAD_KINDS.map((k) => `${k} ${u.sentByKind[k]}`).join(', ')],
    [
      'downlink',
      `${d.received} received: ${d.patrolsAnswered} patrols, ${d.dutyChecksAnswered} duty checks, ` +
        `${d.clockSyncs} clock syncs, ${d.inits} inits, ${d.readsAnswered} reads answered; ${d.denied} denied`,
    ],
    [
      'confirm RTT',
      `p50 ${ms(r.p50)}, p90 ${ms(r.p90)}, p99 ${ms(r.p99)}, max ${ms(r.max)} (mean ${ms(r.mean)}, n = ${r.count})`,
    ],
    ['throughput', `${Math.round(u.sent / Math.max(elapsedMs / 1000, 0.001))} uploads/s`],
    ['result', ok ? 'OK: every upload confirmed' : 'FAILED: uploads not confirmed or connections failed'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

async function simulate(p: Plan, io: CliIo, deps: SimulateDeps): Promise<number> {
  let swarm: UitdSwarm;
  try {
    swarm = new UitdSwarm(p.swarm);
  } catch (e) {
    throw e instanceof RangeError ? new CliError('usage', e.message) : e;
  }
  const { devices, host, port, durationMs } = swarm.options;
  io.err(
    `simulate: ${devices} UITDs → ${host}:${port}, ${durationMs > 0 ? `${durationMs / 1000} s` : 'until Ctrl-C'}\n`,
  );
  const abort = new AbortController();
  let interrupts = 0;
  const unsubscribe = deps.onInterrupt(() => {
    if (++interrupts === 1) {
      io.err('simulate: stopping, waiting for confirms (interrupt again to stop waiting)\n');
      abort.abort();
    } else swarm.abortDrain();
  });
  const started = Date.now();
  let last = { at: started, sent: 0 };
  const progress = setInterval(() => {
    const stats = swarm.stats();
    const now = Date.now();
    io.err(progressLine(stats, now - started, ((stats.uploads.sent - last.sent) * 1000) / Math.max(1, now - last.at)));
    last = { at: now, sent: stats.uploads.sent };
  }, deps.progressIntervalMs ?? 2000);
  let stats: SimulatorStats;
  try {
    stats = await swarm.run(abort.signal);
  } finally {
    clearInterval(progress);
    unsubscribe();
  }
  const elapsedMs = Date.now() - started;
  const ok = allConfirmed(stats) && stats.connections.errors === 0;
  if (p.json) {
    const summary = {
      ok,
      centre: { host, port },
      elapsedMs,
      uploadsPerSecond: Math.round(stats.uploads.sent / Math.max(elapsedMs / 1000, 0.001)),
      ...stats,
    };
    io.out(`${JSON.stringify(summary, null, 2)}\n`);
  } else io.out(summaryTable(stats, swarm.options, elapsedMs, ok));
  return ok ? 0 : 1;
}

/** The command with its process dependencies; `simulateCommand` is the real one. */
export function createSimulateCommand(deps: SimulateDeps): CliCommand {
  return {
    name: 'simulate',
    usage: USAGE,
    summary: 'run a swarm of simulated UITDs against a GB/T 26875.3 centre',
    async run(args, io) {
      const p = plan(args, deps.env);
      if (p === 'help') {
        io.out(HELP);
        return 0;
      }
      return simulate(p, io, deps);
    },
  };
}

function processInterrupts(handler: () => void): () => void {
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** `fireiot simulate`: the contract's swarm of UITDs (environment: FIREIOT_GB26875_PORT). */
export const simulateCommand = createSimulateCommand({ env: process.env, onInterrupt: processInterrupts });
