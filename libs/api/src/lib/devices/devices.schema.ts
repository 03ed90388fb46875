import { z } from 'zod';
import { UUID_PATTERN } from '../http/uuid.util';

/** GB/T 26875.3 addresses are 6 bytes: 0 … 2^48 − 1. */
export const MAX_UITD_ADDRESS = (1n << 48n) - 1n;

/** The gateway's MQTT device-id grammar (docs/mqtt.md): the device's MQTT username and client id. */
export const MQTT_DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;

const seconds = z.number().int('whole seconds').positive('more than 0 seconds');

/**
 * A device profile's overrides (CQC/SC 11002 4.4.2); absent or null = the default for the
 * device's kind and power source. The whole profile is then checked against 4.4.2's limits.
 */
export const profileSchema = z.strictObject({
  heartbeatS: seconds.max(86_400).nullable().optional(),
  silenceThresholdS: seconds.max(90_000).nullable().optional(),
  patrolPeriodS: seconds.max(86_400).nullable().optional(),
});
export type ProfileBody = z.infer<typeof profileSchema>;

const common = {
  unitId: z.string().regex(UUID_PATTERN, 'a unit id (UUID)'),
  power: z.enum(['mains', 'battery']),
  profile: profileSchema.optional(),
  /** Where the device is ("B1 fire control room"). */
  description: z.string().trim().min(1).max(200).optional(),
};

/**
 * `POST /api/devices`. `address`: a UITD's GB/T 26875.3 source address as a decimal string (the
 * `source.value` of `fireiot decode`), or a collector's MQTT device id.
 */
export const createDeviceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...common,
    kind: z.literal('uitd'),
    address: z
      .string()
      .regex(/^[0-9]{1,20}$/, 'the GB/T 26875.3 source address as a decimal string')
      .refine((a) => BigInt(a) <= MAX_UITD_ADDRESS, `at most ${MAX_UITD_ADDRESS} (6 bytes)`)
      .transform((a) => BigInt(a).toString()),
  }),
  z.strictObject({
    ...common,
    kind: z.literal('collector'),
    address: z.string().regex(MQTT_DEVICE_ID, 'the MQTT device id: 1 to 64 of A-Z a-z 0-9 . _ -'),
  }),
]);
export type CreateDeviceBody = z.infer<typeof createDeviceSchema>;

/** `GET /api/devices/:id/readings` (CQC/SC 11002 4.2 b): the latest uploads, newest first. */
export const readingsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(20),
});
export type ReadingsQuery = z.infer<typeof readingsQuerySchema>;
