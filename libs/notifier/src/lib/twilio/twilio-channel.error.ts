/** Why a Twilio request did not get an answer from the provider (or was never made). */
export const TWILIO_CHANNEL_ERROR_CODES = [
  /** TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN / TWILIO_FROM not set: nothing is sent. */
  'not-configured',
  /** The SDK refused the credentials (e.g. an account SID not starting with AC). */
  'invalid-credentials',
  /** A request reached the HTTP client outside an attempt (no idempotency key): refused, never sent. */
  'missing-idempotency-key',
  /** The SDK asked for a host other than api.twilio.com: refused rather than bypassing TWILIO_API_BASE. */
  'unexpected-uri',
  /** No complete answer within `notify.providerTimeoutMs`. */
  'timeout',
  /** Connection refused, reset, DNS failure… */
  'network',
] as const;

export type TwilioChannelErrorCode = (typeof TWILIO_CHANNEL_ERROR_CODES)[number];

export class TwilioChannelError extends Error {
  override readonly name = 'TwilioChannelError';

  constructor(
    readonly code: TwilioChannelErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Whether sending the same request again (same idempotency key) can succeed. */
  get retryable(): boolean {
    switch (this.code) {
      case 'timeout':
      case 'network':
        return true;
      case 'not-configured':
      case 'invalid-credentials':
      case 'missing-idempotency-key':
      case 'unexpected-uri':
        return false;
    }
  }
}
