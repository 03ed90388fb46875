import { assessChannelConformity } from './channel.conformity';

describe(assessChannelConformity.name, () => {
  const sms = { channels: ['sms'] as const };
  const voice = { channels: ['voice'] as const };
  const both = { channels: ['sms', 'voice'] as const };

  it('needs two ready channels of app, SMS and voice (CQC/SC 11002 4.3.3)', () => {
    expect(assessChannelConformity({ userCount: 1, contacts: [sms], providerConfigured: true })).toEqual({
      channels: { app: 'ready', sms: 'ready', voice: 'no-contact' },
      readyChannels: 2,
      conforming: true,
      reason: null,
    });
    expect(assessChannelConformity({ userCount: 0, contacts: [sms, voice], providerConfigured: true })).toMatchObject({
      channels: { app: 'no-user', sms: 'ready', voice: 'ready' },
      conforming: true,
    });
    expect(assessChannelConformity({ userCount: 3, contacts: [both], providerConfigured: true })).toMatchObject({
      readyChannels: 3,
      conforming: true,
    });
  });

  it('counts no SMS or voice channel while the provider is not configured, and says why', () => {
    const result = assessChannelConformity({ userCount: 2, contacts: [both], providerConfigured: false });
    expect(result).toMatchObject({
      channels: { app: 'ready', sms: 'not-configured', voice: 'not-configured' },
      readyChannels: 1,
      conforming: false,
    });
    expect(result.reason).toContain('at least 2 working contact channels, this unit has 1');
    expect(result.reason).toContain('sms: not configured (TWILIO_ACCOUNT_SID');
  });

  it('names what is missing for each channel', () => {
    const result = assessChannelConformity({ userCount: 0, contacts: [voice], providerConfigured: true });
    expect(result.conforming).toBe(false);
    expect(result.reason).toContain('app: no unit user');
    expect(result.reason).toContain('sms: no contact with the sms channel');
    expect(result.reason).toContain('voice: ready');
  });
});
