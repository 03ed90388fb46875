import 'reflect-metadata';
import { loadConfig } from '@fireiot/config';
import { bootstrapLogger, describeListeners, RunningPlatform, startPlatform } from '@fireiot/runtime';
import { hashSecret } from '@fireiot/secrets';
import { UitdSwarm } from '@fireiot/simulator';
import { DatabaseHandle } from '@fireiot/storage';
import { TwilioFakeServer } from '@fireiot/testing';
import { connect, MqttClient } from 'mqtt';
import { Pool } from 'pg';
import { io } from 'socket.io-client';
import { AlertingModule } from '@fireiot/alerting-service';

/**
 * `npm run demo`: the platform (as `npm start`) with a demo unit, its users and contacts, a
 * simulated fleet (20 UITDs over TCP, 3 MQTT sensors) that raises fire alarms, faults and
 * abnormal readings, an app client logged in as the unit's user, and — unless real Twilio
 * credentials are given — a local Twilio stand-in that prints each SMS and call it accepts.
 * Every alert is printed as the app receives it, with its receive and send times.
 */
const OPERATOR = { username: 'operator', password: 'fireiot-demo' };
const UNIT_USER = { username: 'demo-unit', password: 'fireiot-demo' };
const AUDITOR = { username: 'auditor', password: 'fireiot-demo' };
const CONTACT = { name: '值班电话 Duty phone', phone: '+8613800000001', channels: ['sms', 'voice'] };
const SENSORS = ['pump-room-pressure', 'roof-tank-level', 'fire-pump-cabinet'];
const SENSOR_SECRET = 'demo-sensor-secret';

