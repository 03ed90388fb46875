import { z } from 'zod';

// Login checks only bounds: what a password must look like is for account creation to say.
export const loginSchema = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(200),
});
export type LoginBody = z.infer<typeof loginSchema>;
