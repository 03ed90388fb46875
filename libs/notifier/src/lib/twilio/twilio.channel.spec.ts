import { Logger } from '@nestjs/common';
import { freePort, TwilioFakeServer } from '@fireiot/testing';
import { ProviderSendResult } from '../channel.port';
import { TwilioSmsChannel, TwilioVoiceChannel } from './twilio.channel';
import { configFor, FROM, notice, TO } from './twilio.test-util';

Logger.overrideLogger(['error']);

let fake: TwilioFakeServer;
beforeEach(async () => {
  fake = await TwilioFakeServer.start();
});
afterEach(async () => {
  await fake.close();
});

function expectFailed(result: ProviderSendResult, retryable: boolean, error: RegExp): void {
  expect(result).toMatchObject({ outcome: 'failed', retryable });
  expect(result.outcome === 'failed' ? result.error : '').toMatch(error);
  expect(result.at).toBeInstanceOf(Date);
}

describe(TwilioSmsChannel.name, () => {
  it('sends the SMS through the SDK: form fields, Chinese text, status callback, idempotency key', async () => {
    const channel = new TwilioSmsChannel(configFor(fake));

    const result = await channel.send({ notice: notice(), attemptKey: 'al-1:c-1:sms:1', to: TO });

    expect(channel).toMatchObject({ name: 'sms', configured: true });
    const [created] = fake.accepted('sms');
    expect(result).toEqual({ outcome: 'accepted', providerRef: created?.sid, at: expect.any(Date) });
    expect(created?.sid).toMatch(/^SM[0-9a-f]{32}$/);
    const request = created?.request;
    expect(request).toMatchObject({
      to: TO,
      from: FROM,
      idempotencyKey: 'al-1:c-1:sms:1',
      statusCallback: 'http://fireiot.test/api/providers/twilio/status?attempt=al-1%3Ac-1%3Asms%3A1',
    });
    expect(request?.body).toBe(
      '【fireiot】火警 Fire alarm: 烟感 smoke detector 1-131082｜位置：3号楼 厨房｜时间：2024-05-01 18:03:04（北京时间）｜请在 App 中确认',
    );
    expect(String(request?.headers['user-agent'])).toMatch(/^twilio-node\//);
  });

  it('sends a repeated attempt with the same key, which the provider dedupes', async () => {
    const channel = new TwilioSmsChannel(configFor(fake));
    const request = { notice: notice(), attemptKey: 'al-1:c-1:sms:1', to: TO };

    const first = await channel.send(request);
    const again = await channel.send(request);
    const next = await channel.send({ ...request, attemptKey: 'al-1:c-1:sms:2' });

    expect(again).toMatchObject({
      outcome: 'accepted',
      providerRef: first.outcome === 'accepted' && first.providerRef,
    });
    expect(next.outcome === 'accepted' && next.providerRef).not.toBe(first.outcome === 'accepted' && first.providerRef);
    expect(fake.requests.map((r) => r.idempotencyKey)).toEqual(['al-1:c-1:sms:1', 'al-1:c-1:sms:1', 'al-1:c-1:sms:2']);
    expect(fake.accepted()).toHaveLength(2);
    expect(fake.duplicates).toBe(1);
  });

  it.each([500, 503, 429])('fails retryable on HTTP %d, naming the provider code', async (status) => {
    fake.behave({ kind: 'fail', status, times: 1 });
    const channel = new TwilioSmsChannel(configFor(fake));

    const result = await channel.send({ notice: notice(), attemptKey: 'k', to: TO });

    expectFailed(result, true, new RegExp(`HTTP ${status} error ${20000 + status}`));
    expect(fake.requests).toHaveLength(1); // the SDK and the relay do not retry on their own
  });

  it('fails non-retryable on 400 / 21211 (invalid number), scripted or real', async () => {
    const channel = new TwilioSmsChannel(configFor(fake));
    fake.behave({ kind: 'fail', status: 400, code: 21211, message: "The 'To' number is not valid.", times: 1 });

    const scripted = await channel.send({ notice: notice(), attemptKey: 'k1', to: TO });
    const real = await channel.send({ notice: notice(), attemptKey: 'k2', to: '0086-138' });

    expectFailed(scripted, false, /HTTP 400 error 21211: The 'To' number is not valid\. \(number refused\)/);
    expectFailed(real, false, /error 21211/);
    expect(real.outcome === 'failed' && real.error).toContain('https://www.twilio.com/docs/errors/21211');
    expect(fake.accepted()).toHaveLength(0);
  });

  it('fails non-retryable when the provider refuses the token or the account (401)', async () => {
    const wrongToken = new TwilioSmsChannel(configFor(fake, { TWILIO_AUTH_TOKEN: 'not-the-token' }));
    const wrongAccount = new TwilioSmsChannel(
      configFor(fake, { TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`, TWILIO_AUTH_TOKEN: fake.authToken }),
    );

    expectFailed(await wrongToken.send({ notice: notice(), attemptKey: 'k', to: TO }), false, /HTTP 401 error 20003/);
    expectFailed(await wrongAccount.send({ notice: notice(), attemptKey: 'k', to: TO }), false, /HTTP 401/);
    expect(fake.accepted()).toHaveLength(0);
  });

  it('fails retryable within the timeout when the provider stalls', async () => {
    fake.behave({ kind: 'stall' });
    const channel = new TwilioSmsChannel(configFor(fake, { FIREIOT_PROVIDER_TIMEOUT_MS: '200' }));
    const started = Date.now();

    const result = await channel.send({ notice: notice(), attemptKey: 'k', to: TO });

    expectFailed(result, true, /timeout: no answer from Twilio within 200 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('retries a timed-out attempt under its key: the message the slow provider created is not sent twice', async () => {
    // Wide margins: the retry must be answered within the timeout even on a loaded CI machine.
    fake.behave({ kind: 'stall', ms: 2_500, times: 1 });
    const channel = new TwilioSmsChannel(configFor(fake, { FIREIOT_PROVIDER_TIMEOUT_MS: '1000' }));
    const request = { notice: notice(), attemptKey: 'al-1:c-1:sms:1', to: TO };

    const first = await channel.send(request);
    await fake.waitFor((r) => r.httpStatus === 201, 5_000);
    const retry = await channel.send(request);

    expect(first).toMatchObject({ outcome: 'failed', retryable: true });
    expect(retry).toMatchObject({ outcome: 'accepted', providerRef: fake.accepted()[0]?.sid });
    expect(fake.accepted()).toHaveLength(1);
    expect(fake.duplicates).toBe(1);
  });

  it('fails retryable when nothing listens at TWILIO_API_BASE', async () => {
    const port = await freePort();
    const channel = new TwilioSmsChannel(configFor(fake, { TWILIO_API_BASE: `http://127.0.0.1:${port}` }));

    expectFailed(await channel.send({ notice: notice(), attemptKey: 'k', to: TO }), true, /network: .*ECONNREFUSED/);
  });

  it('is not configured without TWILIO_*: says so, sends nothing, never pretends', async () => {
    const channel = new TwilioSmsChannel(configFor(null, { TWILIO_API_BASE: fake.baseUrl }));

    const result = await channel.send({ notice: notice(), attemptKey: 'k', to: TO });

    expect(channel.configured).toBe(false);
    expectFailed(result, false, /not configured/);
    expect(fake.requests).toHaveLength(0);
  });

  it('reports credentials the SDK refuses (an account SID not starting with AC) on each attempt', async () => {
    const channel = new TwilioSmsChannel(configFor(fake, { TWILIO_ACCOUNT_SID: 'XX123' }));

    const result = await channel.send({ notice: notice(), attemptKey: 'k', to: TO });

    expect(channel.configured).toBe(true);
    expectFailed(result, false, /invalid-credentials: .*accountSid must start with AC/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe(TwilioVoiceChannel.name, () => {
  it('places a call reading the alert twice in Chinese, XML-escaped, with a final-status callback', async () => {
    const channel = new TwilioVoiceChannel(configFor(fake));

    const result = await channel.send({
      notice: notice({ location: 'B栋 <机房> & "配电"' }),
      attemptKey: 'al-1:c-1:voice:1',
      to: TO,
    });

    const [created] = fake.accepted('call');
    expect(channel).toMatchObject({ name: 'voice', configured: true });
    expect(result).toEqual({ outcome: 'accepted', providerRef: created?.sid, at: expect.any(Date) });
    expect(created?.sid).toMatch(/^CA[0-9a-f]{32}$/);
    const request = created?.request;
    expect(request).toMatchObject({
      to: TO,
      from: FROM,
      url: null,
      idempotencyKey: 'al-1:c-1:voice:1',
      statusCallback: 'http://fireiot.test/api/providers/twilio/status?attempt=al-1%3Ac-1%3Avoice%3A1',
      statusCallbackEvents: ['completed'],
    });
    expect(request?.params.get('StatusCallbackMethod')).toBe('POST');
    const twiml = request?.twiml ?? '';
    expect(twiml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Response>.*<\/Response>$/);
    const says = [...twiml.matchAll(/<Say language="zh-CN" voice="alice">([^<]*)<\/Say>/g)].map((m) => m[1]);
    expect(says).toHaveLength(2);
    expect(says[0]).toBe(says[1]);
    expect(says[0]).toContain('火警 Fire alarm: 烟感 smoke detector 1-131082');
    expect(says[0]).toContain('B栋 &lt;机房&gt; &amp; &quot;配电&quot;');
    expect(says[0]).toContain('北京时间 5月1日 18点03分04秒');
  });

  it('fails retryable on 503 and non-retryable on an undialable number', async () => {
    const channel = new TwilioVoiceChannel(configFor(fake));
    fake.behave({ kind: 'fail', status: 503, times: 1, channel: 'call' });

    expectFailed(await channel.send({ notice: notice(), attemptKey: 'k1', to: TO }), true, /HTTP 503/);
    expectFailed(await channel.send({ notice: notice(), attemptKey: 'k2', to: 'nobody' }), false, /21211/);
  });

  it('is not configured without TWILIO_* and sends nothing', async () => {
    const channel = new TwilioVoiceChannel(configFor(null, { TWILIO_API_BASE: fake.baseUrl }));

    expectFailed(await channel.send({ notice: notice(), attemptKey: 'k', to: TO }), false, /not configured/);
    expect(channel.configured).toBe(false);
    expect(fake.requests).toHaveLength(0);
  });
});
