import { Inject, Injectable, Logger } from '@nestjs/common';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { validateRequest } from 'twilio';
import { PROVIDER_STATUS_SINK, ProviderStatusReport, ProviderStatusSink } from '../channel.port';

/** A status callback as the HTTP layer received it. */
export interface TwilioStatusCallback {
  /** `X-Twilio-Signature`. */
  readonly signature: string | undefined;
  /** The request's path and query exactly as received (express `req.originalUrl`). */
  readonly originalUrl: string;
  /** The parsed form body (flat `name → value`). */
  readonly body: unknown;
  /** The `attempt` query parameter. */
  readonly attemptKey: string | undefined;
}

export type TwilioStatusOutcome =
  | { readonly kind: 'recorded'; readonly report: ProviderStatusReport }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'refused'; readonly status: 400 | 403 | 404; readonly reason: string };

/** Twilio's message and call statuses that end an attempt; every other one is intermediate. */
const FINAL_STATUS: Readonly<Record<string, ProviderStatusReport['status']>> = {
  delivered: 'delivered',
  completed: 'delivered',
  failed: 'failed',
  undelivered: 'failed',
  busy: 'failed',
  'no-answer': 'failed',
  canceled: 'failed',
};

/**
 * Authenticates a Twilio delivery report and hands it to the status sink: the provider's word on
 * whether the SMS reached the handset or the call was answered (evidence for CQC/SC 11002 4.3.3).
 */
@Injectable()
export class TwilioStatusService {
  private readonly logger = new Logger(TwilioStatusService.name);

  constructor(
    @Inject(FIREIOT_CONFIG) private readonly config: FireiotConfig,
    @Inject(PROVIDER_STATUS_SINK) private readonly sink: ProviderStatusSink,
  ) {}

  async handle(callback: TwilioStatusCallback): Promise<TwilioStatusOutcome> {
    const outcome = await this.decide(callback);
    switch (outcome.kind) {
      case 'recorded':
        this.logger.debug({
          msg: 'twilio status recorded',
          attemptKey: outcome.report.attemptKey,
          providerRef: outcome.report.providerRef,
          status: outcome.report.status,
        });
        break;
      case 'ignored':
        this.logger.debug({ msg: 'twilio status ignored', attemptKey: callback.attemptKey, reason: outcome.reason });
        break;
      case 'refused':
        this.logger.warn({
          msg: 'twilio status refused',
          attemptKey: callback.attemptKey,
          status: outcome.status,
          reason: outcome.reason,
        });
        break;
    }
    return outcome;
  }

  private async decide(callback: TwilioStatusCallback): Promise<TwilioStatusOutcome> {
    const credentials = this.config.twilio.credentials;
    if (credentials === null) return { kind: 'refused', status: 404, reason: 'Twilio is not configured' };
    if (callback.signature === undefined || callback.signature === '') {
      return { kind: 'refused', status: 403, reason: 'missing X-Twilio-Signature' };
    }
    const params = flatForm(callback.body);
    if (params === null) return { kind: 'refused', status: 403, reason: 'body is not a flat form' };
    // The URL Twilio signed is the StatusCallback we gave it: FIREIOT_PUBLIC_URL + path and query.
    const url = `${this.config.publicUrl}${callback.originalUrl}`;
    if (!validateRequest(credentials.authToken, callback.signature, url, params)) {
      return { kind: 'refused', status: 403, reason: 'X-Twilio-Signature does not match' };
    }
    if (params['AccountSid'] !== credentials.accountSid) {
      return { kind: 'refused', status: 403, reason: 'callback for another account' };
    }
    const attemptKey = callback.attemptKey;
    if (attemptKey === undefined || attemptKey === '') {
      return { kind: 'refused', status: 400, reason: 'no attempt in the callback URL' };
    }
    const providerRef = params['MessageSid'] ?? params['SmsSid'] ?? params['CallSid'];
    const providerStatus = params['MessageStatus'] ?? params['SmsStatus'] ?? params['CallStatus'];
    if (providerRef === undefined || providerStatus === undefined) {
      return { kind: 'refused', status: 400, reason: 'neither a message nor a call status' };
    }
    const status = FINAL_STATUS[providerStatus];
    if (status === undefined) return { kind: 'ignored', reason: `intermediate status ${providerStatus}` };
    const errorCode = params['ErrorCode'];
    const report: ProviderStatusReport = {
      attemptKey,
      providerRef,
      status,
      at: new Date(),
      error:
        status === 'delivered'
          ? null
          : `twilio ${providerStatus}${errorCode === undefined || errorCode === '' ? '' : ` error ${errorCode}`}`,
    };
    await this.sink.recordProviderStatus(report);
    return { kind: 'recorded', report };
  }
}

/** `name → value` when every value is a string (what Twilio posts); null otherwise. */
function flatForm(body: unknown): Record<string, string> | null {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) return null;
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value !== 'string') return null;
    params[name] = value;
  }
  return params;
}
