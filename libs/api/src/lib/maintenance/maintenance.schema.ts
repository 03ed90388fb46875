import { z } from 'zod';
import { UUID_PATTERN } from '../http/uuid.util';

const uuid = (what: string) => z.string().regex(UUID_PATTERN, `${what} (UUID)`);
const isoTime = z.iso.datetime({ offset: true });
const limit = z.coerce.number().int().min(1).max(1000).default(200);
const offset = z.coerce.number().int().min(0).max(10_000_000).default(0);

/** `GET /api/maintenance/due` (CQC/SC 11002 4.4.4, Annex A). */
export const dueQuerySchema = z.strictObject({
  /** Only this unit's devices (never the platform's items). */
  unitId: uuid('a unit id').optional(),
  /** `due` or `overdue` alone, or `all` (ok too). Totals are counted over every status. */
  status: z.enum(['due', 'overdue', 'all']).default('all'),
  limit,
  offset,
});
export type DueQuery = z.infer<typeof dueQuerySchema>;

/** `POST /api/maintenance/records`: an item of the plan done on a device, or on the platform (no deviceId). */
export const recordBodySchema = z.strictObject({
  itemId: z.string().min(1).max(80),
  deviceId: uuid('a device id').optional(),
  /** When it was done; default now. Not in the future, not before the device (platform) existed. */
  doneAt: isoTime.optional(),
  note: z.string().max(2000).optional(),
});
export type RecordBody = z.infer<typeof recordBodySchema>;

/** `GET /api/maintenance/records`: from inclusive, to exclusive (done_at). */
export const recordsQuerySchema = z
  .strictObject({
    deviceId: uuid('a device id').optional(),
    unitId: uuid('a unit id').optional(),
    itemId: z.string().min(1).max(80).optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    limit,
    offset,
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), {
    message: 'from must be before to',
    path: ['from'],
  });
export type RecordsQuery = z.infer<typeof recordsQuerySchema>;
