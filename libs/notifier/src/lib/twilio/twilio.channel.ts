import { Logger } from '@nestjs/common';
import { FireiotConfig } from '@fireiot/config';
import twilio from 'twilio';
import { ProviderChannel, ProviderSendRequest, ProviderSendResult } from '../channel.port';
import { TwilioChannelError } from './twilio-channel.error';
import { smsBody, voiceTwiml } from './twilio-notice.formatter';
import { TwilioRelayHttpClient } from './twilio-relay.http-client';

/** Where Twilio posts delivery reports (TwilioStatusController); `attempt` routes them back. */
export const TWILIO_STATUS_PATH = '/api/providers/twilio/status';

export function twilioStatusCallbackUrl(publicUrl: string, attemptKey: string): string {
  return `${publicUrl}${TWILIO_STATUS_PATH}?attempt=${encodeURIComponent(attemptKey)}`;
}

/** What a configured channel sends with. */
interface TwilioSender {
  readonly client: twilio.Twilio;
  readonly relay: TwilioRelayHttpClient;
  readonly from: string;
}

/**
 * Twilio error codes that say the number (or the account's right to reach it) is wrong: the same
 * request can never succeed (https://www.twilio.com/docs/api/errors). Any other 4xx but 408/409/429
 * is refused as well; these are listed so the log names the reason.
 */
const BAD_NUMBER_CODES: ReadonlySet<number> = new Set([
  21211, // invalid 'To' number
  21214, // 'To' number cannot be reached
  21217, // number not verified (trial account)
  21408, // region not enabled (permissions)
  21610, // recipient unsubscribed (STOP)
  21612, // cannot route to this number
  21614, // 'To' is not a mobile number
  13224, // invalid number to dial (voice)
  21215, // geo permission for calls
]);

/**
 * An SMS or voice channel over the `twilio` SDK (CQC/SC 11002 4.3.3: alarm information reaches
 * people by at least two means besides the app). `send` never throws and never pretends: an
 * unconfigured channel answers failed/not configured and sends nothing.
 */
abstract class TwilioChannel implements ProviderChannel {
  abstract readonly name: 'sms' | 'voice';
  readonly configured: boolean;
  protected readonly logger: Logger;
  private readonly sender: TwilioSender | null;
  /** Why a configured channel cannot send (credentials the SDK refuses), reported per attempt. */
  private readonly unusable: string | null = null;

  constructor(protected readonly config: FireiotConfig) {
    this.logger = new Logger(new.target.name);
    const credentials = config.twilio.credentials;
    this.configured = credentials !== null;
    if (credentials === null) {
      this.sender = null;
      return;
    }
    const relay = new TwilioRelayHttpClient({
      apiBase: config.twilio.apiBase,
      timeoutMs: config.notify.providerTimeoutMs,
    });
    try {
      // edge/region '' keep TWILIO_EDGE/TWILIO_REGION in process.env from redirecting the SDK
      // (configuration is FireiotConfig alone); the relay client refuses hosts it does not rewrite.
      const client = twilio(credentials.accountSid, credentials.authToken, {
        httpClient: relay.asSdkClient(),
        edge: '',
        region: '',
        autoRetry: false,
      });
      // The SDK loads its REST resources lazily: ~90 ms on the first alarm otherwise (4.3.1 gives
      // 3 s end to end). Touch them now, at boot.
      const resources = [client.messages, client.calls];
      this.logger.debug({ msg: 'twilio client ready', resources: resources.length, apiBase: config.twilio.apiBase });
      this.sender = { client, relay, from: credentials.from };
    } catch (error) {
      this.sender = null;
      this.unusable = `Twilio credentials refused: ${error instanceof Error ? error.message : String(error)}`;
      this.logger.error({ msg: 'twilio channel unusable', reason: this.unusable });
    }
  }

