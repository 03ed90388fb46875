/**
 * Failures of secret hashing.
 *
 * - `invalid-secret`: a secret that cannot be hashed (empty, longer than 1024 bytes).
 */
export type SecretErrorCode = 'invalid-secret';

export class SecretError extends Error {
  constructor(
    readonly code: SecretErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SecretError';
  }
}
