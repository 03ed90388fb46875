/**
 * Ingestion benchmark (issue 3, "Performance"), embedded mode on this machine: the real platform
 * (bin/platform.js, a child process with its embedded PostgreSQL) and the simulator driving it
 * over TCP from this process, all on the same 2 cores.
 *
 *   1. throughput: frames/s confirmed, each stored durably (group commit) before its confirm;
 *   2. confirm latency (device write → confirm read) at a paced 5,000 frames/s;
 *   3. concurrent connections held, with the platform's resident memory.
 *
 * Knobs: BENCH_SECONDS (default 15 per phase), BENCH_CONNECTIONS (default 19,900: this sandbox's
 * hard limit on open files per process is 20,000 and cannot be raised, and the platform needs a
 * few dozen descriptors of its own).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SimulatorStats, UitdSwarm } from '@fireiot/simulator';
import { freePort } from '@fireiot/testing';

const ROOT = resolve(__dirname, '../../..');
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 15);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 19_900);

interface Result {
  name: string;
  value: number;
  unit: string;
  target: number;
  pass: boolean;
}
const results: Result[] = [];
function record(name: string, value: number, unit: string, target: number, higherIsBetter: boolean): void {
  const pass = higherIsBetter ? value >= target : value <= target;
  results.push({ name, value, unit, target, pass });
  console.log(
    `${pass ? 'PASS' : 'MISS'}  ${name}: ${value.toLocaleString('en')} ${unit} (target ${higherIsBetter ? '≥' : '≤'} ${target.toLocaleString('en')})`,
  );
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function startPlatform(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/platform.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (t: string) => (out += t));
  const deadline = Date.now() + 60_000;
  while (!out.includes('fireiot is running')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`platform did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

async function phase(
  swarm: UitdSwarm,
  seconds: number,
  warmup: number,
): Promise<{ rate: number; stats: SimulatorStats }> {
  await swarm.start();
  await new Promise((r) => setTimeout(r, warmup * 1000));
  const before = swarm.stats().uploads.confirmed;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const confirmed = swarm.stats().uploads.confirmed - before;
  const rate = Math.round(confirmed / ((performance.now() - t0) / 1000));
  const stats = await swarm.stop({ drainMs: 10_000 });
  return { rate, stats };
}

function driver(host: string, port: number, devices: number, addressBase: number, seconds: number): ChildProcess {
  return spawn(
    process.execPath,
    [
      join(ROOT, 'bin/fireiot.js'),
      'simulate',
      '--port',
      String(port),
      '--devices',
      String(devices),
      '--address-base',
      String(addressBase),
      '--heartbeat',
      '60',
      '--duration',
      String(seconds),
      '--json',
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore'] },
  );
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fireiot-bench-'));
  const port = await freePort();
  const platform = await startPlatform({
    FIREIOT_DATA_DIR: dataDir,
    FIREIOT_HTTP_PORT: String(await freePort()),
    FIREIOT_GB26875_PORT: String(port),
    FIREIOT_EMBEDDED_PG_PORT: String(await freePort()),
    FIREIOT_MQTT_PORT: String(await freePort()),
    FIREIOT_GB26875_MAX_CONNECTIONS: '50000',
    FIREIOT_LOG_LEVEL: 'warn',
  });
  const pid = platform.pid as number;
  try {
    // 1. Throughput: 200 devices, as fast as confirms come back (≤ 64 in flight per device).
    const flood = new UitdSwarm({
      port,
      devices: 200,
      addressBase: 1_000_000,
      telemetryRate: 60_000,
      heartbeatIntervalMs: 0,
      maxInFlight: 64,
    });
    const t = await phase(flood, SECONDS, 3);
    console.log(
      `throughput: ${t.stats.uploads.confirmed} confirmed, ${t.stats.uploads.failed} failed, ${t.stats.uploads.denied} denied; rtt p50 ${t.stats.rttMs.p50} ms p99 ${t.stats.rttMs.p99} ms; platform RSS ${rssMb(pid)} MB`,
    );
    record('frames stored then confirmed', t.rate, 'frames/s', 20_000, true);

    // 2. Latency at a paced 5,000 frames/s.
    const paced = new UitdSwarm({
      port,
      devices: 500,
      addressBase: 2_000_000,
      telemetryRate: 5_000,
      heartbeatIntervalMs: 0,
    });
    const l = await phase(paced, SECONDS, 3);
    console.log(
      `latency: ${l.rate} frames/s; rtt mean ${l.stats.rttMs.mean} p50 ${l.stats.rttMs.p50} p90 ${l.stats.rttMs.p90} p99 ${l.stats.rttMs.p99} max ${l.stats.rttMs.max} ms`,
    );
    record('confirm latency p99 at 5,000 frames/s', l.stats.rttMs.p99, 'ms', 20, false);

    // 3. Connections: two driver processes (each has its own descriptor limit).
    const half = Math.ceil(CONNECTIONS / 2);
    const hold = 40;
    // Two loopback addresses: each driver gets its own range of local ports (TIME_WAIT from the
    // phases before would otherwise exhaust the shared range).
    const drivers = [
      driver('127.0.0.2', port, half, 3_000_000, hold),
      driver('127.0.0.3', port, CONNECTIONS - half, 4_000_000, hold),
    ];
    let peakRss = 0;
    let connections = 0;
    const started = Date.now();
    while (Date.now() - started < (hold - 5) * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      peakRss = Math.max(peakRss, rssMb(pid));
      const fds = Number(
        require('node:child_process')
          .execFileSync('sh', ['-c', `ls /proc/${pid}/fd | wc -l`])
          .toString(),
      );
      connections = Math.max(connections, fds);
    }
    await Promise.all(drivers.map((d) => new Promise((r) => d.once('exit', r))));
    console.log(
      `connections: peak ${connections} open descriptors in the platform (sockets + ~40 of its own); peak RSS ${peakRss} MB`,
    );
    record('concurrent device connections held', connections - 40, 'connections', CONNECTIONS, true);
    record('platform RSS with those connections', peakRss, 'MB', 1024, false);
  } finally {
    platform.kill('SIGTERM');
    await new Promise((r) => platform.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
  const report = process.env['FIREIOT_BENCH_REPORT'];
  if (report) for (const r of results) appendFileSync(report, `${JSON.stringify(r)}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
