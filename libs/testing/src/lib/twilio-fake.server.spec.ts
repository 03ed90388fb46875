import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { validateRequest } from 'twilio';
import { eventually } from './eventually';
import { freePort } from './free-port';
import { TwilioFakeServer } from './twilio-fake.server';

interface PostOptions {
  readonly account?: string;
  readonly auth?: string | null;
  readonly key?: string;
  readonly timeoutMs?: number;
}

interface Answer {
  readonly status: number;
  readonly json: Record<string, unknown>;
  readonly ms: number;
}

/** A plain HTTP client, the way any Twilio client speaks: form body, basic auth. */
async function post(
  fake: TwilioFakeServer,
  resource: 'Messages' | 'Calls',
  form: Record<string, string | string[]>,
  options: PostOptions = {},
): Promise<Answer> {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    for (const v of Array.isArray(value) ? value : [value]) body.append(key, v);
  }
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const auth = options.auth === undefined ? `${fake.accountSid}:${fake.authToken}` : options.auth;
  if (auth !== null) headers['authorization'] = `Basic ${Buffer.from(auth).toString('base64')}`;
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  const started = Date.now();
  const response = await fetch(
    `${fake.baseUrl}/2010-04-01/Accounts/${options.account ?? fake.accountSid}/${resource}.json`,
    { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 5000) },
  );
  const json = (await response.json()) as Record<string, unknown>;
  return { status: response.status, json, ms: Date.now() - started };
}

const SMS = { To: '+8613800138000', From: '+15005550006', Body: '【fireiot】火警 测试' };
const CALL = { To: '+8613800138000', From: '+15005550006', Twiml: '<Response><Say>火警</Say></Response>' };

