/**
 * Notification channels behind one interface (CQC/SC 11002 4.3.3: at least two contact methods).
 * `app` is the socket.io push to the unit's apps; `sms` and `voice` go through a provider (Twilio).
 */
export type ChannelName = 'app' | 'sms' | 'voice';
export const CHANNEL_NAMES: readonly ChannelName[] = ['app', 'sms', 'voice'];

export type AlertKind = 'fire-alarm' | 'fault' | 'abnormal' | 'communication-loss' | 'restored';

/** What a channel needs to tell a person about an alert. */
export interface AlertNotice {
  readonly alertId: string;
  readonly unitId: string;
  readonly deviceId: string | null;
  readonly deviceKey: string;
  readonly kind: AlertKind;
  /** The clause whose deadline applies: 4.3.1 (3 s), 4.3.2 (10 s), 4.4.2 (100 s). */
  readonly clause: string;
  /** 4.3.2 a–f, when the alert is one of the kinds the clause names. */
  readonly item: string | null;
  /** One line, Chinese first ("火警 Fire alarm: …"). */
  readonly title: string;
  /** Where: the device's or component's description, when known. */
  readonly location: string | null;
  /** When the gateway read the data (ISO 8601 UTC, µs). */
  readonly receivedAt: string;
  /** For `restored`: the alert whose condition cleared (the app closes it). */
  readonly restores: string | null;
}

/** One send of one alert to one person on one provider channel. */
export interface ProviderSendRequest {
  readonly notice: AlertNotice;
  /** This attempt (evidence rows, the status callback URL). */
  readonly attemptKey: string;
  /**
   * Sent to the provider as `Idempotency-Key` (default: `attemptKey`). The notifier gives every
   * attempt of one message (alert, channel, recipient) the same key, so a retry after an unknown
   * outcome (timeout, crash) that the provider had in fact accepted is not sent twice.
   */
  readonly idempotencyKey?: string;
  /** E.164 phone number. */
  readonly to: string;
}

export type ProviderSendResult =
  | { readonly outcome: 'accepted'; readonly providerRef: string; readonly at: Date }
  | {
      readonly outcome: 'failed';
      readonly error: string;
      /** false when retrying the same request cannot help (bad number, auth refused). */
      readonly retryable: boolean;
      readonly at: Date;
    };

/** SMS or voice through a provider. */
export interface ProviderChannel {
  readonly name: 'sms' | 'voice';
  /** false when the provider is not configured: nothing is sent, the attempt is recorded as such. */
  readonly configured: boolean;
  send(request: ProviderSendRequest): Promise<ProviderSendResult>;
}

/** Nest injection tokens of the provider channels. */
export const SMS_CHANNEL = Symbol('SMS_CHANNEL');
export const VOICE_CHANNEL = Symbol('VOICE_CHANNEL');

/** A delivery report from a provider (status callback), already authenticated. */
export interface ProviderStatusReport {
  readonly attemptKey: string;
  readonly providerRef: string;
  readonly status: 'delivered' | 'failed';
  readonly at: Date;
  /** Provider's error code/message when failed. */
  readonly error: string | null;
}

/** Where status callbacks go (the notifier's evidence recorder implements it). */
export interface ProviderStatusSink {
  recordProviderStatus(report: ProviderStatusReport): Promise<void>;
}
export const PROVIDER_STATUS_SINK = Symbol('PROVIDER_STATUS_SINK');
