import { Pool } from 'pg';

export interface RawRow {
  readonly id: string;
  readonly deviceKey: string;
  readonly receivedAt: string;
  readonly bytes: Buffer;
  /** raw_mqtt: the topic; raw_frames: null. */
  readonly topic: string | null;
}

/**
 * Reads raw rows received after a time, in id order, a page at a time: what the pipeline
 * replays after a crash (the raw tables are the outbox of the ingestion tier).
 */
export class RawReplayRepository {
  constructor(private readonly pool: Pool) {}

  async *rows(table: 'raw_frames' | 'raw_mqtt', since: string, pageSize = 2000): AsyncGenerator<RawRow[]> {
    let after = '0';
    // Only uploads (command 2) can carry states; MQTT rows are events and heartbeats.
    const filter = table === 'raw_frames' ? 'AND command = 2' : '';
    const topic = table === 'raw_mqtt' ? 'topic' : 'NULL::text AS topic';
    for (;;) {
      const { rows } = await this.pool.query<{
        id: string;
        device_key: string;
        received_at: string;
        bytes: Buffer;
        topic: string | null;
      }>(
        `SELECT id::text AS id, device_key,
                to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at,
                bytes, ${topic}
           FROM ${table}
          WHERE received_at > $1 AND id > $2 ${filter}
          ORDER BY id
          LIMIT $3`,
        [since, after, pageSize],
      );
      if (rows.length === 0) return;
      yield rows.map((r) => ({
        id: r.id,
        deviceKey: r.device_key,
        receivedAt: r.received_at,
        bytes: r.bytes,
        topic: r.topic,
      }));
      after = rows[rows.length - 1]?.id ?? after;
      if (rows.length < pageSize) return;
    }
  }
}
