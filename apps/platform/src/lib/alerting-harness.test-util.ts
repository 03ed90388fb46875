import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FireiotConfig, loadConfig } from '@fireiot/config';
import { RunningPlatform, startPlatform } from '@fireiot/runtime';
import { SimulatedUitd } from '@fireiot/simulator';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { eventually, freePort, TwilioFakeServer } from '@fireiot/testing';
import { connectAsync, MqttClient } from 'mqtt';
import { io, Socket } from 'socket.io-client';
import { AlertingModule } from '@fireiot/alerting-service';

export const ADMIN = { username: 'admin', password: 'admin-password-1' };

export interface HttpResult<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

/** An app client on the `/alerts` namespace that records (and by default acknowledges) alerts. */
export interface AppClient {
  readonly socket: Socket;
  readonly alerts: Record<string, unknown>[];
  /** Stop acknowledging (an app that receives but never answers). */
  ack: boolean;
  close(): void;
}

/** An MQTT collector connected to the platform's embedded broker with its own credentials. */
export interface SensorClient {
  readonly id: string;
  readonly client: MqttClient;
  /** Publishes one event (QoS 1); resolves on PUBACK, i.e. once the platform stored it (docs/mqtt.md). */
  publish(payload: Readonly<Record<string, unknown>>): Promise<void>;
}

/** What a simulated UITD may do differently from the harness defaults. */
export interface UitdTuning {
  /** GB/T 26875.3 §6.5 confirm timeout before retransmitting (default 5 s). */
  readonly confirmTimeoutMs?: number;
  readonly retries?: number;
  /** Device profile overrides sent when provisioning (CQC/SC 11002 4.4.2). */
  readonly profile?: Readonly<Record<string, number>>;
  /** Type-21 heartbeats (default: none within a test). */
  readonly heartbeatIntervalMs?: number;
  /** A heartbeat as soon as connected, so the gateway knows the device at once (default false). */
  readonly heartbeatOnConnect?: boolean;
  /** Answer patrol queries (type 81); default true. */
  readonly answerPatrols?: boolean;
  /** Reconnect after the platform closes the connection (default: the simulator's). */
  readonly reconnectDelayMs?: number;
}

export interface ProvisionedUnit {
  readonly unitId: string;
  readonly userToken: string;
  readonly username: string;
  readonly contacts: readonly { id: string; phone: string }[];
}

/**
 * The embedded platform with alerting, in this process, against a real PostgreSQL, a local
 * Twilio fake and real sockets; plus the API calls the specs use to provision units, people and
 * devices as an operator would (contract.md, HTTP API).
 */
export class AlertingHarness {
  adminToken = '';
  private readonly clients: AppClient[] = [];
  private readonly devices: SimulatedUitd[] = [];
  private readonly sensors: MqttClient[] = [];
  private counter = 0;

  private constructor(
    readonly db: TestDatabase,
    readonly twilio: TwilioFakeServer,
    readonly config: FireiotConfig,
    public platform: RunningPlatform,
    private readonly dataDir: string,
  ) {}

