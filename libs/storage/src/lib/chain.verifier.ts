import { isoToMicros } from '@fireiot/events';
import { Pool } from 'pg';
import { chainHash, GENESIS_HASH } from './hash.chain';
import { RawTable } from './raw-store.repository';

export type ChainBreakKind = 'hash-mismatch' | 'prev-mismatch' | 'sequence-gap';

export interface ChainBreak {
  readonly table: RawTable;
  readonly deviceKey: string;
  readonly id: string;
  readonly deviceSeq: string;
  readonly receivedAt: string;
  readonly kind: ChainBreakKind;
  readonly detail: string;
}

export interface ChainReport {
  readonly ok: boolean;
  readonly tables: readonly RawTable[];
  readonly devices: number;
  readonly rows: number;
  /** The first break of each broken chain. */
  readonly breaks: readonly ChainBreak[];
}

interface ChainRow {
  id: string;
  device_key: string;
  device_seq: string;
  received_at_iso: string;
  bytes: Buffer;
  prev_hash: Buffer;
  hash: Buffer;
}

/**
 * Recomputes the per-device hash chains of the raw tables (`fireiot verify-chain`): each row's
 * hash must equal sha256(prev_hash ‖ int64_be(received_at µs) ‖ bytes), its prev_hash the hash of
 * the row before it (32 zero bytes for the first), and device_seq must count 1, 2, 3, …
 * A row altered, inserted or removed behind the triggers' back breaks its chain there.
 * (Removing the newest rows of a chain leaves a shorter valid chain; anchoring heads outside the
 * database is a later step.)
 */
export class ChainVerifier {
  constructor(
    private readonly pool: Pool,
    private readonly pageSize = 5000,
  ) {}

  async verify(options: { deviceKey?: string; tables?: readonly RawTable[] } = {}): Promise<ChainReport> {
    const tables = options.tables ?? (['raw_frames', 'raw_mqtt', 'quarantine'] as const);
    const breaks: ChainBreak[] = [];
    let rows = 0;
    let devices = 0;
    for (const table of tables) {
      let current: { key: string; seq: bigint; hash: Buffer; broken: boolean } | null = null;
      let after: { key: string; seq: string } = { key: '', seq: '0' };
      for (;;) {
        const page = await this.page(table, after, options.deviceKey);
        for (const row of page) {
          rows++;
          if (!current || current.key !== row.device_key) {
            devices++;
            current = { key: row.device_key, seq: 0n, hash: GENESIS_HASH, broken: false };
          }
          const seq = BigInt(row.device_seq);
          const problem = check(current, row, seq);
          if (problem && !current.broken) {
            current.broken = true;
            breaks.push({
              table,
              deviceKey: row.device_key,
              id: row.id,
              deviceSeq: row.device_seq,
              receivedAt: row.received_at_iso,
              ...problem,
            });
          }
          current.seq = seq;
          current.hash = row.hash;
        }
        const last = page[page.length - 1];
        if (!last || page.length < this.pageSize) break;
        after = { key: last.device_key, seq: last.device_seq };
      }
    }
    return { ok: breaks.length === 0, tables, devices, rows, breaks };
  }

  private async page(table: RawTable, after: { key: string; seq: string }, deviceKey?: string): Promise<ChainRow[]> {
    const result = await this.pool.query<ChainRow>(
      `SELECT id, device_key, device_seq,
              to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at_iso,
              bytes, prev_hash, hash
         FROM ${table}
        WHERE (device_key, device_seq) > ($1, $2::int8) AND ($3::text IS NULL OR device_key = $3)
        ORDER BY device_key, device_seq
        LIMIT ${this.pageSize}`,
      [after.key, after.seq, deviceKey ?? null],
    );
    return result.rows;
  }
}

function check(
  chain: { seq: bigint; hash: Buffer },
  row: ChainRow,
  seq: bigint,
): { kind: ChainBreakKind; detail: string } | null {
  if (seq !== chain.seq + 1n) {
    return { kind: 'sequence-gap', detail: `device_seq ${seq} follows ${chain.seq}` };
  }
  if (!row.prev_hash.equals(chain.hash)) {
    return {
      kind: 'prev-mismatch',
      detail: `prev_hash ${hex(row.prev_hash)} is not the previous row's hash ${hex(chain.hash)}`,
    };
  }
  const expected = chainHash(row.prev_hash, isoToMicros(row.received_at_iso), row.bytes);
  if (!expected.equals(row.hash)) {
    return {
      kind: 'hash-mismatch',
      detail: `stored hash ${hex(row.hash)}, recomputed ${hex(expected)}: the row was altered`,
    };
  }
  return null;
}

function hex(b: Buffer): string {
  return b.toString('hex').slice(0, 16) + '…';
}
