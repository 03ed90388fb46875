export type StorageErrorCode =
  'database-unavailable' | 'embedded-start-failed' | 'migration-failed' | 'write-failed' | 'overloaded' | 'closed';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}
