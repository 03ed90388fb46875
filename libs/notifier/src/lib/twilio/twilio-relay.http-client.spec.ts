import { Logger } from '@nestjs/common';
import { TwilioFakeServer } from '@fireiot/testing';
import { TwilioChannelError } from './twilio-channel.error';
import { TwilioSmsChannel } from './twilio.channel';
import { TwilioRelayHttpClient } from './twilio-relay.http-client';
import { configFor, FROM, notice, TO } from './twilio.test-util';

Logger.overrideLogger(['error']);

describe(TwilioRelayHttpClient.name, () => {
  let fake: TwilioFakeServer;
  let relay: TwilioRelayHttpClient;
  beforeEach(async () => {
    fake = await TwilioFakeServer.start();
    relay = new TwilioRelayHttpClient({ apiBase: `${fake.baseUrl}/`, timeoutMs: 1000 });
  });
  afterEach(async () => {
    await fake.close();
  });

  function messagesUri(): string {
    return `https://api.twilio.com/2010-04-01/Accounts/${fake.accountSid}/Messages.json`;
  }

  it('rewrites api.twilio.com to the base, encodes the form (repeated keys for arrays), adds the key', async () => {
    const response = await relay.withIdempotencyKey('key-1', () =>
      relay.request({
        method: 'post',
        uri: `https://api.twilio.com/2010-04-01/Accounts/${fake.accountSid}/Calls.json`,
        username: fake.accountSid,
        password: fake.authToken,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        data: { To: TO, From: FROM, Twiml: '<Response/>', StatusCallbackEvent: ['answered', 'completed'] },
      }),
    );

    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'queued', to: TO });
    expect(fake.requests[0]).toMatchObject({ kind: 'call', idempotencyKey: 'key-1', twiml: '<Response/>' });
    expect(fake.requests[0]?.statusCallbackEvents).toEqual(['answered', 'completed']);
  });

  it('hands error answers back to the SDK as they are (the SDK raises them)', async () => {
    const response = await relay.withIdempotencyKey('key-1', () =>
      relay.request({ method: 'post', uri: messagesUri(), username: fake.accountSid, password: 'wrong', data: {} }),
    );

    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ code: 20003, status: 401 });
  });

  it('refuses a request outside an attempt scope: nothing is sent without an idempotency key', async () => {
    const outside = relay.request({ method: 'post', uri: messagesUri(), data: { To: TO } });

    await expect(outside).rejects.toBeInstanceOf(TwilioChannelError);
    await expect(outside).rejects.toMatchObject({ code: 'missing-idempotency-key' });
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses other hosts rather than bypassing TWILIO_API_BASE', async () => {
    const elsewhere = relay.withIdempotencyKey('k', () =>
      relay.request({ method: 'post', uri: 'https://api.au1.twilio.com/2010-04-01/Accounts/AC1/Messages.json' }),
    );

    await expect(elsewhere).rejects.toMatchObject({ code: 'unexpected-uri' });
  });

  it('keeps concurrent attempts apart: each request carries its own key', async () => {
    fake.behave({ kind: 'stall', ms: 50, times: 1 });
    const send = (key: string): Promise<unknown> =>
      relay.withIdempotencyKey(key, async () => {
        await Promise.resolve();
        return relay.request({
          method: 'post',
          uri: messagesUri(),
          username: fake.accountSid,
          password: fake.authToken,
          data: { To: TO, From: FROM, Body: key },
        });
      });

    await Promise.all(['a', 'b', 'c', 'd'].map(send));

    expect(fake.requests.map((r) => [r.body, r.idempotencyKey]).sort()).toEqual([
      ['a', 'a'],
      ['b', 'b'],
      ['c', 'c'],
      ['d', 'd'],
    ]);
  });

  it('ignores TWILIO_REGION / TWILIO_EDGE in the process environment (FireiotConfig alone decides)', async () => {
    const saved = { region: process.env['TWILIO_REGION'], edge: process.env['TWILIO_EDGE'] };
    process.env['TWILIO_REGION'] = 'au1';
    process.env['TWILIO_EDGE'] = 'sydney';
    try {
      const channel = new TwilioSmsChannel(configFor(fake));

      await expect(channel.send({ notice: notice(), attemptKey: 'k', to: TO })).resolves.toMatchObject({
        outcome: 'accepted',
      });
    } finally {
      restore('TWILIO_REGION', saved.region);
      restore('TWILIO_EDGE', saved.edge);
    }
  });
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
