import { z } from 'zod';

/**
 * Messages the ingestion tier publishes. Every message is validated by the bus when it is
 * published and again when it is consumed (a bus is a trust boundary: another process, another
 * version, or a hand-written test may be on the other end).
 */

/** Wall-clock receive time taken at the socket, ISO 8601 UTC with microseconds. */
export const isoMicros = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/, 'ISO time with µs, UTC');
/** A bigint carried as a decimal string (row ids, 48-bit addresses). */
export const decimalString = z.string().regex(/^\d{1,20}$/, 'decimal integer string');

/** A JSON object whose fields this schema leaves open (per-type ADU objects). */
const jsonObject = z.custom<object>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  'expected an object',
);

const codeName = z.object({ code: z.number().int(), name: z.string() });

/** The decoded frame JSON of contract.md ("Decoded frame JSON"); per-object fields stay open. */
export const frameJsonSchema = z.object({
  serial: z.number().int().min(0).max(0xffff),
  version: z.object({ major: z.number().int(), minor: z.number().int() }),
  sentAt: z.string(),
  source: z.object({ hex: z.string(), value: decimalString }),
  destination: z.object({ hex: z.string(), value: decimalString }),
  command: codeName,
  adu: z
    .object({
      type: codeName,
      objects: z.array(jsonObject).readonly(),
      raw: z.string(),
    })
    .nullable(),
});
export type FrameJson = z.infer<typeof frameJsonSchema>;

/** Where a message came from, and whether the platform knows the device. */
const origin = {
  /** Id of the stored raw row (raw_frames / raw_mqtt), as a decimal string. */
  rawId: decimalString,
  /** Device key: `uitd:<48-bit address>` or `mqtt:<device id>`. */
  deviceKey: z.string().min(1).max(200),
  /** The device's registry id, or null if the device is not registered (data kept, flagged). */
  deviceId: z.string().nullable(),
  receivedAt: isoMicros,
  gatewayId: z.string().min(1),
};

/** A valid GB/T 26875.3 upload, stored and confirmed. */
export const frameReceivedSchema = z.object({ ...origin, frame: frameJsonSchema });
export type FrameReceived = z.infer<typeof frameReceivedSchema>;

/** Sensor payloads published over MQTT to `fireiot/v1/devices/{deviceId}/events` (docs/mqtt.md). */
const sensorCommon = {
  /** Device's own time, ISO 8601 with zone; the platform's receive time is authoritative. */
  at: z.iso.datetime({ offset: true }).optional(),
  /** Device's message sequence number, for the operator's eyes. */
  seq: z.number().int().min(0).optional(),
  /** Where the sensor is ("B1 pump room"), at most 100 characters. */
  location: z.string().max(100).optional(),
};
export const sensorPayloadSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...sensorCommon,
    kind: z.literal('water-pressure'),
    /** MPa */
    value: z.number().min(-1).max(100),
    /** e.g. "most-unfavourable-point", "test-hydrant", "outdoor-hydrant", "sprinkler-zone" */
    point: z.string().max(60).optional(),
  }),
  z.strictObject({
    ...sensorCommon,
    kind: z.literal('water-level'),
    /** metres */
    value: z.number().min(-10).max(1000),
    tank: z.string().max(60).optional(),
  }),
  z.strictObject({
    ...sensorCommon,
    kind: z.literal('pump-cabinet'),
    pump: z.enum(['fire-pump', 'jockey-pump']),
    mode: z.enum(['auto', 'manual', 'stopped']),
    power: z.enum(['normal', 'fault']),
    running: z.boolean(),
  }),
  z.strictObject({
    ...sensorCommon,
    kind: z.literal('smoke-detector'),
    state: z.enum(['normal', 'fire-alarm', 'fault', 'low-battery', 'tamper']),
    /** percent */
    battery: z.number().min(0).max(100).optional(),
  }),
]);
export type SensorPayload = z.infer<typeof sensorPayloadSchema>;

/** Heartbeat payload on `…/heartbeat`: may be empty (`{}`). */
export const heartbeatPayloadSchema = z.strictObject({
  at: z.iso.datetime({ offset: true }).optional(),
  battery: z.number().min(0).max(100).optional(),
  rssi: z.number().min(-200).max(0).optional(),
});
export type HeartbeatPayload = z.infer<typeof heartbeatPayloadSchema>;

/** A valid MQTT sensor event, stored. */
export const sensorEventSchema = z.object({ ...origin, payload: sensorPayloadSchema });
export type SensorEvent = z.infer<typeof sensorEventSchema>;

/**
 * Device presence, the watchdog's input (CQC/SC 11002 4.4.2): a connection opened or closed, a
 * sign of life (any frame or MQTT message of the device, at most one message per device every
 * `FIREIOT_PRESENCE_INTERVAL_S`; GB/T 26875.3 heartbeats and MQTT heartbeats always), or a patrol
 * query (type 81) the device left unanswered after the standard's retries.
 */
export const devicePresenceSchema = z.object({
  deviceKey: z.string().min(1).max(200),
  deviceId: z.string().nullable(),
  event: z.enum(['connected', 'heartbeat', 'disconnected', 'patrol-missed']),
  at: isoMicros,
  gatewayId: z.string().min(1),
  /** For `disconnected`: closed by peer, reset, idle timeout, replaced by a newer connection… */
  reason: z.string().max(200).optional(),
  /**
   * For `disconnected`: who ended the link. `peer` (closed, reset, timed out: a loss) or the
   * platform, which is not a loss of the device: `replaced` (the device opened a newer
   * connection) and `shutdown` (the platform is stopping); `platform` (protocol abuse, idle).
   */
  closedBy: z.enum(['peer', 'platform', 'replaced', 'shutdown']).optional(),
  peer: z.string().max(100).optional(),
  /** For `patrol-missed`: the patrol's id (patrol_records.patrol_id). */
  patrolId: z.uuid().optional(),
});
export type DevicePresence = z.infer<typeof devicePresenceSchema>;
