import { PASSWORD_MAX, PASSWORD_MIN, USERNAME_PATTERN } from '@fireiot/identity';
import { z } from 'zod';

export const usernameSchema = z
  .string()
  .regex(USERNAME_PATTERN, 'a username has 1 to 64 characters, no whitespace or colon');
export const passwordSchema = z.string().min(PASSWORD_MIN).max(PASSWORD_MAX);

/** `POST /api/units/:id/users`: a unit user (the unit's app channel, CQC/SC 11002 4.3.3). */
export const createUnitUserSchema = z.strictObject({ username: usernameSchema, password: passwordSchema });
export type CreateUnitUserBody = z.infer<typeof createUnitUserSchema>;

/** `POST /api/users`: monitoring-centre accounts (unit users are created under their unit). */
export const createStaffUserSchema = z.strictObject({
  username: usernameSchema,
  password: passwordSchema,
  role: z.enum(['operator', 'auditor']),
});
export type CreateStaffUserBody = z.infer<typeof createStaffUserSchema>;
