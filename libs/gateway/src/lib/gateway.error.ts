export type GatewayErrorCode =
  | 'device-not-connected'
  | 'downlink-timeout'
  | 'downlink-denied'
  | 'connection-closed'
  | 'invalid-downlink'
  | 'shutting-down'
  /** The caller withdrew the request (its AbortSignal): a patrol of a connection being released. */
  | 'aborted';

export class GatewayError extends Error {
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GatewayError';
  }
}
