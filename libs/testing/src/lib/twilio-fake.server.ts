import { createHmac, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A local fake of the part of Twilio's REST API the platform uses (Programmable Messaging and
 * Voice: `POST /2010-04-01/Accounts/{sid}/Messages.json` and `/Calls.json`), for integration
 * specs and the demo. A real HTTP server on 127.0.0.1.
 *
 * Written from Twilio's public API reference with node built-ins only, on purpose: it must not
 * share code with the `twilio` SDK, so the platform's use of the SDK is checked against an
 * independent reading of the wire format (form-encoded requests, basic auth, JSON resources and
 * error bodies `{ code, message, more_info, status }`, signed status callbacks).
 */

export type TwilioFakeKind = 'sms' | 'call';

/** One request the fake received (whatever it answered). */
export interface TwilioFakeRequest {
  readonly kind: TwilioFakeKind;
  /** The account SID in the request path. */
  readonly accountSid: string;
  readonly to: string | null;
  readonly from: string | null;
  /** SMS text (`Body`). */
  readonly body: string | null;
  /** Call instructions given inline (`Twiml`). */
  readonly twiml: string | null;
  /** Call instructions by URL (`Url`). */
  readonly url: string | null;
  readonly statusCallback: string | null;
  /** Calls: the `StatusCallbackEvent` values (repeated parameter). */
  readonly statusCallbackEvents: readonly string[];
  /** The `Idempotency-Key` request header. */
  readonly idempotencyKey: string | null;
  /** Every form parameter as sent (repeated keys keep every value). */
  readonly params: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly receivedAt: Date;
  /** `process.hrtime.bigint()` when the request's body had been read. */
  readonly receivedHr: bigint;
  /** The message/call SID returned; null when the request was refused or is not answered yet. */
  readonly sid: string | null;
  /** The HTTP status answered; null while the request is stalled (or was never answered). */
  readonly httpStatus: number | null;
  /** True when an earlier request with the same idempotency key had created the resource. */
  readonly duplicate: boolean;
}

/** A message or call resource the fake created (one per distinct request). */
export interface TwilioFakeResource {
  readonly kind: TwilioFakeKind;
  readonly sid: string;
  readonly request: TwilioFakeRequest;
  /** The JSON body answered (Twilio's resource shape). */
  readonly json: Readonly<Record<string, unknown>>;
}

/** A status callback the fake sent. */
export interface TwilioFakeCallback {
  readonly sid: string;
  readonly url: string;
  readonly params: Readonly<Record<string, string>>;
  readonly signature: string;
  readonly sentAt: Date;
  /** HTTP status the platform answered; null when the POST itself failed (`error`). */
  readonly httpStatus: number | null;
  readonly responseBody: string;
  readonly error: string | null;
}

/**
 * What the fake does with the next requests.
 * - `normal`: answer like Twilio.
 * - `fail`: answer `status` with a Twilio error body (`code`, default by status) for the next
 *   `times` requests (default: until told otherwise); e.g. 500, 503, 429, or 400 with 21211.
 * - `stall`: read the request, then answer after `ms` (normally) or never (`ms` omitted), for the
 *   next `times` requests (default: until told otherwise). A stalled request that is answered later
 *   is processed then (the message is created even if the client gave up: what idempotency is for).
 * `channel` limits a behaviour to SMS or calls (the other keeps behaving normally).
 */
export type TwilioFakeBehaviour =
  | { readonly kind: 'normal' }
  | {
      readonly kind: 'fail';
      readonly status: number;
      readonly code?: number;
      readonly message?: string;
      readonly times?: number;
      readonly channel?: TwilioFakeKind;
    }
  | { readonly kind: 'stall'; readonly ms?: number; readonly times?: number; readonly channel?: TwilioFakeKind };

export interface TwilioFakeOptions {
  /** Default: a random `AC…` SID. */
  readonly accountSid?: string;
  /** Default: a random 32-hex token. */
  readonly authToken?: string;
  /** Default: a random free port. */
  readonly port?: number;
  /** Send this final status callback on its own shortly after accepting a message or call. */
  readonly autoCallback?: 'delivered' | 'failed' | null;
  /** Delay before the automatic callback (default 20 ms). */
  readonly autoCallbackDelayMs?: number;
}

