import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMAND, decodeFrame, encodeFrame, FrameReader } from '@fireiot/gb26875';
import { ChainVerifier } from '@fireiot/storage';
import { freePort } from '@fireiot/testing';
import { Client, Pool } from 'pg';
import { killPlatformProcess, ROOT, startPlatformProcess } from './lib/platform-process.test-util';

jest.setTimeout(120_000);

const FM1 =
  '404001000101203A091A090C790300000000385B0100000030000202010101280A000200020020202020202020202020202020202020202020202020202020202020202000023A091A090C462323';
const template = (() => {
  const decoded = decodeFrame(Buffer.from(FM1, 'hex'));
  if (!decoded.ok) throw new Error('FM-1 must decode');
  return decoded.frame;
})();

/** FM-1 (a smoke detector's fire alarm) from another address, with another serial. */
function upload(address: number, serial: number): Buffer {
  return encodeFrame({ ...template, serial, source: { value: String(address) } });
}

/** A device that uploads frames one after another and records each confirm it gets. */
class LoadDevice {
  readonly confirmed = new Set<number>();
  private readonly socket: Socket;
  private serial = 0;
  private stopped = false;

  constructor(
    readonly address: number,
    port: number,
  ) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('error', () => undefined);
    const reader = new FrameReader({
      frame: (bytes) => {
        const reply = decodeFrame(bytes);
        if (reply.ok && reply.frame.command.code === COMMAND.CONFIRM) {
          this.confirmed.add(reply.frame.serial);
          this.next();
        }
      },
      invalid: () => undefined,
      garbage: () => undefined,
    });
    this.socket.on('data', (chunk: Buffer) => reader.push(chunk));
    this.socket.once('connect', () => {
      // A few frames in flight at once, like a busy transmission device.
      for (let i = 0; i < 4; i++) this.next();
    });
  }

  stop(): void {
    this.stopped = true;
    this.socket.destroy();
  }

  /** The next upload, while running (serials stay below 65,536: no wrap-around within a run). */
  private next(): void {
    if (!this.stopped && this.serial < 60_000) this.socket.write(upload(this.address, ++this.serial));
  }
}

describe('platform (npm start)', () => {
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fireiot-e2e-'));
    env = {
      FIREIOT_DATA_DIR: dataDir,
      FIREIOT_HTTP_PORT: String(await freePort()),
      FIREIOT_GB26875_PORT: String(await freePort()),
      FIREIOT_EMBEDDED_PG_PORT: String(await freePort()),
      FIREIOT_MQTT_PORT: String(await freePort()),
      FIREIOT_LOG_LEVEL: 'warn',
    };
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves /healthz and /readyz, and stops cleanly on SIGTERM', async () => {
    const platform = await startPlatformProcess(env);
    const base = `http://127.0.0.1:${env['FIREIOT_HTTP_PORT'] as string}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: 'ok' } });
    platform.child.kill('SIGTERM');
    expect(await platform.exited).toBe(0);
    // The embedded server went down with it (PostgreSQL removes its pid file on a clean stop).
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    // verify-chain on a stopped platform's data starts the cluster for the check, then stops it.
    const check = spawnSync(process.execPath, [join(ROOT, 'bin/fireiot.js'), 'verify-chain'], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(check.stdout).toContain('all chains intact');
    expect(check.status).toBe(0);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });

  it('loses no confirmed frame when killed with SIGKILL under load (and PostgreSQL with it)', async () => {
    const platform = await startPlatformProcess(env);
    const port = Number(env['FIREIOT_GB26875_PORT']);
    const devices = Array.from({ length: 40 }, (_, i) => new LoadDevice(700_000 + i, port));
    const deadline = Date.now() + 20_000;
    const confirmedSoFar = (): number => devices.reduce((n, d) => n + d.confirmed.size, 0);
    while (confirmedSoFar() < 3000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // Kill mid-stream: the platform and its database, as a power cut would.
    await killPlatformProcess(platform, dataDir);
    for (const d of devices) d.stop();
    const confirmed = devices.map((d) => ({ address: d.address, serials: [...d.confirmed] }));
    const total = confirmed.reduce((n, d) => n + d.serials.length, 0);
    expect(total).toBeGreaterThanOrEqual(3000);

    // Restart (crash recovery), then look for every confirmed frame.
    const again = await startPlatformProcess(env);
    const url = (JSON.parse(readFileSync(join(dataDir, 'connection.json'), 'utf8')) as { url: string }).url;
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      for (const d of confirmed) {
        const rows = await client.query<{ serial: number }>('SELECT serial FROM raw_frames WHERE device_key = $1', [
          `uitd:${d.address}`,
        ]);
        const stored = new Set(rows.rows.map((r) => r.serial));
        const lost = d.serials.filter((s) => !stored.has(s));
        expect({ device: d.address, lost }).toEqual({ device: d.address, lost: [] });
      }
      const pool = new Pool({ connectionString: url, max: 1 });
      const report = await new ChainVerifier(pool).verify({ tables: ['raw_frames'] });
      await pool.end();
      expect(report.breaks).toEqual([]);
      // The CLI finds the running platform's embedded server by itself.
      const check = spawnSync(process.execPath, [join(ROOT, 'bin/fireiot.js'), 'verify-chain', '--json'], {
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
      expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, breaks: [] });
    } finally {
      await client.end();
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });
});
