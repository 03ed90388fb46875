import { Global, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { eventually, freePort, TwilioFakeServer } from '@fireiot/testing';
import {
  PROVIDER_STATUS_SINK,
  ProviderStatusReport,
  ProviderStatusSink,
  SMS_CHANNEL,
  VOICE_CHANNEL,
} from '../channel.port';
import { TwilioStatusController } from './twilio-status.controller';
import { TwilioModule } from './twilio.module';
import { configFor, notice, TO } from './twilio.test-util';
import { TwilioSmsChannel, TwilioVoiceChannel } from './twilio.channel';

/** Stands in for the notifier's attempt recorder: keeps what it is told. */
class RecordingSink implements ProviderStatusSink {
  readonly reports: ProviderStatusReport[] = [];
  async recordProviderStatus(report: ProviderStatusReport): Promise<void> {
    this.reports.push(report);
  }
}

interface RunningApp {
  readonly app: INestApplication;
  readonly sink: RecordingSink;
  readonly sms: TwilioSmsChannel;
  readonly voice: TwilioVoiceChannel;
  readonly base: string;
}

/** The real HTTP stack: Nest's express adapter (urlencoded parser on), TwilioModule, a real port. */
async function startApp(fake: TwilioFakeServer | null): Promise<RunningApp> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config: FireiotConfig = configFor(fake, { FIREIOT_PUBLIC_URL: base });

  @Global()
  @Module({ providers: [{ provide: FIREIOT_CONFIG, useValue: config }], exports: [FIREIOT_CONFIG] })
  class TestConfigModule {}

  @Module({ imports: [TestConfigModule, TwilioModule.forRoot({ statusSink: RecordingSink })] })
  class TestAppModule {}

  const app = await NestFactory.create(TestAppModule, { logger: ['error'] });
  await app.listen(port, '127.0.0.1');
  return {
    app,
    base,
    sink: app.get<RecordingSink>(PROVIDER_STATUS_SINK),
    sms: app.get<TwilioSmsChannel>(SMS_CHANNEL),
    voice: app.get<TwilioVoiceChannel>(VOICE_CHANNEL),
  };
}

describe(TwilioStatusController.name, () => {
  let fake: TwilioFakeServer;
  let running: RunningApp;
  beforeEach(async () => {
    fake = await TwilioFakeServer.start();
    running = await startApp(fake);
  });
  afterEach(async () => {
    await running.app.close();
    await fake.close();
  });

  async function sendSms(attemptKey: string): Promise<string> {
    const result = await running.sms.send({ notice: notice(), attemptKey, to: TO });
    if (result.outcome !== 'accepted') throw new Error(`not accepted: ${result.error}`);
    return result.providerRef;
  }

  it('records a signed "delivered" SMS report from the provider (204)', async () => {
    const sid = await sendSms('al-1:c-1:sms:1');

    const callback = await fake.sendStatusCallback(sid, 'delivered');

    expect(callback.httpStatus).toBe(204);
    expect(running.sink.reports).toEqual([
      { attemptKey: 'al-1:c-1:sms:1', providerRef: sid, status: 'delivered', at: expect.any(Date), error: null },
    ]);
  });

  it('records failed SMS and call outcomes with the provider code', async () => {
    const sid = await sendSms('sms-attempt');
    const call = await running.voice.send({ notice: notice(), attemptKey: 'voice/attempt 1', to: TO });
    const callSid = call.outcome === 'accepted' ? call.providerRef : '';

    await fake.sendStatusCallback(sid, 'undelivered', { errorCode: '30003' });
    await fake.sendStatusCallback(callSid, 'busy');
    await fake.sendStatusCallback(callSid, 'completed');

    expect(running.sink.reports.map((r) => [r.attemptKey, r.providerRef, r.status, r.error])).toEqual([
      ['sms-attempt', sid, 'failed', 'twilio undelivered error 30003'],
      ['voice/attempt 1', callSid, 'failed', 'twilio busy'],
      ['voice/attempt 1', callSid, 'delivered', null],
    ]);
  });

  it.each(['queued', 'sent', 'accepted'])(
    'ignores the intermediate SMS status %s (204, nothing recorded)',
    async (s) => {
      const sid = await sendSms('k');

      const callback = await fake.sendStatusCallback(sid, s);

      expect(callback.httpStatus).toBe(204);
      expect(running.sink.reports).toHaveLength(0);
    },
  );

  it('ignores ringing on a call', async () => {
    const call = await running.voice.send({ notice: notice(), attemptKey: 'k', to: TO });

    const callback = await fake.sendStatusCallback(call.outcome === 'accepted' ? call.providerRef : '', 'ringing');

    expect(callback.httpStatus).toBe(204);
    expect(running.sink.reports).toHaveLength(0);
  });

  it('refuses a tampered or forged report with 403 and a reason, recording nothing', async () => {
    const sid = await sendSms('k');

    const tampered = await fake.sendStatusCallback(sid, 'failed', {
      alterAfterSigning: { MessageStatus: 'delivered' },
    });
    const forged = await fake.sendStatusCallback(sid, 'delivered', { signWithToken: 'guessed' });
    const otherAttempt = await fake.sendStatusCallback(sid, 'delivered', {
      alterAfterSigning: { MessageSid: `SM${'f'.repeat(32)}` },
    });

    for (const answer of [tampered, forged, otherAttempt]) {
      expect(answer.httpStatus).toBe(403);
      expect(JSON.parse(answer.responseBody)).toMatchObject({ message: 'X-Twilio-Signature does not match' });
    }
    expect(running.sink.reports).toHaveLength(0);
  });

  it('refuses an unsigned report with 403', async () => {
    const response = await fetch(`${running.base}/api/providers/twilio/status?attempt=k`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ MessageSid: 'SM1', MessageStatus: 'delivered', AccountSid: fake.accountSid }),
    });

    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ message: 'missing X-Twilio-Signature' });
    expect(running.sink.reports).toHaveLength(0);
  });

  it('receives the automatic callback of a provider that reports on its own', async () => {
    const auto = await TwilioFakeServer.start({ autoCallback: 'delivered', autoCallbackDelayMs: 10 });
    const app = await startApp(auto);
    try {
      const result = await app.sms.send({ notice: notice(), attemptKey: 'auto-1', to: TO });

      const [report] = await eventually(() => app.sink.reports.length > 0 && app.sink.reports, 'the report');
      expect(report).toMatchObject({
        attemptKey: 'auto-1',
        providerRef: result.outcome === 'accepted' ? result.providerRef : 'none',
        status: 'delivered',
      });
    } finally {
      await app.app.close();
      await auto.close();
    }
  });
});

describe(`${TwilioStatusController.name} without Twilio configured`, () => {
  it('answers 404 and records nothing', async () => {
    const running = await startApp(null);
    try {
      const response = await fetch(`${running.base}/api/providers/twilio/status?attempt=k`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' },
        body: 'MessageSid=SM1&MessageStatus=delivered',
      });

      expect(response.status).toBe(404);
      expect(running.sms.configured).toBe(false);
      expect(running.voice.configured).toBe(false);
      expect(running.sink.reports).toHaveLength(0);
    } finally {
      await running.app.close();
    }
  });
});
