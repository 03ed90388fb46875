import { z } from 'zod';

const isoTime = z.iso.datetime({ offset: true });
const note = z.string().trim().min(1, 'write something').max(1000);
/** An optional note: absent, or blank, is none. */
const optionalNote = z
  .string()
  .trim()
  .max(1000)
  .transform((n) => (n === '' ? undefined : n))
  .optional();

/** `GET /api/duty` (CQC/SC 11002 5.4.1 a): entries at or after `from`, before `to`, newest first. */
export const dutyQuerySchema = z
  .strictObject({
    from: isoTime.optional(),
    to: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), {
    message: 'from must be before to',
    path: ['from'],
  });
export type DutyQuery = z.infer<typeof dutyQuerySchema>;

/** `POST /api/duty/start`, `POST /api/duty/end`. */
export const shiftSchema = z.strictObject({ note: optionalNote });
export type ShiftBody = z.infer<typeof shiftSchema>;

/** `POST /api/duty/entries`: what happened during the shift (5.4.1 a: the duty record). */
export const entrySchema = z.strictObject({ note });
export type EntryBody = z.infer<typeof entrySchema>;

/** `POST /api/duty/handover` (5.4.1 b): to whom (a username) and what the next shift must know. */
export const handoverSchema = z.strictObject({
  to: z.string().trim().min(1, 'the username of the operator taking over').max(64),
  note: z.string().trim().min(1, 'say what the next shift must know').max(1000),
});
export type HandoverBody = z.infer<typeof handoverSchema>;