  static async start(env: Record<string, string> = {}, twilio?: TwilioFakeServer): Promise<AlertingHarness> {
    const db = await startTestDatabase();
    const fake = twilio ?? (await TwilioFakeServer.start());
    const dataDir = mkdtempSync(join(tmpdir(), 'fireiot-alerting-'));
    const httpPort = await freePort();
    const config = loadConfig({
      FIREIOT_DATABASE_URL: db.ownerUrl,
      FIREIOT_DATA_DIR: dataDir,
      FIREIOT_HOST: '127.0.0.1',
      FIREIOT_HTTP_PORT: String(httpPort),
      FIREIOT_GB26875_PORT: String(await freePort()),
      FIREIOT_MQTT_PORT: String(await freePort()),
      FIREIOT_PUBLIC_URL: `http://127.0.0.1:${httpPort}`,
      TWILIO_ACCOUNT_SID: fake.accountSid,
      TWILIO_AUTH_TOKEN: fake.authToken,
      TWILIO_FROM: '+8610000000000',
      TWILIO_API_BASE: fake.baseUrl,
      FIREIOT_BOOTSTRAP_ADMIN: `${ADMIN.username}:${ADMIN.password}`,
      FIREIOT_PROVIDER_TIMEOUT_MS: '1000',
      FIREIOT_NOTIFY_BACKOFF_MS: '50',
      FIREIOT_LOG_LEVEL: 'warn',
      ...env,
    });
    const platform = await startPlatform(config, { modules: [AlertingModule] });
    const harness = new AlertingHarness(db, fake, config, platform, dataDir);
    harness.adminToken = await harness.login(ADMIN.username, ADMIN.password);
    return harness;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.platform.ports.http}`;
  }

  async http<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    token: string | null = this.adminToken,
  ): Promise<HttpResult<T>> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as T };
  }

  async login(username: string, password: string): Promise<string> {
    const res = await this.http<{ accessToken: string }>('POST', '/api/auth/login', { username, password }, null);
    if (res.status !== 200 && res.status !== 201)
      throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.accessToken;
  }

  /** A unit with one app user and the given contacts (default: one with SMS and voice). */
  async unit(
    options: {
      contacts?: readonly { channels: readonly ('sms' | 'voice')[] }[];
      faultPolicy?: 'all-channels' | 'escalate';
      escalateAfterS?: number;
      /** CQC/SC 11002 4.3.4: the alert kinds the service agreement covers (default: all). */
      monitoringScope?: readonly string[];
    } = {},
  ): Promise<ProvisionedUnit> {
    const n = ++this.counter;
    const created = await this.http<{ id: string }>('POST', '/api/units', {
      name: `Unit ${n}`,
      ...(options.faultPolicy ? { faultPolicy: options.faultPolicy } : {}),
      ...(options.escalateAfterS ? { escalateAfterS: options.escalateAfterS } : {}),
      ...(options.monitoringScope ? { monitoringScope: options.monitoringScope } : {}),
    });
    expectCreated(created, 'unit');
    const unitId = created.body.id;
    const username = `unit${n}-user`;
    expectCreated(
      await this.http('POST', `/api/units/${unitId}/users`, { username, password: 'unit-password-1' }),
      'unit user',
    );
    const contacts: { id: string; phone: string }[] = [];
    for (const [i, c] of (options.contacts ?? [{ channels: ['sms', 'voice'] }]).entries()) {
      const phone = `+86139${String(n).padStart(4, '0')}${String(i).padStart(4, '0')}`;
      const res = await this.http<{ id: string }>('POST', `/api/units/${unitId}/contacts`, {
        name: `Contact ${n}.${i}`,
        phone,
        channels: c.channels,
        escalationOrder: i + 1,
      });
      expectCreated(res, 'contact');
      contacts.push({ id: res.body.id, phone });
    }
    return { unitId, userToken: await this.login(username, 'unit-password-1'), username, contacts };
  }

  /** Registers a UITD for the unit and connects a simulated one with that address. */
  async uitd(unitId: string, address: number, tuning: UitdTuning = {}): Promise<SimulatedUitd> {
    const res = await this.http<{ id: string }>('POST', '/api/devices', {
      unitId,
      kind: 'uitd',
      address: String(address),
      power: 'mains',
      ...(tuning.profile ? { profile: tuning.profile } : {}),
    });
    expectCreated(res, 'device');
    return this.connectUitd(address, tuning);
  }

  /** A simulated UITD that nobody registered (no unit): its data is kept and flagged. */
  unregisteredUitd(address: number): Promise<SimulatedUitd> {
    return this.connectUitd(address, {});
  }

  private async connectUitd(address: number, tuning: UitdTuning): Promise<SimulatedUitd> {
    const port = this.platform.ports.gb26875;
    if (!port) throw new Error('the platform runs no GB/T 26875.3 gateway');
    const device = new SimulatedUitd({
      port,
      host: '127.0.0.1',
      address,
      heartbeatIntervalMs: tuning.heartbeatIntervalMs ?? 3_600_000,
      heartbeatOnConnect: tuning.heartbeatOnConnect ?? false,
      confirmTimeoutMs: tuning.confirmTimeoutMs ?? 5_000,
      ...(tuning.retries === undefined ? {} : { retries: tuning.retries }),
      ...(tuning.answerPatrols === undefined ? {} : { answerPatrols: tuning.answerPatrols }),
      ...(tuning.reconnectDelayMs === undefined ? {} : { reconnectDelayMs: tuning.reconnectDelayMs }),
    });
    await device.connect();
    this.devices.push(device);
    return device;
  }

  /** A collector (MQTT sensor) of the unit; returns its MQTT password. */
  async collector(unitId: string, id: string): Promise<string> {
    const res = await this.http<{ id: string; mqttPassword: string }>('POST', '/api/devices', {
      unitId,
      kind: 'collector',
      address: id,
      power: 'mains',
    });
    expectCreated(res, 'collector');
    return res.body.mqttPassword;
  }

  /**
   * A collector of the unit, connected to the embedded broker (client id = username = device id,
   * password = its secret; docs/mqtt.md), publishing to `fireiot/v1/devices/{id}/events`.
   */
  async sensor(unitId: string, id: string): Promise<SensorClient> {
    const password = await this.collector(unitId, id);
    const port = this.platform.ports.mqtt;
    if (!port) throw new Error('the platform runs no embedded MQTT broker');
    const client = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: id,
      username: id,
      password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
    });
    this.sensors.push(client);
    const topic = `fireiot/v1/devices/${id}/events`;
    return {
      id,
      client,
      publish: async (payload) => {
        await client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
      },
    };
  }

  /** A monitoring-centre account (`POST /api/users`) and its token. */
  async staff(role: 'operator' | 'auditor'): Promise<string> {
    const username = `${role}-${++this.counter}`;
    const password = 'staff-password-1';
    expectCreated(await this.http('POST', '/api/users', { username, password, role }), role);
    return this.login(username, password);
  }

  /** Connects to `/alerts` expecting a refusal; resolves with the `connect_error` message. */
  async appRefused(auth: Readonly<Record<string, unknown>>): Promise<string> {
    const socket = io(`${this.baseUrl}/alerts`, { auth: { ...auth }, transports: ['websocket'], reconnection: false });
    try {
      return await new Promise<string>((resolve, reject) => {
        socket.once('connect', () => reject(new Error('the /alerts namespace accepted the connection')));
        socket.once('connect_error', (error) => resolve(error.message));
      });
    } finally {
      socket.close();
    }
  }

  async app(token: string, options: { ack?: boolean } = {}): Promise<AppClient> {
    const socket = io(`${this.baseUrl}/alerts`, { auth: { token }, transports: ['websocket'], reconnection: true });
    const client: AppClient = {
      socket,
      alerts: [],
      ack: options.ack ?? true,
      close: () => void socket.close(),
    };
    socket.on('alert', (alert: Record<string, unknown>, ack?: (reply: unknown) => void) => {
      client.alerts.push(alert);
      if (client.ack && typeof ack === 'function') ack({ ok: true });
    });
    this.clients.push(client);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error) => {
        socket.close();
        reject(error);
      });
    });
    return client;
  }

  /** The alert as `GET /api/alerts/:id` shows it, once `done` holds for it. */
  async alertWhen(
    id: string,
    done: (alert: AlertView) => boolean,
    what = `alert ${id}`,
    token: string = this.adminToken,
  ): Promise<AlertView> {
    return eventually(
      async () => {
        const res = await this.http<AlertView>('GET', `/api/alerts/${id}`, undefined, token);
        return res.status === 200 && done(res.body) ? res.body : undefined;
      },
      what,
      15_000,
    );
  }

  async alerts(query = '', token: string = this.adminToken): Promise<AlertView[]> {
    const res = await this.http<{ alerts: AlertView[] }>('GET', `/api/alerts${query}`, undefined, token);
    if (res.status !== 200) throw new Error(`GET /api/alerts${query}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.alerts;
  }

  /** `GET /api/alerts<query>` once `done` holds for the list. */
  async alertsWhen(
    query: string,
    done: (alerts: AlertView[]) => boolean,
    what = `alerts ${query}`,
    token: string = this.adminToken,
  ): Promise<AlertView[]> {
    return eventually(
      async () => {
        const list = await this.alerts(query, token);
        return done(list) ? list : undefined;
      },
      what,
      15_000,
    );
  }

  /** Stops the platform only (a restart follows); `keepDevices`: simulated UITDs stay up and reconnect. */
  async stopPlatform(options: { keepDevices?: boolean } = {}): Promise<void> {
    for (const c of this.clients.splice(0)) c.close();
    if (!options.keepDevices) for (const d of this.devices.splice(0)) await d.close(0).catch(() => undefined);
    for (const m of this.sensors.splice(0)) await m.endAsync(true).catch(() => undefined);
    await this.platform.stop();
  }

  async restartPlatform(): Promise<void> {
    this.platform = await startPlatform(this.config, { modules: [AlertingModule] });
    this.adminToken = await this.login(ADMIN.username, ADMIN.password);
  }

  async stop(): Promise<void> {
    await this.stopPlatform().catch(() => undefined);
    await this.twilio.close();
    await this.db.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export interface AttemptView {
  readonly channel: 'app' | 'sms' | 'voice';
  readonly status: string;
  readonly at: string;
  readonly recipient: string | null;
  readonly address: string | null;
  readonly attemptNo: number;
  readonly attemptKey: string;
  readonly providerRef: string | null;
  readonly elapsedUs: number | null;
  readonly deadlineMet: boolean | null;
  readonly error: string | null;
}

export interface AlertView {
  readonly id: string;
  readonly unitId: string | null;
  readonly deviceKey: string;
  readonly subject: string;
  readonly kind: string;
  readonly clause: string;
  readonly item: string | null;
  readonly ruleId: string;
  readonly title: string;
  readonly state: string;
  readonly receivedAt: string;
  readonly firstSentAt: string | null;
  readonly firstSentElapsedMs: number | null;
  readonly deadlineMet: boolean | null;
  readonly restores: string | null;
  readonly suppressed: string | null;
  readonly repeats: number;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly closedAt: string | null;
  readonly attempts: readonly AttemptView[];
  readonly events: readonly { type: string; at: string; actor: string | null; note: string | null }[];
}

function expectCreated(res: HttpResult, what: string): asserts res is HttpResult<{ id: string }> {
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`creating ${what}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** A GB/T 26875.3 time label (naive local time) for the objects a spec uploads. */
export function timeLabel(at = new Date()): string {
  const local = new Date(at.getTime() - at.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}

/** The first alert an app client received that matches `match`. */
export function pushed(
  app: AppClient,
  match: (alert: Record<string, unknown>) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<Record<string, unknown>> {
  return eventually(() => app.alerts.find(match), what, timeoutMs);
}