export interface TwilioFakeCallbackOptions {
  /** `ErrorCode` of a failed status (default 30003 for SMS, 31005 for calls). */
  readonly errorCode?: string;
  /** Sign with this token instead of the account's (a forged callback). */
  readonly signWithToken?: string;
  /** Parameters changed after signing (a tampered callback). */
  readonly alterAfterSigning?: Readonly<Record<string, string>>;
}

const API_VERSION = '2010-04-01';
const PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/;
/** E.164 (Twilio error 21211 otherwise); calls may also dial `client:` / `sip:` addresses. */
const E164 = /^\+[1-9]\d{1,14}$/;
const FINAL_FAILED_SMS = new Set(['failed', 'undelivered']);
const FINAL_FAILED_CALL = new Set(['failed']);

/** Twilio's default error codes per HTTP status (https://www.twilio.com/docs/api/errors). */
const DEFAULT_ERRORS: Readonly<Record<number, { code: number; message: string }>> = {
  400: { code: 21211, message: "The 'To' number is not a valid phone number." },
  401: { code: 20003, message: 'Authenticate' },
  403: { code: 20003, message: 'Permission denied' },
  404: { code: 20404, message: 'The requested resource was not found' },
  405: { code: 20004, message: 'Method not allowed' },
  429: { code: 20429, message: 'Too Many Requests' },
  500: { code: 20500, message: 'Internal Server Error' },
  503: { code: 20503, message: 'Service Unavailable' },
};

type MutableRequest = { -readonly [K in keyof TwilioFakeRequest]: TwilioFakeRequest[K] };

type ActiveBehaviour = Exclude<TwilioFakeBehaviour, { kind: 'normal' }> & { remaining: number };

interface Waiter {
  readonly predicate: (request: TwilioFakeRequest) => boolean;
  readonly resolve: (request: TwilioFakeRequest) => void;
}

