import { PartitionMaintenance } from './migration.runner';
import { startTestDatabase, TestDatabase } from './test-database.test-util';

jest.setTimeout(60_000);

describe(PartitionMaintenance.name, () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await startTestDatabase();
  });
  afterAll(async () => {
    await db.stop();
  });

  async function partitionsOf(table: string): Promise<string[]> {
    const rows = await db.sql<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass ORDER BY 1`,
      [table],
    );
    return rows.map((r) => r.name);
  }

  it('start-up made this month, the next two and a DEFAULT partition of each raw table', async () => {
    for (const table of ['raw_frames', 'raw_mqtt', 'quarantine']) {
      const parts = await partitionsOf(table);
      expect(parts).toHaveLength(4);
      expect(parts).toContain(`${table}_default`);
    }
  });

  it('creates a missing coming month again while running, protected like the others', async () => {
    const before = await partitionsOf('raw_frames');
    const last = before.filter((p) => p !== 'raw_frames_default').at(-1) as string;
    await db.sql(`DROP TABLE ${last}`);
    expect(await new PartitionMaintenance(db.ownerUrl).run()).toBe(1);
    expect(await partitionsOf('raw_frames')).toEqual(before);
    await expect(db.sql(`TRUNCATE ${last}`)).rejects.toThrow(/append-only/);
  });

  it('does nothing when every partition is there', async () => {
    expect(await new PartitionMaintenance(db.ownerUrl).run()).toBe(0);
  });
});