async function main(): Promise<void> {
  const print = (line: string): void => void process.stdout.write(`${new Date().toISOString()}  ${line}\n`);
  const env: Record<string, string | undefined> = {
    FIREIOT_BOOTSTRAP_ADMIN: `${OPERATOR.username}:${OPERATOR.password}`,
    ...process.env,
  };
  let twilio: TwilioFakeServer | null = null;
  if (!env['TWILIO_ACCOUNT_SID']) {
    // No real provider: a local stand-in of Twilio's REST API, so the SMS and voice channels run
    // for real (HTTP, form-encoded, basic auth, signed delivery callbacks).
    twilio = await TwilioFakeServer.start({ autoCallback: 'delivered', autoCallbackDelayMs: 500 });
    Object.assign(env, {
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: '+8610000000000',
      TWILIO_API_BASE: twilio.baseUrl,
    });
  }
  const config = loadConfig(env);
  const platform = await startPlatform(config, { modules: [AlertingModule] });
  process.stdout.write(`${describeListeners(config, platform.ports)}\n`);
  const api = new DemoApi(`http://127.0.0.1:${platform.ports.http}`);
  await api.login(OPERATOR);
  const unitId = await api.seedUnit();
  await api.auditor();
  const devices = Number(process.env['FIREIOT_DEMO_DEVICES'] ?? 20);
  for (let i = 0; i < devices; i++)
    await api.device({ unitId, kind: 'uitd', address: String(100_000 + i), power: 'mains' });
  await registerSensors(platform, unitId);
  const userToken = await new DemoApi(api.base).login(UNIT_USER);

  process.stdout.write(
    [
      '',
      `open ${api.base}/ in a browser (the monitoring-centre console, the unit app, the audit view)`,
      'demo unit "演示单位 Demo unit" is provisioned; log in with',
      `  operator (monitoring centre)  ${OPERATOR.username} / ${OPERATOR.password}`,
      `  unit user (the unit's app)    ${UNIT_USER.username} / ${UNIT_USER.password}`,
      `  auditor (read-only)           ${AUDITOR.username} / ${AUDITOR.password}`,
      `  curl -s -X POST ${api.base}/api/auth/login -H 'content-type: application/json' \\`,
      `       -d '{"username":"${UNIT_USER.username}","password":"${UNIT_USER.password}"}'`,
      `  then GET ${api.base}/api/alerts with "Authorization: Bearer <accessToken>"`,
      twilio
        ? `SMS and voice go to a local Twilio stand-in at ${twilio.baseUrl} (set TWILIO_* to use a real account)`
        : `SMS and voice go to Twilio (${config.twilio.apiBase})`,
      '',
    ].join('\n'),
  );

  // The unit's app: every alert it receives, acknowledged (the platform records the delivery).
  const app = io(`${api.base}/alerts`, { auth: { token: userToken }, transports: ['websocket'] });
  app.on('connect_error', (error) => print(`app          cannot connect: ${error.message}`));
  app.on('alert', (a: Record<string, unknown>, ack?: (reply: unknown) => void) => {
    ack?.({ ok: true });
    const received = Date.parse(String(a['receivedAt']));
    const sent = Date.parse(String(a['sentAt']));
    print(
      `APP ALERT    ${String(a['kind']).padEnd(18)} ${String(a['clause'])}${a['item'] ? ` ${String(a['item'])})` : '   '}  ${String(a['title'])}${a['location'] ? ` · ${String(a['location'])}` : ''}  ${String(a['deviceKey'])}  received ${String(a['receivedAt'])}  sent ${String(a['sentAt'])}  (+${sent - received} ms)`,
    );
  });
  if (twilio) {
    let seen = 0;
    const poll = setInterval(() => {
      for (const r of twilio.requests.slice(seen)) {
        print(
          `TWILIO ${r.kind === 'sms' ? 'SMS ' : 'CALL'}  to ${r.to ?? '?'}  HTTP ${r.httpStatus ?? 'pending'}  ${r.sid ?? ''}  at ${r.receivedAt.toISOString()}${r.body ? `  “${r.body}”` : ''}`,
        );
      }
      seen = twilio.requests.length;
    }, 200);
    poll.unref();
  }

  if (platform.ports.gb26875 === null) throw new Error('the demo needs the device gateway in this process');
  const swarm = new UitdSwarm({
    port: platform.ports.gb26875,
    devices,
    addressBase: 100_000,
    fireRate: 1 / 30,
    faultRate: 1 / 10,
    telemetryRate: 2,
    heartbeatIntervalMs: 30_000,
  });
  await swarm.start();
  print(`simulated fleet: ${devices} UITDs, addresses 100000–${100_000 + devices - 1}; 3 MQTT sensors`);
  // Every 45 s one device drops its connection and comes back 15 s later.
  const dropper = setInterval(() => {
    const device = swarm.devices[Math.floor(Math.random() * swarm.devices.length)];
    if (!device) return;
    void device
      .disconnect()
      .then(() => setTimeout(() => void device.reconnect().catch(() => undefined), 15_000).unref());
  }, 45_000);
  dropper.unref();
  const sensors = startSensors(platform);

  let signals = 0;
  const shutdown = (): void => {
    if (++signals > 1) process.exit(130);
    clearInterval(dropper);
    app.close();
    // The platform stops first: it finishes what it has read and closes the devices' connections
    // itself, which is no communication loss (CQC/SC 11002 4.4.2). Devices stopping first would
    // be lost devices, alerted to the demo unit on every Ctrl-C.
    void platform
      .stop()
      .then(() => swarm.stop({ drainMs: 0 }))
      .then(() => sensors.stop())
      .then(() => twilio?.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

/** The operator's provisioning calls (contract.md, HTTP API); idempotent across demo runs. */
class DemoApi {
  private token = '';
  constructor(readonly base: string) {}

  async login(who: { username: string; password: string }): Promise<string> {
    const res = await this.call<{ accessToken: string }>('POST', '/api/auth/login', who);
    this.token = res.accessToken;
    return this.token;
  }

  async seedUnit(): Promise<string> {
    const { units } = await this.call<{ units: { id: string; name: string }[] }>('GET', '/api/units');
    const existing = units.find((u) => u.name === '演示单位 Demo unit');
    if (existing) return existing.id;
    const { id } = await this.call<{ id: string }>('POST', '/api/units', { name: '演示单位 Demo unit' });
    await this.call('POST', `/api/units/${id}/users`, UNIT_USER);
    await this.call('POST', `/api/units/${id}/contacts`, CONTACT);
    return id;
  }

  /** The read-only auditor account (kept across restarts: 409 = already there). */
  async auditor(): Promise<void> {
    await this.call('POST', '/api/users', { ...AUDITOR, role: 'auditor' }, [409]);
  }

  async device(body: Record<string, string>): Promise<void> {
    await this.call('POST', '/api/devices', body, [409]);
  }

  private async call<T = unknown>(method: string, path: string, body?: unknown, tolerated: number[] = []): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok && !tolerated.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }
}

/** The demo sensors get a known password (the API hands out a random one, once). */
async function registerSensors(platform: RunningPlatform, unitId: string): Promise<void> {
  const owner = new Pool({ connectionString: platform.app.get(DatabaseHandle).ownerUrl, max: 1 });
  const hash = await hashSecret(SENSOR_SECRET);
  for (const id of SENSORS) {
    await owner.query(
      `INSERT INTO devices (device_key, kind, power, unit_id, mqtt_secret) VALUES ($1, 'collector', 'mains', $2, $3)
       ON CONFLICT (device_key) DO UPDATE SET unit_id = EXCLUDED.unit_id, mqtt_secret = EXCLUDED.mqtt_secret`,
      [`mqtt:${id}`, unitId, hash],
    );
  }
  await owner.end();
}

/** A pressure sensor at the most unfavourable point, a roof tank level, a fire pump cabinet. */
function startSensors(platform: RunningPlatform): { stop(): void } {
  const clients: MqttClient[] = [];
  if (platform.ports.mqtt !== null) {
    for (const id of SENSORS) {
      clients.push(
        connect(`mqtt://127.0.0.1:${platform.ports.mqtt}`, { clientId: id, username: id, password: SENSOR_SECRET }),
      );
    }
  }
  const [pressure, level, cabinet] = clients;
  const publish = (client: MqttClient | undefined, id: string, payload: object): void =>
    void client?.publish(`fireiot/v1/devices/${id}/events`, JSON.stringify(payload), { qos: 1 });
  const timer = setInterval(() => {
    publish(pressure, SENSORS[0] ?? '', {
      kind: 'water-pressure',
      value: Math.random() < 0.2 ? 0.05 : 0.32,
      point: 'most-unfavourable-point',
      location: '11层 最不利点',
    });
    publish(level, SENSORS[1] ?? '', {
      kind: 'water-level',
      value: Math.random() < 0.15 ? 0.6 : Math.round(310 + Math.random() * 10) / 100,
      tank: 'roof tank',
      location: '屋顶水箱',
    });
    publish(cabinet, SENSORS[2] ?? '', {
      kind: 'pump-cabinet',
      pump: 'fire-pump',
      mode: Math.random() < 0.15 ? 'manual' : 'auto',
      power: 'normal',
      running: false,
      location: 'B1 泵房',
    });
  }, 15_000);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      for (const c of clients) c.end(true);
    },
  };
}

main().catch((error: unknown) => {
  bootstrapLogger.error({
    msg: 'the demo did not start',
    error: error instanceof Error ? error.message : String(error),
  });
  process.exit(1);
});