export class TwilioFakeServer {
  readonly accountSid: string;
  readonly authToken: string;
  private readonly log: MutableRequest[] = [];
  private readonly resources: TwilioFakeResource[] = [];
  private readonly byKey = new Map<string, TwilioFakeResource>();
  private readonly bySid = new Map<string, TwilioFakeResource>();
  private readonly sentCallbacks: TwilioFakeCallback[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly stalls = new Set<() => void>();
  private readonly waiters = new Set<Waiter>();
  private readonly autoCallback: 'delivered' | 'failed' | null;
  private readonly autoCallbackDelayMs: number;
  private behaviour: ActiveBehaviour | null = null;
  private duplicateCount = 0;
  private closed = false;
  private listeningPort = 0;

  private constructor(
    private readonly server: Server,
    options: TwilioFakeOptions,
  ) {
    this.accountSid = options.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
    this.authToken = options.authToken ?? randomBytes(16).toString('hex');
    this.autoCallback = options.autoCallback ?? null;
    this.autoCallbackDelayMs = options.autoCallbackDelayMs ?? 20;
  }

  /** Starts a fake on 127.0.0.1 (`options.port`, or a random free port). */
  static async start(options: TwilioFakeOptions = {}): Promise<TwilioFakeServer> {
    const server = createServer();
    const fake = new TwilioFakeServer(server, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => fake.track(fake.handle(req, res)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        fake.listeningPort = (server.address() as AddressInfo).port;
        resolve();
      });
    });
    return fake;
  }

  /** The port listened on (still known after close()). */
  get port(): number {
    return this.listeningPort;
  }

  /** What `TWILIO_API_BASE` should be set to. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every request received, in order. */
  get requests(): readonly TwilioFakeRequest[] {
    return this.log;
  }

  /** Distinct messages and calls created (a deduplicated retry does not add one). */
  accepted(kind?: TwilioFakeKind): readonly TwilioFakeResource[] {
    return kind === undefined ? [...this.resources] : this.resources.filter((r) => r.kind === kind);
  }

  /** Requests answered with an existing resource because their idempotency key was seen before. */
  get duplicates(): number {
    return this.duplicateCount;
  }

  /** Status callbacks sent so far. */
  get callbacks(): readonly TwilioFakeCallback[] {
    return this.sentCallbacks;
  }

  /** Changes what the fake does with the next requests (see `TwilioFakeBehaviour`). */
  behave(behaviour: TwilioFakeBehaviour): void {
    this.behaviour =
      behaviour.kind === 'normal' ? null : { ...behaviour, remaining: behaviour.times ?? Number.POSITIVE_INFINITY };
  }

  /** Forgets recorded requests, resources, callbacks and behaviour (the port stays). */
  reset(): void {
    this.log.length = 0;
    this.resources.length = 0;
    this.sentCallbacks.length = 0;
    this.byKey.clear();
    this.bySid.clear();
    this.duplicateCount = 0;
    this.behaviour = null;
  }

  /**
   * The first recorded request (past or future, received or answered) matching `predicate`;
   * rejects after `timeoutMs`.
   */
  async waitFor(predicate: (request: TwilioFakeRequest) => boolean, timeoutMs = 5000): Promise<TwilioFakeRequest> {
    const found = this.log.find(predicate);
    if (found !== undefined) return found;
    return new Promise<TwilioFakeRequest>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`TwilioFakeServer.waitFor: no matching request within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        predicate,
        resolve: (request) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(request);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * POSTs a status callback for `sid` to its request's `StatusCallback`, the way Twilio does:
   * form parameters (`MessageSid`/`MessageStatus` or `CallSid`/`CallStatus`, `AccountSid`, `To`,
   * `From`, `ErrorCode` when failed) and `X-Twilio-Signature` =
   * base64(HMAC-SHA1(authToken, url + each parameter name immediately followed by its value, sorted
   * by name)). Resolves with what the platform answered.
   */
  async sendStatusCallback(
    sid: string,
    status: string,
    options: TwilioFakeCallbackOptions = {},
  ): Promise<TwilioFakeCallback> {
    const resource = this.bySid.get(sid);
    if (resource === undefined) throw new Error(`TwilioFakeServer: unknown sid ${sid}`);
    const url = resource.request.statusCallback;
    if (url === null) throw new Error(`TwilioFakeServer: ${sid} was created without a StatusCallback`);
    const params = this.callbackParams(resource, status, options.errorCode);
    const signature = twilioSignature(options.signWithToken ?? this.authToken, url, params);
    const sent = { ...params, ...options.alterAfterSigning };
    const sentAt = new Date();
    let callback: TwilioFakeCallback;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signature,
          'user-agent': 'TwilioProxy/1.1',
          'i-twilio-idempotency-token': randomBytes(16).toString('hex'),
        },
        body: new URLSearchParams(sent).toString(),
        signal: AbortSignal.timeout(5000),
      });
      const responseBody = await response.text();
      callback = { sid, url, params: sent, signature, sentAt, httpStatus: response.status, responseBody, error: null };
    } catch (error) {
      callback = {
        sid,
        url,
        params: sent,
        signature,
        sentAt,
        httpStatus: null,
        responseBody: '',
        error: String(error),
      };
    }
    this.sentCallbacks.push(callback);
    return callback;
  }

  /** Stops listening, drops stalled requests, cancels automatic callbacks, waits for those under way. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const release of [...this.stalls]) release();
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await stopped;
    await Promise.allSettled([...this.pending]);
  }

  /** Keeps work under way (requests, callbacks) so close() can wait for it; its errors end there. */
  private track(promise: Promise<unknown>): void {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const receivedHr = process.hrtime.bigint();
    const receivedAt = new Date();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const match = PATH.exec(path);
    if (match === null) {
      sendError(res, 404, defaultError(404));
      return;
    }
    if (req.method !== 'POST') {
      sendError(res, 405, defaultError(405));
      return;
    }
    const kind: TwilioFakeKind = match[2] === 'Messages' ? 'sms' : 'call';
    const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const idempotencyKey = req.headers['idempotency-key'];
    const record: MutableRequest = {
      kind,
      accountSid: decodeURIComponent(match[1] ?? ''),
      to: params.get('To'),
      from: params.get('From'),
      body: params.get('Body'),
      twiml: params.get('Twiml'),
      url: params.get('Url'),
      statusCallback: params.get('StatusCallback'),
      statusCallbackEvents: params.getAll('StatusCallbackEvent'),
      idempotencyKey: typeof idempotencyKey === 'string' && idempotencyKey !== '' ? idempotencyKey : null,
      params,
      headers: { ...req.headers },
      receivedAt,
      receivedHr,
      sid: null,
      httpStatus: null,
      duplicate: false,
    };
    this.log.push(record);
    this.notify(record);

    const behaviour = this.takeBehaviour(kind);
    if (behaviour?.kind === 'fail') {
      const fallback = defaultError(behaviour.status);
      this.answerError(record, res, behaviour.status, {
        code: behaviour.code ?? fallback.code,
        message: behaviour.message ?? fallback.message,
      });
      return;
    }
    if (behaviour?.kind === 'stall') {
      if (behaviour.ms === undefined) return; // never answered; close() drops the connection
      await this.delay(behaviour.ms);
      if (this.closed) return;
    }
    this.answer(record, req, res);
  }

  private answer(record: MutableRequest, req: IncomingMessage, res: ServerResponse): void {
    if (!this.authorized(req.headers.authorization)) {
      this.answerError(record, res, 401, defaultError(401));
      return;
    }
    if (record.accountSid !== this.accountSid) {
      this.answerError(record, res, 404, defaultError(404));
      return;
    }
    const invalid = validate(record);
    if (invalid !== null) {
      this.answerError(record, res, 400, invalid);
      return;
    }
    const dedupeKey = record.idempotencyKey === null ? null : `${record.kind}:${record.idempotencyKey}`;
    const existing = dedupeKey === null ? undefined : this.byKey.get(dedupeKey);
    if (existing !== undefined) {
      this.duplicateCount += 1;
      record.duplicate = true;
      this.finish(record, res, 201, existing.json, existing.sid);
      return;
    }
    const resource = this.create(record);
    if (dedupeKey !== null) this.byKey.set(dedupeKey, resource);
    this.finish(record, res, 201, resource.json, resource.sid);
    const auto = this.autoCallback;
    if (auto !== null && record.statusCallback !== null) {
      const status = auto === 'delivered' ? (record.kind === 'sms' ? 'delivered' : 'completed') : 'failed';
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.track(this.sendStatusCallback(resource.sid, status));
      }, this.autoCallbackDelayMs);
      this.timers.add(timer);
    }
  }

  private create(record: MutableRequest): TwilioFakeResource {
    const sid = `${record.kind === 'sms' ? 'SM' : 'CA'}${randomBytes(16).toString('hex')}`;
    const now = rfc2822(record.receivedAt);
    const base = `/${API_VERSION}/Accounts/${this.accountSid}`;
    const json: Record<string, unknown> =
      record.kind === 'sms'
        ? {
            account_sid: this.accountSid,
            api_version: API_VERSION,
            body: record.body,
            date_created: now,
            date_sent: null,
            date_updated: now,
            direction: 'outbound-api',
            error_code: null,
            error_message: null,
            from: record.from,
            messaging_service_sid: null,
            num_media: '0',
            num_segments: String(smsSegments(record.body ?? '')),
            price: null,
            price_unit: 'USD',
            sid,
            status: 'queued',
            subresource_uris: { media: `${base}/Messages/${sid}/Media.json` },
            to: record.to,
            uri: `${base}/Messages/${sid}.json`,
          }
        : {
            account_sid: this.accountSid,
            annotation: null,
            answered_by: null,
            api_version: API_VERSION,
            caller_name: null,
            date_created: now,
            date_updated: now,
            direction: 'outbound-api',
            duration: null,
            end_time: null,
            forwarded_from: null,
            from: record.from,
            from_formatted: record.from,
            group_sid: null,
            parent_call_sid: null,
            phone_number_sid: null,
            price: null,
            price_unit: 'USD',
            queue_time: '0',
            sid,
            start_time: null,
            status: 'queued',
            subresource_uris: {
              notifications: `${base}/Calls/${sid}/Notifications.json`,
              recordings: `${base}/Calls/${sid}/Recordings.json`,
            },
            to: record.to,
            to_formatted: record.to,
            trunk_sid: null,
            uri: `${base}/Calls/${sid}.json`,
          };
    const resource: TwilioFakeResource = { kind: record.kind, sid, request: record, json };
    this.resources.push(resource);
    this.bySid.set(sid, resource);
    return resource;
  }

  private callbackParams(
    resource: TwilioFakeResource,
    status: string,
    errorCode: string | undefined,
  ): Record<string, string> {
    const { request } = resource;
    const common = {
      AccountSid: this.accountSid,
      ApiVersion: API_VERSION,
      From: request.from ?? '',
      To: request.to ?? '',
    };
    if (resource.kind === 'sms') {
      const params: Record<string, string> = {
        ...common,
        MessageSid: resource.sid,
        MessageStatus: status,
        SmsSid: resource.sid,
        SmsStatus: status,
      };
      if (FINAL_FAILED_SMS.has(status)) params['ErrorCode'] = errorCode ?? '30003';
      return params;
    }
    const params: Record<string, string> = {
      ...common,
      CallSid: resource.sid,
      CallStatus: status,
      Called: request.to ?? '',
      Caller: request.from ?? '',
      Direction: 'outbound-api',
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(this.sentCallbacks.filter((c) => c.sid === resource.sid).length),
      Timestamp: rfc2822(new Date()),
    };
    if (status === 'completed') params['CallDuration'] = '12';
    if (FINAL_FAILED_CALL.has(status) || errorCode !== undefined) params['ErrorCode'] = errorCode ?? '31005';
    return params;
  }

  private takeBehaviour(kind: TwilioFakeKind): ActiveBehaviour | null {
    const behaviour = this.behaviour;
    if (behaviour === null || (behaviour.channel !== undefined && behaviour.channel !== kind)) return null;
    behaviour.remaining -= 1;
    if (behaviour.remaining <= 0) this.behaviour = null;
    return behaviour;
  }

  private authorized(header: string | undefined): boolean {
    if (header === undefined || !header.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    return decoded === `${this.accountSid}:${this.authToken}`;
  }

  private answerError(
    record: MutableRequest,
    res: ServerResponse,
    status: number,
    error: { code: number; message: string },
  ): void {
    this.finish(record, res, status, errorBody(status, error), null);
  }

  private finish(
    record: MutableRequest,
    res: ServerResponse,
    status: number,
    json: Readonly<Record<string, unknown>>,
    sid: string | null,
  ): void {
    record.httpStatus = status;
    record.sid = sid;
    send(res, status, json);
    this.notify(record);
  }

  private notify(record: TwilioFakeRequest): void {
    for (const waiter of [...this.waiters]) if (waiter.predicate(record)) waiter.resolve(record);
  }

  /** Resolves after `ms`, or at once when the fake closes. */
  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.stalls.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stalls.add(done);
    });
  }
}

/**
 * Twilio's request signature (https://www.twilio.com/docs/usage/security#validating-requests):
 * base64(HMAC-SHA1(authToken, url + name1 + value1 + name2 + value2 … with names sorted)).
 */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + (params[key] ?? ''), url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

function validate(record: TwilioFakeRequest): { code: number; message: string } | null {
  if (record.to === null || record.to === '') return { code: 21604, message: "A 'To' phone number is required." };
  if (record.from === null || record.from === '') return { code: 21603, message: "A 'From' phone number is required." };
  const dialable = record.kind === 'call' && /^(client|sip):/.test(record.to);
  if (!dialable && !E164.test(record.to)) {
    return { code: 21211, message: `The 'To' number ${record.to} is not a valid phone number.` };
  }
  if (record.kind === 'sms') {
    if (record.body === null || record.body === '') return { code: 21602, message: 'Message body is required.' };
    if (record.body.length > 1600) {
      return { code: 21617, message: 'The concatenated message body exceeds the 1600 character limit.' };
    }
    return null;
  }
  if ((record.twiml === null || record.twiml === '') && (record.url === null || record.url === '')) {
    return { code: 21205, message: 'Url parameter is required (or Twiml).' };
  }
  return null;
}

function errorBody(status: number, error: { code: number; message: string }): Record<string, unknown> {
  return {
    code: error.code,
    message: error.message,
    more_info: `https://www.twilio.com/docs/errors/${error.code}`,
    status,
  };
}

function defaultError(status: number): { code: number; message: string } {
  return DEFAULT_ERRORS[status] ?? { code: 20500, message: `HTTP ${status}` };
}

function sendError(res: ServerResponse, status: number, error: { code: number; message: string }): void {
  send(res, status, errorBody(status, error));
}

function send(res: ServerResponse, status: number, json: Readonly<Record<string, unknown>>): void {
  if (res.destroyed) return;
  const body = JSON.stringify(json);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** `Thu, 24 Aug 2023 05:01:45 +0000`, the date format of Twilio's 2010-04-01 API. */
function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** GSM-7 text: 160 characters (153 per part); anything else UCS-2: 70 (67 per part). */
function smsSegments(body: string): number {
  const ucs2 = /[^\x20-\x7e\n\r]/.test(body);
  const single = ucs2 ? 70 : 160;
  const part = ucs2 ? 67 : 153;
  return body.length <= single ? 1 : Math.ceil(body.length / part);
}