/** Receives status callbacks (a stand-in for the platform's endpoint). */
class CallbackReceiver {
  readonly received: { url: string; headers: IncomingMessage['headers']; params: Record<string, string> }[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<CallbackReceiver> {
    const server = createServer();
    const receiver = new CallbackReceiver(server);
    server.on('request', (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        receiver.received.push({ url: `${receiver.base}${req.url ?? ''}`, headers: req.headers, params });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get base(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe(TwilioFakeServer.name, () => {
  let fake: TwilioFakeServer;

  beforeEach(async () => {
    fake = await TwilioFakeServer.start();
  });
  afterEach(async () => {
    await fake.close();
  });

  describe('accepting', () => {
    it('creates a message: 201 with a Twilio-shaped resource, and records the request', async () => {
      const before = process.hrtime.bigint();
      const answer = await post(fake, 'Messages', { ...SMS, StatusCallback: 'http://cb/x?attempt=a1' }, { key: 'k1' });

      expect(answer.status).toBe(201);
      expect(answer.json).toMatchObject({
        account_sid: fake.accountSid,
        api_version: '2010-04-01',
        status: 'queued',
        to: SMS.To,
        from: SMS.From,
        body: SMS.Body,
        direction: 'outbound-api',
        error_code: null,
      });
      expect(answer.json['sid']).toMatch(/^SM[0-9a-f]{32}$/);
      expect(answer.json['date_created']).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
      expect(answer.json['uri']).toBe(
        `/2010-04-01/Accounts/${fake.accountSid}/Messages/${String(answer.json['sid'])}.json`,
      );
      const [request] = fake.requests;
      expect(request).toMatchObject({
        kind: 'sms',
        to: SMS.To,
        from: SMS.From,
        body: SMS.Body,
        statusCallback: 'http://cb/x?attempt=a1',
        idempotencyKey: 'k1',
        sid: answer.json['sid'],
        httpStatus: 201,
        duplicate: false,
      });
      expect(request?.receivedAt).toBeInstanceOf(Date);
      expect(request?.receivedHr).toBeGreaterThan(before);
      expect(fake.accepted('sms')).toHaveLength(1);
    });

    it('creates a call from inline TwiML or a URL, keeping every StatusCallbackEvent', async () => {
      const inline = await post(fake, 'Calls', { ...CALL, StatusCallbackEvent: ['answered', 'completed'] });
      const byUrl = await post(fake, 'Calls', { To: CALL.To, From: CALL.From, Url: 'http://twiml.example/x' });

      expect(inline.status).toBe(201);
      expect(byUrl.status).toBe(201);
      expect(inline.json['sid']).toMatch(/^CA[0-9a-f]{32}$/);
      expect(String(inline.json['sid'])).toHaveLength(34);
      expect(inline.json).toMatchObject({ status: 'queued', to: CALL.To, from: CALL.From });
      expect(fake.requests[0]).toMatchObject({ kind: 'call', twiml: CALL.Twiml, url: null });
      expect(fake.requests[0]?.statusCallbackEvents).toEqual(['answered', 'completed']);
      expect(fake.requests[1]).toMatchObject({ kind: 'call', twiml: null, url: 'http://twiml.example/x' });
      expect(fake.accepted('call')).toHaveLength(2);
      expect(fake.accepted('sms')).toHaveLength(0);
    });
  });

  describe('refusing', () => {
    it('answers 401 with Twilio error 20003 to a wrong token or no credentials', async () => {
      const wrong = await post(fake, 'Messages', SMS, { auth: `${fake.accountSid}:nope` });
      const none = await post(fake, 'Messages', SMS, { auth: null });

      expect(wrong).toMatchObject({ status: 401, json: { code: 20003, status: 401 } });
      expect(wrong.json['more_info']).toBe('https://www.twilio.com/docs/errors/20003');
      expect(typeof wrong.json['message']).toBe('string');
      expect(none.status).toBe(401);
      expect(fake.accepted()).toHaveLength(0);
      expect(fake.requests.map((r) => r.httpStatus)).toEqual([401, 401]);
    });

    it('answers 404 to another account in the path', async () => {
      const other = `AC${'0'.repeat(32)}`;
      const answer = await post(fake, 'Messages', SMS, { account: other, auth: `${other}:${fake.authToken}` });
      const mine = await post(fake, 'Messages', SMS, { account: other });

      expect(answer.status).toBe(401);
      expect(mine).toMatchObject({ status: 404, json: { code: 20404, status: 404 } });
    });

    it.each([
      ['Messages', { From: SMS.From, Body: 'x' }, 21604],
      ['Messages', { To: SMS.To, Body: 'x' }, 21603],
      ['Messages', { To: SMS.To, From: SMS.From }, 21602],
      ['Messages', { ...SMS, To: '13800138000x' }, 21211],
      ['Calls', { To: CALL.To, From: CALL.From }, 21205],
      ['Calls', { ...CALL, To: 'not a number' }, 21211],
    ] as const)('answers 400 to %s %j with code %d', async (resource, form, code) => {
      const answer = await post(fake, resource, form);

      expect(answer).toMatchObject({ status: 400, json: { code, status: 400 } });
      expect(fake.accepted()).toHaveLength(0);
    });
  });

  describe('idempotency', () => {
    it('answers a repeated Idempotency-Key with the same resource, counted as a duplicate', async () => {
      const first = await post(fake, 'Messages', SMS, { key: 'attempt-1' });
      const again = await post(fake, 'Messages', SMS, { key: 'attempt-1' });
      const other = await post(fake, 'Messages', SMS, { key: 'attempt-2' });
      const unkeyed = await post(fake, 'Messages', SMS);

      expect(again.status).toBe(201);
      expect(again.json['sid']).toBe(first.json['sid']);
      expect(other.json['sid']).not.toBe(first.json['sid']);
      expect(unkeyed.status).toBe(201);
      expect(fake.accepted()).toHaveLength(3);
      expect(fake.duplicates).toBe(1);
      expect(fake.requests.map((r) => r.duplicate)).toEqual([false, true, false, false]);
    });

    it('keeps SMS and call keys apart', async () => {
      const sms = await post(fake, 'Messages', SMS, { key: 'same' });
      const call = await post(fake, 'Calls', CALL, { key: 'same' });

      expect(String(sms.json['sid']).slice(0, 2)).toBe('SM');
      expect(String(call.json['sid']).slice(0, 2)).toBe('CA');
      expect(fake.duplicates).toBe(0);
    });
  });

  describe('scripted behaviour', () => {
    it('fails the next N requests with the given status, then behaves normally', async () => {
      fake.behave({ kind: 'fail', status: 500, times: 2 });

      const answers = [await post(fake, 'Messages', SMS), await post(fake, 'Messages', SMS)];
      const third = await post(fake, 'Messages', SMS);

      expect(answers.map((a) => a.status)).toEqual([500, 500]);
      expect(answers[0]?.json).toMatchObject({ code: 20500, status: 500 });
      expect(third.status).toBe(201);
      expect(fake.accepted()).toHaveLength(1);
    });

    it('fails with a chosen Twilio code (400 / 21211) and only on the chosen channel', async () => {
      fake.behave({ kind: 'fail', status: 400, code: 21211, message: 'invalid To', channel: 'sms' });

      const call = await post(fake, 'Calls', CALL);
      const sms = await post(fake, 'Messages', SMS);
      const smsAgain = await post(fake, 'Messages', SMS);
      fake.behave({ kind: 'normal' });
      const smsAfter = await post(fake, 'Messages', SMS);

      expect(call.status).toBe(201);
      expect(sms.json).toEqual({
        code: 21211,
        message: 'invalid To',
        more_info: 'https://www.twilio.com/docs/errors/21211',
        status: 400,
      });
      expect(smsAgain.status).toBe(400);
      expect(smsAfter.status).toBe(201);
    });

    it.each([429, 503])('fails with %d and its default Twilio code', async (status) => {
      fake.behave({ kind: 'fail', status, times: 1 });

      const answer = await post(fake, 'Calls', CALL);

      expect(answer).toMatchObject({ status, json: { status, code: 20000 + status } });
    });

    it('stalls without answering until the client gives up; the request is recorded unanswered', async () => {
      fake.behave({ kind: 'stall', times: 1 });

      await expect(post(fake, 'Messages', SMS, { timeoutMs: 150 })).rejects.toThrow(/abort|timeout/i);
      const next = await post(fake, 'Messages', SMS);

      expect(fake.requests[0]).toMatchObject({ httpStatus: null, sid: null });
      expect(next.status).toBe(201);
    });

    it('stalls then answers after ms', async () => {
      fake.behave({ kind: 'stall', ms: 200 });

      const answer = await post(fake, 'Messages', SMS);

      expect(answer.status).toBe(201);
      expect(answer.ms).toBeGreaterThanOrEqual(190);
    });

    it('creates the message of a stalled request the client gave up on; the retry with its key is a duplicate', async () => {
      fake.behave({ kind: 'stall', ms: 300, times: 1 });

      await expect(post(fake, 'Messages', SMS, { key: 'k', timeoutMs: 100 })).rejects.toThrow();
      await fake.waitFor((r) => r.httpStatus === 201, 2000);
      const retry = await post(fake, 'Messages', SMS, { key: 'k' });

      expect(retry.status).toBe(201);
      expect(retry.json['sid']).toBe(fake.accepted()[0]?.sid);
      expect(fake.accepted()).toHaveLength(1);
      expect(fake.duplicates).toBe(1);
    });

    it('closes promptly with a request stalled forever', async () => {
      fake.behave({ kind: 'stall' });
      const stalled = post(fake, 'Messages', SMS).then(
        () => 'answered',
        (error: unknown) => String(error),
      );
      await fake.waitFor((r) => r.kind === 'sms', 2000);
      const started = Date.now();

      await fake.close();

      expect(Date.now() - started).toBeLessThan(1000);
      await expect(stalled).resolves.toMatch(/fetch failed/);
    });
  });

  describe('reset', () => {
    it('forgets requests, resources, duplicates and behaviour', async () => {
      await post(fake, 'Messages', SMS, { key: 'k' });
      await post(fake, 'Messages', SMS, { key: 'k' });
      fake.behave({ kind: 'fail', status: 500 });

      fake.reset();
      const after = await post(fake, 'Messages', SMS, { key: 'k' });

      expect(after.status).toBe(201);
      expect(fake.requests).toHaveLength(1);
      expect(fake.accepted()).toHaveLength(1);
      expect(fake.duplicates).toBe(0);
    });
  });

  describe('waitFor', () => {
    it('resolves with a request that arrives later, and rejects after its timeout', async () => {
      const waiting = fake.waitFor((r) => r.to === '+8613900139000' && r.httpStatus === 201, 2000);
      await post(fake, 'Messages', { ...SMS, To: '+8613900139000' });

      await expect(waiting).resolves.toMatchObject({ kind: 'sms', to: '+8613900139000' });
      await expect(fake.waitFor((r) => r.kind === 'call', 50)).rejects.toThrow(/within 50 ms/);
    });
  });

  describe('status callbacks', () => {
    let receiver: CallbackReceiver;
    beforeEach(async () => {
      receiver = await CallbackReceiver.start();
    });
    afterEach(async () => {
      await receiver.close();
    });

    it('POSTs MessageSid/MessageStatus signed so that the twilio SDK validateRequest accepts it', async () => {
      const callbackUrl = `${receiver.base}/api/providers/twilio/status?attempt=a-1`;
      const { json } = await post(fake, 'Messages', { ...SMS, StatusCallback: callbackUrl });
      const sid = String(json['sid']);

      const sent = await fake.sendStatusCallback(sid, 'delivered');

      expect(sent.httpStatus).toBe(204);
      const [got] = receiver.received;
      expect(got?.params).toMatchObject({
        MessageSid: sid,
        MessageStatus: 'delivered',
        AccountSid: fake.accountSid,
        To: SMS.To,
        From: SMS.From,
      });
      expect(got?.params['ErrorCode']).toBeUndefined();
      const signature = String(got?.headers['x-twilio-signature']);
      expect(validateRequest(fake.authToken, signature, got?.url ?? '', got?.params ?? {})).toBe(true);
      expect(validateRequest('another-token', signature, got?.url ?? '', got?.params ?? {})).toBe(false);
    });

    it('sends CallSid/CallStatus and ErrorCode for a failed call', async () => {
      const { json } = await post(fake, 'Calls', { ...CALL, StatusCallback: `${receiver.base}/cb?attempt=c-1` });

      await fake.sendStatusCallback(String(json['sid']), 'failed', { errorCode: '13224' });

      const [got] = receiver.received;
      expect(got?.params).toMatchObject({ CallSid: json['sid'], CallStatus: 'failed', ErrorCode: '13224' });
      expect(
        validateRequest(fake.authToken, String(got?.headers['x-twilio-signature']), got?.url ?? '', got?.params ?? {}),
      ).toBe(true);
    });

    it('can send forged and tampered callbacks that do not validate', async () => {
      const { json } = await post(fake, 'Messages', { ...SMS, StatusCallback: `${receiver.base}/cb` });
      const sid = String(json['sid']);

      await fake.sendStatusCallback(sid, 'failed', { signWithToken: 'not-the-token' });
      await fake.sendStatusCallback(sid, 'failed', { alterAfterSigning: { MessageStatus: 'delivered' } });

      expect(receiver.received).toHaveLength(2);
      for (const got of receiver.received) {
        const signature = String(got.headers['x-twilio-signature']);
        expect(validateRequest(fake.authToken, signature, got.url, got.params)).toBe(false);
      }
      expect(receiver.received[0]?.params).toMatchObject({ MessageStatus: 'failed', ErrorCode: '30003' });
      expect(receiver.received[1]?.params['MessageStatus']).toBe('delivered');
    });

    it('sends the final callback on its own with autoCallback, on a given port', async () => {
      const port = await freePort();
      const auto = await TwilioFakeServer.start({ port, autoCallback: 'delivered', autoCallbackDelayMs: 10 });
      try {
        expect(auto.baseUrl).toBe(`http://127.0.0.1:${port}`);
        await post(auto, 'Calls', { ...CALL, StatusCallback: `${receiver.base}/cb` });
        await post(auto, 'Messages', { ...SMS, StatusCallback: `${receiver.base}/cb` });

        await eventually(() => auto.callbacks.length === 2, 'two automatic callbacks');

        const statuses = receiver.received.map((r) => r.params['CallStatus'] ?? r.params['MessageStatus']).sort();
        expect(statuses).toEqual(['completed', 'delivered']);
        expect(auto.callbacks.every((c) => c.httpStatus === 204)).toBe(true);
      } finally {
        await auto.close();
      }
    });

    it('refuses to call back for an unknown sid', async () => {
      await expect(fake.sendStatusCallback('SMnope', 'delivered')).rejects.toThrow(/unknown sid/);
    });
  });
});
