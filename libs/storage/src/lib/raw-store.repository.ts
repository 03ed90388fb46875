import { Logger } from '@nestjs/common';
import { microsToIso } from '@fireiot/events';
import { Pool, PoolClient } from 'pg';
import { chainHash, GENESIS_HASH } from './hash.chain';
import { StorageError } from './storage.error';

export type RawTable = 'raw_frames' | 'raw_mqtt' | 'quarantine';

interface RawRowBase {
  /** `uitd:<address>`, `mqtt:<device id>`, or for unattributable input `peer:<ip>` / `mqtt-client:<id>`. */
  readonly deviceKey: string;
  readonly receivedAtUs: bigint;
  readonly receivedMonoNs: bigint;
  readonly gatewayId: string;
  readonly peer: string;
  readonly registered: boolean;
  readonly bytes: Buffer;
}
export interface FrameRow extends RawRowBase {
  readonly serial: number;
  readonly command: number;
  readonly aduType: number | null;
}
export interface MqttRow extends RawRowBase {
  readonly topic: string;
  readonly clientId: string;
}
export interface QuarantineRow extends RawRowBase {
  readonly source: 'gb26875' | 'mqtt';
  readonly reasonCode: string;
  readonly reason: string;
  readonly topic: string | null;
}

export interface StoredRow {
  readonly id: string;
  readonly deviceSeq: string;
  readonly hash: Buffer;
}

export interface RawStoreOptions {
  /** Group-commit window: how long the first row of a batch waits for company. */
  readonly batchMs?: number;
  readonly maxBatch?: number;
  /** Rows accepted but not yet committed above which `append*` fails with `overloaded`. */
  readonly maxQueued?: number;
  /** Chain heads kept in memory (the rest are read back from the table when needed). */
  readonly headCacheSize?: number;
}

interface Pending {
  readonly table: RawTable;
  readonly row: FrameRow | MqttRow | QuarantineRow;
  readonly resolve: (stored: StoredRow) => void;
  readonly reject: (error: Error) => void;
}

interface ChainHead {
  seq: bigint;
  hash: Buffer;
}

export interface RawStoreStats {
  committedRows: number;
  batches: number;
  failedBatches: number;
  queued: number;
  lastBatchMs: number;
}

/**
 * The append-only raw store with group commit. Rows from many connections are gathered for a
 * few ms and written in one transaction (one multi-row INSERT per table); each caller's promise
 * resolves only after that transaction commits, so a confirm sent after `await append…()` is sent
 * for a durably stored row (CQC/SC 11002 4.1.3; contract: "confirmed after it is durably stored").
 *
 * One batch is in flight at a time: a device's chain (device_seq, prev_hash → hash) is extended
 * in commit order, and a failed batch leaves no gap (its heads are not advanced, its callers get
 * an error and their devices retransmit).
 */
export class RawStore {
  private readonly logger = new Logger(RawStore.name);
  private readonly batchMs: number;
  private readonly maxBatch: number;
  private readonly maxQueued: number;
  private readonly headCacheSize: number;
  private readonly heads = new Map<string, ChainHead>();
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  /** Rows of the batch in flight. */
  private writing = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly counters: RawStoreStats = {
    committedRows: 0,
    batches: 0,
    failedBatches: 0,
    queued: 0,
    lastBatchMs: 0,
  };

  constructor(
    private readonly pool: Pool,
    options: RawStoreOptions = {},
  ) {
    this.batchMs = options.batchMs ?? 2;
    this.maxBatch = options.maxBatch ?? 2000;
    this.maxQueued = options.maxQueued ?? 50_000;
    this.headCacheSize = options.headCacheSize ?? 500_000;
  }

  appendFrame(row: FrameRow): Promise<StoredRow> {
    return this.enqueue('raw_frames', row);
  }

  appendMqtt(row: MqttRow): Promise<StoredRow> {
    return this.enqueue('raw_mqtt', row);
  }

  appendQuarantine(row: QuarantineRow): Promise<StoredRow> {
    return this.enqueue('quarantine', row);
  }

  /**
   * Rows accepted and not yet committed, the batch being written included: the gateway pauses
   * sockets while this is high (backpressure).
   */
  get backlog(): number {
    return this.queue.length + this.writing;
  }

