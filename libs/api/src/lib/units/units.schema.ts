import type { AlertKind } from '@fireiot/alerting';
import { z } from 'zod';

const ALERT_KINDS = [
  'fire-alarm',
  'fault',
  'abnormal',
  'communication-loss',
  'restored',
] as const satisfies readonly AlertKind[];

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** `POST /api/units`. */
export const createUnitSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  /** CQC/SC 11002 4.3.4: the alert kinds the service agreement covers (default: all). */
  monitoringScope: z.array(z.enum(ALERT_KINDS)).min(1).transform(unique).optional(),
  faultPolicy: z.enum(['all-channels', 'escalate']).optional(),
  /** Nobody confirmed within this time → the next contact is called (default: the platform's). */
  escalateAfterS: z.number().int().min(1).max(86_400).optional(),
});
export type CreateUnitBody = z.infer<typeof createUnitSchema>;

/** E.164 (ITU-T E.164): "+", country code, subscriber number; 7–15 digits. Spaces, dashes, dots and brackets are dropped. */
export const phoneSchema = z
  .string()
  .max(40)
  .transform((s) => s.replace(/[\s\-.()]/g, ''))
  .pipe(z.string().regex(/^\+[1-9][0-9]{6,14}$/, 'an E.164 number: "+", then 7 to 15 digits (country code first)'));

/** `POST /api/units/:id/contacts`: a person reached by SMS and/or voice (CQC/SC 11002 4.3.3). */
export const createContactSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  phone: phoneSchema,
  channels: z
    .array(z.enum(['sms', 'voice']))
    .min(1)
    .max(10)
    .transform(unique),
  /** Lower first; default: after the unit's last contact. */
  escalationOrder: z.number().int().min(0).max(1_000_000).optional(),
});
export type CreateContactBody = z.infer<typeof createContactSchema>;
