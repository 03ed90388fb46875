import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventually } from '@fireiot/testing';

export const ROOT = resolve(__dirname, '../../../..');

/** The real `npm start` entry point (bin/platform.js), run as a child process. */
export interface PlatformProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<number | null>;
}

/** Starts bin/platform.js with `env` on top of this process's, and waits for its banner. */
export async function startPlatformProcess(env: Record<string, string>, timeoutMs = 90_000): Promise<PlatformProcess> {
  const output: string[] = [];
  const child = spawn(process.execPath, [join(ROOT, 'bin/platform.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.setEncoding('utf8').on('data', (t: string) => output.push(t));
  child.stderr?.setEncoding('utf8').on('data', (t: string) => output.push(t));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`platform exited: ${output.join('')}`);
      return output.join('').includes('fireiot is running');
    },
    'the platform to start',
    timeoutMs,
    50,
  );
  return { child, output, exited };
}

/** SIGKILL for the platform and its embedded PostgreSQL (its own process group), as a power cut. */
export async function killPlatformProcess(platform: PlatformProcess, dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'pg', 'postmaster.pid');
  const pgPid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN;
  platform.child.kill('SIGKILL');
  if (Number.isInteger(pgPid) && pgPid > 0) {
    try {
      process.kill(pgPid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await platform.exited;
}