  stats(): RawStoreStats {
    return { ...this.counters, queued: this.queue.length };
  }

  /** Commits everything queued, then refuses new rows. */
  async close(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      if (!this.flushing) this.startFlush();
      await this.flushing;
    }
    this.closed = true;
  }

  private enqueue(table: RawTable, row: Pending['row']): Promise<StoredRow> {
    if (this.closed) return Promise.reject(new StorageError('closed', 'the raw store is closed'));
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(new StorageError('overloaded', `storage backlog of ${this.queue.length} rows`));
    }
    return new Promise<StoredRow>((resolve, reject) => {
      this.queue.push({ table, row, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushing || this.timer) return;
    if (this.queue.length >= this.maxBatch || this.batchMs === 0) {
      this.startFlush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.startFlush();
    }, this.batchMs);
  }

  private startFlush(): void {
    if (this.flushing || this.queue.length === 0) return;
    const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
    this.queue = batch === this.queue ? [] : this.queue.slice(this.maxBatch);
    this.writing = batch.length;
    this.flushing = this.write(batch).finally(() => {
      this.flushing = null;
      this.writing = 0;
      // Whatever arrived during the write goes at once: under load, batches size themselves.
      if (this.queue.length > 0) this.startFlush();
    });
  }

  private async write(batch: Pending[]): Promise<void> {
    const started = performance.now();
    let client: PoolClient | null = null;
    try {
      client = await this.pool.connect();
      await this.loadHeads(client, batch);
      const staged = new Map<string, ChainHead>();
      const results: StoredRow[] = [];
      const byTable: Record<RawTable, (Staged & { index: number })[]> = {
        raw_frames: [],
        raw_mqtt: [],
        quarantine: [],
      };
      batch.forEach((pending, index) => {
        const key = headKey(pending.table, pending.row.deviceKey);
        const head = staged.get(key) ?? this.heads.get(key) ?? { seq: 0n, hash: GENESIS_HASH };
        const hash = chainHash(head.hash, pending.row.receivedAtUs, pending.row.bytes);
        const next = { seq: head.seq + 1n, hash };
        staged.set(key, next);
        byTable[pending.table].push({ pending, seq: next.seq, prev: head.hash, hash, index });
      });
      await client.query('BEGIN');
      for (const table of ['raw_frames', 'raw_mqtt', 'quarantine'] as const) {
        const rows = byTable[table];
        if (rows.length === 0) continue;
        const ids = await insertRows(client, table, rows);
        rows.forEach((r, i) => {
          results[r.index] = { id: ids[i] as string, deviceSeq: String(r.seq), hash: r.hash };
        });
      }
      await client.query('COMMIT');
      for (const [key, head] of staged) this.remember(key, head);
      this.counters.committedRows += batch.length;
      this.counters.batches++;
      this.counters.lastBatchMs = performance.now() - started;
      batch.forEach((pending, i) => pending.resolve(results[i] as StoredRow));
    } catch (error) {
      if (client) await client.query('ROLLBACK').catch(() => undefined);
      this.counters.failedBatches++;
      // Heads of this batch are unknown now (the commit may or may not have happened): reload.
      for (const p of batch) this.heads.delete(headKey(p.table, p.row.deviceKey));
      this.logger.error({ msg: 'raw batch not stored', rows: batch.length, error: String(error) });
      const failure = new StorageError('write-failed', `raw rows not stored: ${String(error)}`, { cause: error });
      for (const p of batch) p.reject(failure);
    } finally {
      client?.release();
    }
  }

  /** Reads the chain heads this batch needs and the cache lacks. */
  private async loadHeads(client: PoolClient, batch: Pending[]): Promise<void> {
    const missing: Record<RawTable, Set<string>> = {
      raw_frames: new Set(),
      raw_mqtt: new Set(),
      quarantine: new Set(),
    };
    for (const p of batch) {
      if (!this.heads.has(headKey(p.table, p.row.deviceKey))) missing[p.table].add(p.row.deviceKey);
    }
    for (const table of ['raw_frames', 'raw_mqtt', 'quarantine'] as const) {
      const keys = [...missing[table]];
      if (keys.length === 0) continue;
      const found = await client.query<{ device_key: string; device_seq: string; hash: Buffer }>(
        `SELECT h.device_key, h.device_seq, h.hash FROM unnest($1::text[]) AS k(device_key)
         CROSS JOIN LATERAL (SELECT device_key, device_seq, hash FROM ${table} t
           WHERE t.device_key = k.device_key ORDER BY device_seq DESC LIMIT 1) h`,
        [keys],
      );
      for (const row of found.rows)
        this.remember(headKey(table, row.device_key), { seq: BigInt(row.device_seq), hash: row.hash });
    }
  }

  private remember(key: string, head: ChainHead): void {
    this.heads.delete(key);
    this.heads.set(key, head);
    if (this.heads.size > this.headCacheSize) {
      const oldest = this.heads.keys().next();
      if (!oldest.done) this.heads.delete(oldest.value);
    }
  }
}

