export type BusErrorCode = 'invalid-message' | 'unknown-topic' | 'closed' | 'not-started' | 'broker-error';

export class BusError extends Error {
  constructor(
    readonly code: BusErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BusError';
  }
}
