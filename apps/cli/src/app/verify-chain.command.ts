import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ChainReport, ChainVerifier, EmbeddedConnectionInfo, EmbeddedPostgresServer, RawTable } from '@fireiot/storage';
import { Pool } from 'pg';
import type { CliCommand } from './cli.command';
import { CliError } from './cli.error';

const TABLES: readonly RawTable[] = ['raw_frames', 'raw_mqtt', 'quarantine'];

/**
 * `fireiot verify-chain [--device ID]`: recomputes the hash chains of the raw tables
 * (CQC/SC 11002 4.1.3) and says where a chain breaks. Exit 0 intact, 1 broken.
 *
 * Database: --database-url, else FIREIOT_DATABASE_URL, else the embedded cluster in
 * FIREIOT_DATA_DIR (default ./.fireiot): the running platform's server, or, if the platform is
 * not running, the cluster started for the check and stopped after it.
 */
export const verifyChainCommand: CliCommand = {
  name: 'verify-chain',
  usage: 'fireiot verify-chain [--device ID] [--table raw_frames|raw_mqtt|quarantine] [--database-url URL] [--json]',
  summary: 'check the tamper-evident hash chains of the raw tables',
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        device: { type: 'string' },
        table: { type: 'string', multiple: true },
        'database-url': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      allowPositionals: false,
    });
    const tables = (values.table ?? [...TABLES]).map((t) => {
      if (!(TABLES as readonly string[]).includes(t)) throw new CliError('usage', `unknown table '${t}'`);
      return t as RawTable;
    });
    const device = values.device;
    const deviceKeys =
      device === undefined ? [undefined] : device.includes(':') ? [device] : [`uitd:${device}`, `mqtt:${device}`];

    const { url, embedded } = await openDatabase(
      values['database-url'] ?? io.env?.['FIREIOT_DATABASE_URL'],
      io.env ?? {},
    );
    const pool = new Pool({ connectionString: url, max: 1 });
    try {
      const verifier = new ChainVerifier(pool);
      const reports: ChainReport[] = [];
      for (const deviceKey of deviceKeys) reports.push(await verifier.verify({ deviceKey, tables }));
      const report = {
        ok: reports.every((r) => r.ok),
        tables,
        device: device ?? null,
        devices: reports.reduce((n, r) => n + r.devices, 0),
        rows: reports.reduce((n, r) => n + r.rows, 0),
        breaks: reports.flatMap((r) => r.breaks),
      };
      if (values.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
      else io.out(describe(report));
      return report.ok ? 0 : 1;
    } catch (error) {
      throw new CliError('database-unavailable', `cannot read the raw tables: ${String(error)}`);
    } finally {
      await pool.end();
      await embedded?.stop();
    }
  },
};

async function openDatabase(
  url: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ url: string; embedded: EmbeddedPostgresServer | null }> {
  if (url) return { url, embedded: null };
  const dataDir = resolve(env['FIREIOT_DATA_DIR'] ?? './.fireiot');
  const infoFile = resolve(dataDir, 'connection.json');
  if (!existsSync(infoFile)) {
    throw new CliError(
      'database-unavailable',
      `no database: set FIREIOT_DATABASE_URL or --database-url, or run the platform once (no ${infoFile})`,
    );
  }
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as EmbeddedConnectionInfo;
  const server = new EmbeddedPostgresServer({ dataDir, port: info.port });
  if (server.isRunning()) return { url: info.url, embedded: null };
  await server.start();
  return { url: server.url, embedded: server };
}

function describe(report: {
  ok: boolean;
  devices: number;
  rows: number;
  breaks: ChainReport['breaks'];
  tables: readonly RawTable[];
}): string {
  const lines = [`checked ${report.rows} rows of ${report.devices} device chains in ${report.tables.join(', ')}`];
  if (report.ok) lines.push('all chains intact');
  for (const b of report.breaks) {
    lines.push(
      `BROKEN ${b.table} ${b.deviceKey} at device_seq ${b.deviceSeq} (id ${b.id}, received ${b.receivedAt}): ${b.kind}: ${b.detail}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
