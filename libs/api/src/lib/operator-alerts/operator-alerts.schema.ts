import { z } from 'zod';

/** `GET /api/operator-alerts?since=&limit=`. */
export const operatorAlertQuerySchema = z.strictObject({
  /** ISO 8601 time: alerts raised at or after it. */
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type OperatorAlertQuery = z.infer<typeof operatorAlertQuerySchema>;
