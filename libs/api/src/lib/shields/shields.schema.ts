import { z } from 'zod';

const YEAR_MS = 366 * 24 * 3600 * 1000;

/**
 * `POST /api/devices/:id/shields` (CQC/SC 11002 4.4.4): shield a device (no `subject`) or one part
 * of it (an alert subject: `sys:1/1/comp:131082`, `link`, `sensor`, …) until `expiresAt`, saying why.
 */
export const shieldSchema = z.strictObject({
  subject: z.string().trim().min(1).max(200).optional(),
  reason: z.string().trim().min(1, 'say why the device is shielded').max(500),
  expiresAt: z.iso
    .datetime({ offset: true })
    .refine((t) => Date.parse(t) > Date.now(), 'must be in the future')
    .refine((t) => Date.parse(t) <= Date.now() + YEAR_MS, 'at most a year ahead: shields are until repaired'),
});
export type ShieldBody = z.infer<typeof shieldSchema>;

export const liftSchema = z.strictObject({
  reason: z.string().trim().min(1, 'say why the shield is lifted').max(500),
});
export type LiftBody = z.infer<typeof liftSchema>;

export const shieldQuerySchema = z.strictObject({
  deviceId: z.uuid().optional(),
  unitId: z.uuid().optional(),
  active: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(5000).optional(),
});
export type ShieldQuery = z.infer<typeof shieldQuerySchema>;