  async send(request: ProviderSendRequest): Promise<ProviderSendResult> {
    const { attemptKey } = request;
    if (!this.configured) {
      return toFailedResult(new TwilioChannelError('not-configured', 'not configured (TWILIO_* unset): nothing sent'));
    }
    if (this.sender === null) {
      return toFailedResult(
        new TwilioChannelError('invalid-credentials', this.unusable ?? 'Twilio credentials refused'),
      );
    }
    const sender = this.sender;
    const statusCallback = twilioStatusCallbackUrl(this.config.publicUrl, attemptKey);
    try {
      const sid = await sender.relay.withIdempotencyKey(request.idempotencyKey ?? attemptKey, () =>
        this.create(sender.client, sender.from, request, statusCallback),
      );
      this.logger.debug({ msg: 'twilio accepted', attemptKey, providerRef: sid });
      return { outcome: 'accepted', providerRef: sid, at: new Date() };
    } catch (error) {
      const result = toFailedResult(error);
      this.logger.debug({ msg: 'twilio refused', attemptKey, error: result.error, retryable: result.retryable });
      return result;
    }
  }

  /** Creates the message or call; resolves with its SID. */
  protected abstract create(
    client: twilio.Twilio,
    from: string,
    request: ProviderSendRequest,
    statusCallback: string,
  ): Promise<string>;
}

/** SMS through Twilio Programmable Messaging (`POST …/Messages.json`). */
export class TwilioSmsChannel extends TwilioChannel {
  readonly name = 'sms';

  protected async create(
    client: twilio.Twilio,
    from: string,
    request: ProviderSendRequest,
    statusCallback: string,
  ): Promise<string> {
    const message = await client.messages.create({
      to: request.to,
      from,
      body: smsBody(request.notice),
      statusCallback,
    });
    return message.sid;
  }
}

/** A voice call reading the alert twice (`POST …/Calls.json` with inline TwiML). */
export class TwilioVoiceChannel extends TwilioChannel {
  readonly name = 'voice';

  protected async create(
    client: twilio.Twilio,
    from: string,
    request: ProviderSendRequest,
    statusCallback: string,
  ): Promise<string> {
    const call = await client.calls.create({
      to: request.to,
      from,
      twiml: voiceTwiml(request.notice),
      statusCallback,
      statusCallbackMethod: 'POST',
      // Final outcome only (completed, busy, no-answer, failed, canceled): intermediate events
      // would be ignored by TwilioStatusController anyway.
      statusCallbackEvent: ['completed'],
    });
    return call.sid;
  }
}

type Failed = Extract<ProviderSendResult, { outcome: 'failed' }>;

/** Maps whatever the SDK or the relay threw to a failed attempt, retryable or not. */
export function toFailedResult(error: unknown): Failed {
  const at = new Date();
  if (error instanceof TwilioChannelError) {
    return { outcome: 'failed', error: `twilio ${error.code}: ${error.message}`, retryable: error.retryable, at };
  }
  const rest = asProviderError(error);
  if (rest !== null) {
    const { status, code } = rest;
    // 429 and 5xx: the provider is busy or down; 408/409: try the same request again.
    // Other 4xx (bad number 21211/21614…, 401/403 auth, 404 account): the same request cannot succeed.
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    const reason = code !== null && BAD_NUMBER_CODES.has(code) ? ' (number refused)' : '';
    const text = `twilio HTTP ${status}${code === null ? '' : ` error ${code}`}: ${rest.message}${reason}`;
    return { outcome: 'failed', error: rest.moreInfo === null ? text : `${text} (${rest.moreInfo})`, retryable, at };
  }
  if (error instanceof SyntaxError) {
    // A 2xx whose body is not JSON: the message may exist; the same key makes a retry safe.
    return { outcome: 'failed', error: `twilio unreadable answer: ${error.message}`, retryable: true, at };
  }
  // Unknown: retrying under the same idempotency key cannot send twice, and giving up could lose
  // an alarm; the notifier bounds the attempts.
  return { outcome: 'failed', error: `twilio: ${String(error)}`, retryable: true, at };
}

interface ProviderError {
  readonly status: number;
  readonly code: number | null;
  readonly message: string;
  readonly moreInfo: string | null;
}

/** The SDK's RestException (legacy `{ code, message, more_info, status }`) or RFC 9457 TwilioServiceException. */
function asProviderError(error: unknown): ProviderError | null {
  if (!(error instanceof Error)) return null;
  const e = error as Error & { status?: unknown; code?: unknown; moreInfo?: unknown; detail?: unknown };
  if (typeof e.status !== 'number') return null;
  return {
    status: e.status,
    code: typeof e.code === 'number' ? e.code : null,
    message: typeof e.detail === 'string' && e.detail !== '' ? e.detail : e.message,
    moreInfo: typeof e.moreInfo === 'string' ? e.moreInfo : null,
  };
}
