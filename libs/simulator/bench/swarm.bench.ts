/*
 * UITD swarm benchmark: N simulated devices (this process) against a minimal confirming centre
 * (a child process, so the two do not share an event loop), at a given telemetry rate.
 *
 *   npm run bench                                  (all benches, via bench/run.js)
 *   node bench/run-ts.js libs/simulator/bench/swarm.bench.ts [--devices=5000] [--rate=10000] [--seconds=10]
 *   node bench/run-ts.js libs/simulator/bench/swarm.bench.ts --devices=19000 --rate=20000 --seconds=20
 *
 * Figures: uploads/s achieved, confirm RTT percentiles, CPU time of the simulator per upload.
 * Target (issue): the requested rate is sustained (≥ 95 %). Sanity check (fails the run):
 * every upload is confirmed. Both processes run on the same machine, so the centre's cost is in
 * the figures too; loopback TCP makes each write() pay for the receiver's side as well.
 * At most ~19,000 devices with the usual 20,000 open-file limit (one socket each).
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildConfirm, FrameReader, timeLabelFromDate } from '@fireiot/gb26875';
// The bench measures the package as its consumers import it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { allConfirmed, UitdSwarm } from '@fireiot/simulator';

function option(name: string, dflt: number): number {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  const v = arg === undefined ? NaN : Number(arg.slice(name.length + 3));
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

/** The centre: confirms every frame, with a time label computed once per second. */
function centre(): void {
  let second = -1;
  let label = '';
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    const reader = new FrameReader({
      frame(bytes) {
        const s = Math.floor(Date.now() / 1000);
        if (s !== second) {
          second = s;
          label = timeLabelFromDate(new Date());
        }
        if (bytes[26] === 2) socket.write(buildConfirm(bytes, label));
      },
      invalid: () => undefined,
      garbage: () => undefined,
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => undefined);
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  });
  process.stdin.on('end', () => process.exit(0)); // the parent is gone
  process.stdin.resume();
}

async function main(): Promise<void> {
  const devices = option('devices', 5000);
  const rate = option('rate', 10_000);
  const seconds = option('seconds', 10);
  const child = spawn(
    process.execPath,
    [join(__dirname, '..', '..', '..', 'bench', 'run-ts.js'), __filename, '--centre'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(Number(line)));
    child.once('exit', (code) => reject(new Error(`centre exited (${code})`)));
  });
  console.log(`swarm: ${devices} devices, ${rate} telemetry frames/s for ${seconds} s → centre on port ${port}`);
  const swarm = new UitdSwarm({
    port,
    devices,
    telemetryRate: rate,
    heartbeatIntervalMs: 30_000,
    connectRate: 5000,
    durationMs: seconds * 1000,
  });
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const ramp = swarm.start().then(() => Date.now() - t0);
  const rampMs = await Promise.race([ramp, new Promise<number>((r) => setTimeout(() => r(NaN), seconds * 1000))]);
  const measureFrom = { at: Date.now(), sent: swarm.stats().uploads.sent };
  await new Promise((r) => setTimeout(r, Math.max(0, seconds * 1000 - (Date.now() - t0))));
  const before = swarm.stats();
  const perSecond = ((before.uploads.sent - measureFrom.sent) * 1000) / Math.max(1, Date.now() - measureFrom.at);
  const stats = await swarm.stop();
  const cpu = process.cpuUsage(cpu0);
  child.stdin?.end();
  const cpuUsPerUpload = (cpu.user + cpu.system) / Math.max(1, stats.uploads.sent);
  const r = stats.rttMs;
  console.log(
    `  ramp-up           ${Number.isNaN(rampMs) ? 'not finished' : `${rampMs} ms`} (${stats.connections.connects} connects, ${stats.connections.errors} errors)`,
  );
  console.log(`  uploads/s         ${Math.round(perSecond)} after the ramp (requested ${rate})`);
  console.log(
    `  uploads           ${stats.uploads.sent} sent, ${stats.uploads.confirmed} confirmed, ${stats.uploads.retransmitted} retransmitted, ${stats.uploads.failed} failed, ${stats.uploads.notSent} not sent`,
  );
  console.log(`  confirm RTT       p50 ${r.p50} ms, p90 ${r.p90} ms, p99 ${r.p99} ms, max ${r.max} ms`);
  console.log(
    `  simulator CPU     ${cpuUsPerUpload.toFixed(1)} µs per upload (user ${(cpu.user / 1e6).toFixed(1)} s, system ${(cpu.system / 1e6).toFixed(1)} s)`,
  );
  console.log(`  memory            ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB RSS`);
  const report = process.env['FIREIOT_BENCH_REPORT'];
  if (report !== undefined) {
    const line = (name: string, value: number, unit: string, target: number | null, pass: boolean | null) =>
      appendFileSync(report, `${JSON.stringify({ name, value, unit, target, pass })}\n`);
    line(
      `swarm ${devices} devices: uploads/s`,
      Math.round(perSecond),
      'frames/s',
      rate * 0.95,
      perSecond >= rate * 0.95,
    );
    line(`swarm ${devices} devices: confirm RTT p99`, r.p99, 'ms', null, null);
  }
  if (!allConfirmed(stats) || stats.connections.errors > 0) {
    console.error('sanity check failed: not every upload was confirmed, or connections failed');
    process.exitCode = 1;
  }
}

if (process.argv.includes('--centre')) centre();
else
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
