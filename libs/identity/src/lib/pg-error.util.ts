import { DatabaseError } from 'pg';

/** PostgreSQL SQLSTATE codes the repositories translate into domain errors. */
export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';

export function isPgError(error: unknown, sqlState: string): error is DatabaseError {
  return error instanceof DatabaseError && error.code === sqlState;
}