function headKey(table: RawTable, deviceKey: string): string {
  return `${table}\u0000${deviceKey}`;
}

type Staged = { pending: Pending; seq: bigint; prev: Buffer; hash: Buffer };

const COMMON = [
  'device_key',
  'device_seq',
  'received_at',
  'received_mono_ns',
  'gateway_id',
  'peer',
  'registered',
  'bytes',
  'prev_hash',
  'hash',
];
const COMMON_TYPES = ['text', 'int8', 'timestamptz', 'int8', 'text', 'text', 'bool', 'bytea', 'bytea', 'bytea'];
const EXTRA: Record<RawTable, { columns: string[]; types: string[] }> = {
  raw_frames: { columns: ['serial', 'command', 'adu_type'], types: ['int4', 'int2', 'int2'] },
  raw_mqtt: { columns: ['topic', 'client_id'], types: ['text', 'text'] },
  quarantine: { columns: ['source', 'reason_code', 'reason', 'topic'], types: ['text', 'text', 'text', 'text'] },
};
const INSERT_SQL: Record<RawTable, string> = Object.fromEntries(
  (['raw_frames', 'raw_mqtt', 'quarantine'] as const).map((table) => {
    const columns = [...COMMON, ...EXTRA[table].columns];
    const types = [...COMMON_TYPES, ...EXTRA[table].types];
    const params = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
    return [
      table,
      `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${params}) RETURNING id, device_key, device_seq`,
    ];
  }),
) as Record<RawTable, string>;

/** One multi-row INSERT (column arrays through unnest); returns ids in input order. */
async function insertRows(client: PoolClient, table: RawTable, rows: Staged[]): Promise<string[]> {
  const columns: unknown[][] = Array.from({ length: COMMON.length + EXTRA[table].columns.length }, () => []);
  for (const { pending, seq, prev, hash } of rows) {
    const r = pending.row;
    const values: unknown[] = [
      r.deviceKey,
      String(seq),
      microsToIso(r.receivedAtUs),
      String(r.receivedMonoNs),
      r.gatewayId,
      r.peer,
      r.registered,
      r.bytes,
      prev,
      hash,
    ];
    switch (table) {
      case 'raw_frames': {
        const f = r as FrameRow;
        values.push(f.serial, f.command, f.aduType);
        break;
      }
      case 'raw_mqtt': {
        const m = r as MqttRow;
        values.push(m.topic, m.clientId);
        break;
      }
      case 'quarantine': {
        const q = r as QuarantineRow;
        values.push(q.source, q.reasonCode, q.reason, q.topic);
        break;
      }
    }
    values.forEach((v, i) => (columns[i] as unknown[]).push(v));
  }
  const result = await client.query<{ id: string; device_key: string; device_seq: string }>(INSERT_SQL[table], columns);
  const idOf = new Map(result.rows.map((row) => [`${row.device_key}\u0000${row.device_seq}`, row.id]));
  return rows.map(({ pending, seq }) => {
    const id = idOf.get(`${pending.row.deviceKey}\u0000${seq}`);
    if (id === undefined) throw new StorageError('write-failed', `no id returned for ${pending.row.deviceKey}#${seq}`);
    return id;
  });
}
