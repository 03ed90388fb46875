import { Pool } from 'pg';

/** A stored upload of a device, as received (the bytes are decoded by the reader). */
export interface RawReading {
  /** `raw_frames.id` / `raw_mqtt.id` (a bigint, as text). */
  readonly id: string;
  readonly deviceSeq: string;
  /** The platform's receive time, ISO 8601 UTC with µs. */
  readonly receivedAt: string;
  readonly bytes: Buffer;
  /** MQTT: the topic; GB/T 26875.3: null. */
  readonly topic: string | null;
}

interface ReadingRow {
  id: string;
  device_seq: string;
  received_at: string;
  bytes: Buffer;
  topic: string | null;
}

const COLUMNS = `id::text AS id, device_seq::text AS device_seq,
  to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at, bytes`;

/**
 * A device's latest uploads from the raw tables (CQC/SC 11002 4.2 b: the collected facility
 * information), newest first: a backward scan of the `<table>_chain` index (device_key,
 * device_seq) of each partition, stopping after `limit` rows.
 */
export class RawReadingRepository {
  constructor(private readonly pool: Pool) {}

  /** GB/T 26875.3 uploads (command 2, send-data) of a device. */
  async latestFrames(deviceKey: string, limit: number): Promise<RawReading[]> {
    const { rows } = await this.pool.query<ReadingRow>(
      `SELECT ${COLUMNS}, NULL::text AS topic FROM raw_frames
        WHERE device_key = $1 AND command = 2
        ORDER BY device_seq DESC
        LIMIT $2`,
      [deviceKey, limit],
    );
    return rows.map(toReading);
  }

  /** MQTT sensor events (`fireiot/v1/devices/{id}/events`, not heartbeats) of a device. */
  async latestMqttEvents(deviceKey: string, limit: number): Promise<RawReading[]> {
    const { rows } = await this.pool.query<ReadingRow>(
      `SELECT ${COLUMNS}, topic FROM raw_mqtt
        WHERE device_key = $1 AND topic LIKE 'fireiot/v1/devices/%/events'
        ORDER BY device_seq DESC
        LIMIT $2`,
      [deviceKey, limit],
    );
    return rows.map(toReading);
  }
}

function toReading(r: ReadingRow): RawReading {
  return { id: r.id, deviceSeq: r.device_seq, receivedAt: r.received_at, bytes: r.bytes, topic: r.topic };
}
