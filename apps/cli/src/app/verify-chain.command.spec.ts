import { createAppPool, RawStore } from '@fireiot/storage';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { CliIo } from './cli-io.port';
import { runCli } from './cli.router';
import { verifyChainCommand } from './verify-chain.command';

jest.setTimeout(60_000);

function captureIo(env: Record<string, string> = {}): CliIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    readStdin: async () => '',
    env,
    stdout: () => out,
    stderr: () => err,
  };
}

describe(verifyChainCommand.name, () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await startTestDatabase();
    const pool = createAppPool(db.ownerUrl);
    const store = new RawStore(pool);
    for (const [device, n] of [
      ['uitd:889', 5],
      ['uitd:890', 3],
    ] as const) {
      for (let i = 0; i < n; i++) {
        await store.appendFrame({
          deviceKey: device,
          receivedAtUs: 1_763_781_234_000_000n + BigInt(i),
          receivedMonoNs: 0n,
          gatewayId: 'gw',
          peer: '127.0.0.1:1',
          registered: false,
          bytes: Buffer.from([0x40, 0x40, i, 0x23, 0x23]),
          serial: i,
          command: 2,
          aduType: 2,
        });
      }
    }
    await store.close();
    await pool.end();
  });
  afterAll(async () => {
    await db.stop();
  });

  it('says the chains are intact (exit 0)', async () => {
    const io = captureIo();
    expect(await runCli(['verify-chain', '--database-url', db.ownerUrl], io)).toBe(0);
    expect(io.stdout()).toContain('checked 8 rows of 2 device chains');
    expect(io.stdout()).toContain('all chains intact');
  });

  it('takes the database from FIREIOT_DATABASE_URL and one device by address', async () => {
    const io = captureIo({ FIREIOT_DATABASE_URL: db.ownerUrl });
    expect(await runCli(['verify-chain', '--device', '890', '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout())).toMatchObject({ ok: true, device: '890', devices: 1, rows: 3, breaks: [] });
  });

  it('finds a row altered behind the triggers’ back and says where (exit 1)', async () => {
    await db.sql(`BEGIN; SET LOCAL session_replication_role = replica;
      UPDATE raw_frames SET bytes = '\\x4040092323' WHERE device_key = 'uitd:889' AND device_seq = 4; COMMIT;`);
    const io = captureIo();
    expect(await runCli(['verify-chain', '--database-url', db.ownerUrl], io)).toBe(1);
    expect(io.stdout()).toMatch(/BROKEN raw_frames uitd:889 at device_seq 4 .*hash-mismatch/);
    const json = captureIo();
    expect(await runCli(['verify-chain', '--database-url', db.ownerUrl, '--json'], json)).toBe(1);
    expect(JSON.parse(json.stdout()).breaks).toEqual([
      expect.objectContaining({ deviceKey: 'uitd:889', deviceSeq: '4', kind: 'hash-mismatch' }),
    ]);
  });

  it('refuses an unknown table as a usage error (exit 2)', async () => {
    const io = captureIo();
    expect(await runCli(['verify-chain', '--table', 'users', '--database-url', db.ownerUrl], io)).toBe(2);
    expect(io.stderr()).toContain("unknown table 'users'");
  });

  it('says where to find a database when there is none (exit 1)', async () => {
    const io = captureIo({ FIREIOT_DATA_DIR: '/nonexistent/fireiot' });
    expect(await runCli(['verify-chain'], io)).toBe(1);
    expect(JSON.parse(io.stdout())).toMatchObject({ error: { code: 'database-unavailable' } });
  });
});
