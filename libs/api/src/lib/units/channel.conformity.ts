import { ContactChannel } from '@fireiot/identity';

/** The app channel works once the unit has a user (every unit user has the app; contract, "HTTP API"). */
export type AppChannelStatus = 'ready' | 'no-user';
/** SMS and voice need a contact with that channel and a configured provider (Twilio). */
export type ProviderChannelStatus = 'ready' | 'no-contact' | 'not-configured';

export interface ChannelConformity {
  readonly channels: {
    readonly app: AppChannelStatus;
    readonly sms: ProviderChannelStatus;
    readonly voice: ProviderChannelStatus;
  };
  /** How many of the three channels are ready. */
  readonly readyChannels: number;
  /** CQC/SC 11002 4.3.3: at least two working contact channels to the unit. */
  readonly conforming: boolean;
  /** Why not, when not conforming; null when conforming. */
  readonly reason: string | null;
}

export interface ConformityInput {
  readonly userCount: number;
  readonly contacts: readonly { readonly channels: readonly ContactChannel[] }[];
  /** `config.twilio.credentials !== null`. */
  readonly providerConfigured: boolean;
}

export const MIN_WORKING_CHANNELS = 2;

/**
 * CQC/SC 11002 4.3.3: the platform must be able to reach a networked unit over at least two
 * working channels. A channel with no provider configured is not working, whatever the contacts.
 */
export function assessChannelConformity(input: ConformityInput): ChannelConformity {
  const provider = (channel: ContactChannel): ProviderChannelStatus => {
    if (!input.providerConfigured) return 'not-configured';
    return input.contacts.some((c) => c.channels.includes(channel)) ? 'ready' : 'no-contact';
  };
  const channels = {
    app: input.userCount > 0 ? 'ready' : 'no-user',
    sms: provider('sms'),
    voice: provider('voice'),
  } as const;
  const statuses = [channels.app, channels.sms, channels.voice];
  const readyChannels = statuses.filter((s) => s === 'ready').length;
  const conforming = readyChannels >= MIN_WORKING_CHANNELS;
  const reason = conforming
    ? null
    : [
        `CQC/SC 11002 4.3.3 needs at least ${MIN_WORKING_CHANNELS} working contact channels, this unit has ${readyChannels}`,
        `app: ${describeApp(channels.app)}`,
        `sms: ${describeProvider(channels.sms, 'sms')}`,
        `voice: ${describeProvider(channels.voice, 'voice')}`,
      ].join('; ');
  return { channels, readyChannels, conforming, reason };
}

function describeApp(status: AppChannelStatus): string {
  switch (status) {
    case 'ready':
      return 'ready';
    case 'no-user':
      return 'no unit user (POST /api/units/:id/users)';
  }
}

function describeProvider(status: ProviderChannelStatus, channel: ContactChannel): string {
  switch (status) {
    case 'ready':
      return 'ready';
    case 'no-contact':
      return `no contact with the ${channel} channel (POST /api/units/:id/contacts)`;
    case 'not-configured':
      return 'not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM unset)';
  }
}
