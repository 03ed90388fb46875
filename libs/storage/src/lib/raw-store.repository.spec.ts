import { Pool } from 'pg';
import { createAppPool } from './app.pool';
import { ChainVerifier } from './chain.verifier';
import { chainHash, GENESIS_HASH } from './hash.chain';
import { FrameRow, RawStore } from './raw-store.repository';
import { startTestDatabase, TestDatabase } from './test-database.test-util';

jest.setTimeout(60_000);

const T0 = 1_763_781_234_567_890n;

function frame(deviceKey: string, n: number, overrides: Partial<FrameRow> = {}): FrameRow {
  return {
    deviceKey,
    receivedAtUs: T0 + BigInt(n) * 1000n,
    receivedMonoNs: BigInt(n),
    gatewayId: 'gw-test',
    peer: '127.0.0.1:5000',
    registered: false,
    bytes: Buffer.from([0x40, 0x40, n & 0xff, 0x23, 0x23]),
    serial: n,
    command: 2,
    aduType: 2,
    ...overrides,
  };
}

describe(RawStore.name, () => {
  let db: TestDatabase;
  let pool: Pool;
  let store: RawStore;

  beforeAll(async () => {
    db = await startTestDatabase();
    pool = createAppPool(db.ownerUrl);
  });
  afterAll(async () => {
    await pool.end();
    await db.stop();
  });
  beforeEach(() => {
    store = new RawStore(pool, { batchMs: 2 });
  });
  afterEach(async () => {
    await store.close();
  });

  it('detects the partitioning mode at start-up (native here: no TimescaleDB)', () => {
    expect(db.migration.partitioning).toBe('native');
    expect(db.migration.applied).toEqual([
      '1763780000000_raw-storage',
      '1763790000000_alerting',
      '1763800000000_watchdog',
      '1763810000000_console',
      '1763820000000_open-alerts',
    ]);
  });

  it('stores rows in group commits, each promise resolving after its row is visible', async () => {
    const stored = await Promise.all(Array.from({ length: 300 }, (_, n) => store.appendFrame(frame('uitd:1', n))));
    const rows = await db.sql<{ n: string }>("SELECT count(*) AS n FROM raw_frames WHERE device_key = 'uitd:1'");
    expect(rows[0]?.n).toBe('300');
    expect(store.stats().batches).toBeLessThan(300);
    expect(stored.map((s) => s.deviceSeq)).toEqual(Array.from({ length: 300 }, (_, n) => String(n + 1)));
  });

  it('chains each device: hash = sha256(prev ‖ receivedAt µs ‖ bytes), genesis 32 zero bytes', async () => {
    const a = await store.appendFrame(frame('uitd:2', 0));
    const b = await store.appendFrame(frame('uitd:2', 1));
    expect(a.hash).toEqual(chainHash(GENESIS_HASH, T0, frame('uitd:2', 0).bytes));
    expect(b.hash).toEqual(chainHash(a.hash, T0 + 1000n, frame('uitd:2', 1).bytes));
    const rows = await db.sql<{ received: string }>(
      "SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') AS received FROM raw_frames WHERE device_key = 'uitd:2' ORDER BY device_seq",
    );
    expect(rows[0]?.received).toBe('2025-11-22T03:13:54.567890');
  });

  it('continues a chain across restarts of the store (heads read back from the table)', async () => {
    await store.appendFrame(frame('uitd:3', 0));
    await store.close();
    const fresh = new RawStore(pool);
    const next = await fresh.appendFrame(frame('uitd:3', 1));
    await fresh.close();
    expect(next.deviceSeq).toBe('2');
    expect((await new ChainVerifier(pool).verify({ deviceKey: 'uitd:3' })).ok).toBe(true);
  });

  it('refuses UPDATE, DELETE and TRUNCATE through the application connection and as the owner', async () => {
    await store.appendFrame(frame('uitd:4', 0));
    for (const statement of [
      "UPDATE raw_frames SET serial = 9 WHERE device_key = 'uitd:4'",
      "DELETE FROM raw_frames WHERE device_key = 'uitd:4'",
      'TRUNCATE raw_frames',
      'TRUNCATE quarantine',
      "DELETE FROM raw_mqtt WHERE device_key = 'x'",
    ]) {
      await expect(pool.query(statement)).rejects.toThrow(/permission denied|forbidden/);
      await expect(db.sql(statement)).rejects.toThrow(/forbidden: raw data is append-only/);
    }
    // A partition addressed directly is protected too.
    const [part] = await db.sql<{ name: string }>(
      "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'raw_frames'::regclass LIMIT 1",
    );
    await expect(db.sql(`TRUNCATE ${part?.name as string}`)).rejects.toThrow(/append-only/);
    await expect(db.sql(`DELETE FROM ${part?.name as string}`)).rejects.toThrow(/append-only/);
  });

  it('lets verify-chain find a row altered behind the triggers’ back', async () => {
    for (let n = 0; n < 5; n++) await store.appendFrame(frame('uitd:5', n));
    expect((await new ChainVerifier(pool).verify({ deviceKey: 'uitd:5' })).ok).toBe(true);
    // A superuser can switch triggers off; the chain still tells.
    await db.sql(`BEGIN; SET LOCAL session_replication_role = replica;
      UPDATE raw_frames SET bytes = '\\x4040ff2323' WHERE device_key = 'uitd:5' AND device_seq = 3; COMMIT;`);
    const report = await new ChainVerifier(pool).verify({ deviceKey: 'uitd:5' });
    expect(report.ok).toBe(false);
    expect(report.breaks).toEqual([
      expect.objectContaining({ table: 'raw_frames', deviceKey: 'uitd:5', deviceSeq: '3', kind: 'hash-mismatch' }),
    ]);
  });

  it('lets verify-chain find a deleted row in the middle of a chain', async () => {
    for (let n = 0; n < 4; n++) await store.appendFrame(frame('uitd:6', n));
    await db.sql(`BEGIN; SET LOCAL session_replication_role = replica;
      DELETE FROM raw_frames WHERE device_key = 'uitd:6' AND device_seq = 2; COMMIT;`);
    const report = await new ChainVerifier(pool).verify({ deviceKey: 'uitd:6' });
    expect(report.breaks[0]).toMatchObject({ deviceSeq: '3', kind: 'sequence-gap' });
  });

  it('stores MQTT messages and quarantined input in their own chained tables', async () => {
    const mqtt = await store.appendMqtt({
      ...frame('mqtt:s1', 0),
      topic: 'fireiot/v1/devices/s1/events',
      clientId: 's1',
    });
    const bad = await store.appendQuarantine({
      ...frame('peer:10.0.0.1', 0),
      source: 'gb26875',
      reasonCode: 'bad-checksum',
      reason: 'checksum 0x12, computed 0x13',
      topic: null,
    });
    expect(mqtt.deviceSeq).toBe('1');
    expect(bad.deviceSeq).toBe('1');
    const [q] = await db.sql<{ reason_code: string }>(
      "SELECT reason_code FROM quarantine WHERE device_key = 'peer:10.0.0.1'",
    );
    expect(q?.reason_code).toBe('bad-checksum');
    expect((await new ChainVerifier(pool).verify({ tables: ['raw_mqtt', 'quarantine'] })).ok).toBe(true);
  });

  it('fails every caller of a batch that cannot be written, and keeps the chain whole', async () => {
    const bad = store.appendFrame(frame('uitd:7', 0, { serial: -1 as number, command: 99999 })); // smallint overflow
    await expect(bad).rejects.toMatchObject({ code: 'write-failed' });
    const good = await store.appendFrame(frame('uitd:7', 1));
    expect(good.deviceSeq).toBe('1');
  });

  it('commits what is queued on close, then refuses new rows', async () => {
    const pending = Array.from({ length: 50 }, (_, n) => store.appendFrame(frame('uitd:8', n)));
    await store.close();
    await expect(Promise.all(pending)).resolves.toHaveLength(50);
    await expect(store.appendFrame(frame('uitd:8', 99))).rejects.toMatchObject({ code: 'closed' });
  });
});
