/**
 * Failures of identity and provisioning, each meaning one thing to a client (the API maps every
 * code to an HTTP status with an exhaustive switch).
 *
 * - `invalid-credentials`: unknown user or wrong password (deliberately the same error).
 * - `too-many-attempts`: too many failed logins for this username from this address lately;
 *   `retryAfterMs` says when the next attempt will be heard.
 * - `token-missing`, `token-invalid`, `token-expired`: the bearer token is absent, unknown or
 *   malformed, or past its expiry.
 * - `forbidden`: authenticated, but the role may not do this.
 * - `invalid-input`: a value the domain refuses (role without its unit, too short a password…).
 * - `username-taken`, `device-exists`: the unique name or device address is already used.
 * - `unit-not-found`, `device-not-found`: no such record, or not visible to the caller (a unit
 *   user asking for another unit's records gets "not found", never "forbidden").
 */
export type IdentityErrorCode =
  | 'invalid-credentials'
  | 'too-many-attempts'
  | 'token-missing'
  | 'token-invalid'
  | 'token-expired'
  | 'forbidden'
  | 'invalid-input'
  | 'username-taken'
  | 'device-exists'
  | 'unit-not-found'
  | 'device-not-found';

export class IdentityError extends Error {
  /** `too-many-attempts`: how long until the next attempt is heard. */
  readonly retryAfterMs: number | null;

  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.name = 'IdentityError';
    this.retryAfterMs = options?.retryAfterMs ?? null;
  }
}
