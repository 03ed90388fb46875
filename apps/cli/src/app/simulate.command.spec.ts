import { createServer, type AddressInfo, type Server } from 'node:net';
import {
  buildConfirm,
  buildDeny,
  decodeFrame,
  FrameReader,
  isAduOfType,
  timeLabelFromDate,
  type Frame,
} from '@fireiot/gb26875';
import { runCli } from './cli.router';
import type { CliIo } from './cli-io.port';
import { createSimulateCommand } from './simulate.command';

function fakeIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
    readStdin: () => Promise.resolve(''),
  };
  return io;
}

/** A minimal GB/T 26875.3 centre: confirms (or denies) every upload and keeps what it received. */
async function centre(
  answer: 'confirm' | 'deny' = 'confirm',
): Promise<{ port: number; frames: Frame[]; server: Server }> {
  const frames: Frame[] = [];
  const server = createServer((socket) => {
    const reader = new FrameReader({
      frame(bytes) {
        const r = decodeFrame(bytes);
        if (r.ok) frames.push(r.frame);
        const now = timeLabelFromDate(new Date());
        socket.write(answer === 'confirm' ? buildConfirm(bytes, now) : buildDeny(bytes, now));
      },
      invalid: () => undefined,
      garbage: () => undefined,
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, frames, server };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

interface Summary {
  ok: boolean;
  uploadsPerSecond: number;
  connections: { devices: number; connects: number; errors: number };
  uploads: { sent: number; confirmed: number; denied: number; sentByKind: Record<string, number> };
  rttMs: { count: number; p50: number; p99: number; max: number };
}

const noSignals = { env: {}, onInterrupt: () => () => undefined, progressIntervalMs: 100 };

describe(createSimulateCommand.name, () => {
  jest.setTimeout(20_000);

  it('runs the swarm against a centre, raises fire alarms and prints the JSON summary (exit 0)', async () => {
    const c = await centre();
    try {
      const io = fakeIo();
      const args = ['simulate', '--devices', '20', '--port', String(c.port), '--fire-rate', '20', '--duration', '1'];
      expect(await runCli([...args, '--fault-rate', '5', '--telemetry-rate', '200', '--json'], io)).toBe(0);
      const summary = JSON.parse(io.stdout) as Summary;
      expect(summary.ok).toBe(true);
      expect(summary.connections).toMatchObject({ devices: 20, connects: 20, errors: 0 });
      expect(summary.uploads.confirmed).toBe(summary.uploads.sent);
      expect(summary.uploads.sentByKind['fire']).toBeGreaterThanOrEqual(10);
      expect(summary.uploads.sentByKind['heartbeat']).toBe(20);
      expect(summary.rttMs.count).toBe(summary.uploads.confirmed);
      expect(summary.uploadsPerSecond).toBeGreaterThan(0);
      const fireAlarms = c.frames.filter(
        (f) => isAduOfType(f.adu, 2) && f.adu.objects.some((o) => o.state.flags.includes('fire-alarm')),
      );
      expect(fireAlarms.length).toBe(summary.uploads.sentByKind['fire']);
      expect(new Set(c.frames.map((f) => f.source.value)).size).toBe(20);
      expect(c.frames.every((f) => Number(f.source.value) >= 100_000 && Number(f.source.value) < 100_020)).toBe(true);
      expect(io.stderr).toContain('simulate: 20 UITDs');
    } finally {
      await close(c.server);
    }
  });

  it('prints a readable summary and progress lines', async () => {
    const c = await centre();
    try {
      const io = fakeIo();
      const command = createSimulateCommand(noSignals);
      const args = ['--devices', '3', '--port', String(c.port), '--duration', '0.4', '--address-base', '889'];
      expect(await command.run(args, io)).toBe(0);
      expect(io.stdout).toMatch(/^devices\s+3 \(addresses 889–891\)$/m);
      expect(io.stdout).toMatch(/^uploads\s+3 sent, 3 confirmed, 0 retransmitted, 0 failed/m);
      expect(io.stdout).toMatch(/^confirm RTT\s+p50 [\d.]+ ms/m);
      expect(io.stdout).toContain('OK: every upload confirmed');
      expect(io.stderr).toMatch(/\] connected 3\/3 {2}sent 3 {2}confirmed 3/);
    } finally {
      await close(c.server);
    }
  });

  it('exits 1 when the centre denies the uploads', async () => {
    const c = await centre('deny');
    try {
      const io = fakeIo();
      expect(
        await runCli(['simulate', '--devices', '2', '--port', String(c.port), '--duration', '0.2', '--json'], io),
      ).toBe(1);
      const summary = JSON.parse(io.stdout) as Summary;
      expect(summary.ok).toBe(false);
      expect(summary.uploads.denied).toBe(2);
    } finally {
      await close(c.server);
    }
  });

  it('exits 1 when nothing listens on the port', async () => {
    const c = await centre();
    await close(c.server);
    const io = fakeIo();
    expect(await runCli(['simulate', '--devices', '2', '--port', String(c.port), '--duration', '0.1'], io)).toBe(1);
    expect(io.stdout).toMatch(/2 errors \(ECONNREFUSED 2\)/);
  });

  it('takes the port from FIREIOT_GB26875_PORT when --port is absent', async () => {
    const c = await centre();
    try {
      const io = fakeIo();
      const command = createSimulateCommand({ ...noSignals, env: { FIREIOT_GB26875_PORT: String(c.port) } });
      expect(await command.run(['--devices', '1', '--duration', '0.2', '--json'], io)).toBe(0);
      expect(c.frames).toHaveLength(1);
    } finally {
      await close(c.server);
    }
  });

  it('with --duration 0 runs until interrupted, then stops cleanly', async () => {
    const c = await centre();
    try {
      const io = fakeIo();
      let interrupt = (): void => undefined;
      const command = createSimulateCommand({
        ...noSignals,
        onInterrupt: (handler) => {
          interrupt = handler;
          return () => undefined;
        },
      });
      const started = Date.now();
      setTimeout(() => interrupt(), 300);
      expect(await command.run(['--devices', '2', '--port', String(c.port), '--duration', '0', '--json'], io)).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(io.stderr).toContain('stopping');
    } finally {
      await close(c.server);
    }
  });

  it.each([
    [['--devices', '0'], '--devices'],
    [['--devices', 'many'], '--devices'],
    [['--port', '70000'], '--port'],
    [['--fire-rate', '-1'], '--fire-rate'],
    [['--duration', '1s'], '--duration'],
    [['--frobnicate'], 'frobnicate'],
    [['extra'], "unexpected argument 'extra'"],
    [['--address-base', '281474976710655', '--devices', '2'], 'address space'],
  ])('rejects %j with exit 2 and usage on stderr', async (args, message) => {
    const io = fakeIo();
    expect(await runCli(['simulate', ...args], io)).toBe(2);
    expect(io.stderr).toContain(message);
    expect(io.stderr).toContain('Usage: fireiot simulate');
    expect(io.stdout).toBe('');
  });

  it('rejects a bad FIREIOT_GB26875_PORT as a usage error', async () => {
    const command = createSimulateCommand({ ...noSignals, env: { FIREIOT_GB26875_PORT: 'x' } });
    await expect(command.run([], fakeIo())).rejects.toMatchObject({ code: 'usage' });
  });

  it('--help lists the options', async () => {
    const io = fakeIo();
    expect(await runCli(['simulate', '--help'], io)).toBe(0);
    expect(io.stdout).toContain('--telemetry-rate');
    expect(io.stdout).toContain('FIREIOT_GB26875_PORT');
  });
});
