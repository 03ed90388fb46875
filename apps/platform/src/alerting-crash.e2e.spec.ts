import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { attemptKey } from '@fireiot/notifier';
import { SimulatedUitd, UploadResult } from '@fireiot/simulator';
import { ChainVerifier } from '@fireiot/storage';
import { eventually, freePort, TwilioFakeServer } from '@fireiot/testing';
import { Client, Pool } from 'pg';
import { killPlatformProcess, PlatformProcess, startPlatformProcess } from './lib/platform-process.test-util';

/**
 * The acceptance: "Killing the pipeline or notifier process mid-burst and restarting it
 * loses no alert and sends none twice to the same channel (exactly-once effect per channel
 * attempt, via idempotency keys)."
 *
 * The real `npm start` (bin/platform.js, pipeline and notifier in one process with its embedded
 * PostgreSQL) is killed with SIGKILL, database included, while a fleet of UITDs raises new fire
 * alarms and faults and while SMS and calls are stalled in the Twilio fake; it is restarted on
 * the same data. Afterwards every confirmed alarm upload has exactly one alert, every alert
 * exactly one SMS and one call created at the provider, and the evidence agrees with both.
 */

jest.setTimeout(175_000);

const ADMIN = { username: 'admin', password: 'admin-password-1' };
const DEVICES = 12;
/** Rounds per device; each round raises a fire alarm and a fault on two components not used before. */
const ROUNDS = 8;
const PACE_MS = 250;
/** Every provider request is answered this late, so that sends are in flight when the platform dies. */
const PROVIDER_STALL_MS = 300;
const ADDRESS_BASE = 930_000;
/** Where in the burst (share of its uploads settled) the platform is killed. */
const KILL_AT = [0.25, 0.6];
const FROM = '+8610000000000';
const PHONE = '+8613900000001';

type AlarmKind = 'fire-alarm' | 'fault';

interface KillRecord {
  readonly at: string;
  readonly uploadsSettled: number;
  readonly providerResources: number;
  readonly providerRequestsInFlight: number;
  readonly deviceUploadsInFlight: number;
  restart: string[];
}

/** One alarm upload of the burst and how it ended (the last transmission's serial). */
interface Upload {
  readonly deviceKey: string;
  readonly component: number;
  readonly kind: AlarmKind;
  readonly result: UploadResult;
}

interface AlertDbRow {
  id: string;
  unit_id: string | null;
  device_key: string;
  subject: string;
  kind: string;
  source_table: string;
  source_id: string;
  suppressed: string | null;
}

interface AttemptDbRow {
  alert_id: string;
  attempt_key: string;
  channel: string;
  recipient: string | null;
  address: string | null;
  attempt_no: number;
  status: string;
  provider_ref: string | null;
}

async function http<T>(base: string, method: 'GET' | 'POST', path: string, body: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  const res = await fetch(`${base}${path}`, { method, headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200 && res.status !== 201) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text === '' ? {} : JSON.parse(text)) as T;
}

/**
 * Sends one alarm upload until it is confirmed: an upload made while the platform is down is
 * not sent (the device is disconnected), so it waits for the reconnection and sends it again;
 * one in flight at the kill is retransmitted by the device itself (GB/T 26875.3 §6.5).
 */
async function alarm(device: SimulatedUitd, component: number, kind: AlarmKind): Promise<UploadResult> {
  const send = (): Promise<UploadResult> =>
    kind === 'fire-alarm' ? device.sendFireAlarm(component) : device.sendFault(component);
  let result = await send();
  while (result.outcome === 'not-sent') {
    await eventually(() => device.connected, `UITD ${device.address} to reconnect`, 120_000, 50);
    result = await send();
  }
  return result;
}

/** Alerts of these devices with an accepted SMS and an accepted call in the evidence. */
async function notified(db: Client, deviceKeys: readonly string[]): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM alerts a
      WHERE a.device_key = ANY($1)
        AND EXISTS (SELECT 1 FROM alert_attempts t WHERE t.alert_id = a.id AND t.channel = 'sms' AND t.status = 'accepted')
        AND EXISTS (SELECT 1 FROM alert_attempts t WHERE t.alert_id = a.id AND t.channel = 'voice' AND t.status = 'accepted')`,
    [deviceKeys],
  );
  return Number(rows[0]?.n ?? 0);
}

describe('alerting survives SIGKILL mid-burst (npm start, embedded PostgreSQL)', () => {
  let dataDir = '';
  let env: Record<string, string> = {};
  let fake: TwilioFakeServer | null = null;
  let platform: PlatformProcess | null = null;
  const devices: SimulatedUitd[] = [];

  beforeAll(async () => {
    fake = await TwilioFakeServer.start();
    dataDir = mkdtempSync(join(tmpdir(), 'fireiot-crash-'));
    const httpPort = await freePort();
    env = {
      FIREIOT_DATA_DIR: dataDir,
      FIREIOT_HOST: '127.0.0.1',
      FIREIOT_HTTP_PORT: String(httpPort),
      FIREIOT_GB26875_PORT: String(await freePort()),
      FIREIOT_EMBEDDED_PG_PORT: String(await freePort()),
      FIREIOT_MQTT_PORT: String(await freePort()),
      FIREIOT_PUBLIC_URL: `http://127.0.0.1:${httpPort}`,
      TWILIO_ACCOUNT_SID: fake.accountSid,
      TWILIO_AUTH_TOKEN: fake.authToken,
      TWILIO_FROM: FROM,
      TWILIO_API_BASE: fake.baseUrl,
      FIREIOT_BOOTSTRAP_ADMIN: `${ADMIN.username}:${ADMIN.password}`,
      // 'log': the restarted platform reports what its pipeline replayed and its notifier resumed.
      FIREIOT_LOG_LEVEL: 'log',
    };
  });

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.close(0).catch(() => undefined)));
    if (platform !== null && platform.child.exitCode === null && platform.child.signalCode === null) {
      await killPlatformProcess(platform, dataDir);
    }
    await fake?.close();
    if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no alert and creates exactly one SMS and one call per alert across two SIGKILLs and restarts', async () => {
    const twilio = fake as TwilioFakeServer;
    const first = await startPlatformProcess(env);
    platform = first;
    const base = `http://127.0.0.1:${env['FIREIOT_HTTP_PORT'] as string}`;

    // Provisioning, as an operator does it over the API.
    const { accessToken } = await http<{ accessToken: string }>(base, 'POST', '/api/auth/login', ADMIN);
    const unit = await http<{ id: string }>(base, 'POST', '/api/units', { name: 'Crash test unit' }, accessToken);
    await http(
      base,
      'POST',
      `/api/units/${unit.id}/users`,
      { username: 'crash-unit-user', password: 'unit-password-1' },
      accessToken,
    );
    const contact = await http<{ id: string }>(
      base,
      'POST',
      `/api/units/${unit.id}/contacts`,
      { name: 'Duty officer', phone: PHONE, channels: ['sms', 'voice'], escalationOrder: 1 },
      accessToken,
    );
    const port = Number(env['FIREIOT_GB26875_PORT']);
    for (let i = 0; i < DEVICES; i++) {
      const address = ADDRESS_BASE + i;
      await http(
        base,
        'POST',
        '/api/devices',
        { unitId: unit.id, kind: 'uitd', address: String(address), power: 'mains' },
        accessToken,
      );
      devices.push(
        new SimulatedUitd({
          port,
          host: '127.0.0.1',
          address,
          heartbeatIntervalMs: 3_600_000,
          heartbeatOnConnect: false,
          // Reconnect on their own after the kill, and keep retransmitting what was not confirmed
          // for as long as the restart may take on a loaded machine (1.5 s × 100).
          reconnectDelayMs: 200,
          confirmTimeoutMs: 1_500,
          retries: 100,
        }),
      );
    }
    await Promise.all(devices.map((d) => d.connect())).catch((error: unknown) => {
      const banner = first.output.join('').slice(first.output.join('').indexOf('fireiot is running'));
      throw new Error(
        `the UITDs cannot connect to the GB/T 26875.3 port ${port} (${String(error)}); the platform said: ${banner}`,
      );
    });

    // The provider answers every request late: sends are in flight whenever the platform dies.
    twilio.behave({ kind: 'stall', ms: PROVIDER_STALL_MS });

    // The burst: each device raises a new alarm on a new component every round.
    const uploads: Upload[] = [];
    const total = DEVICES * ROUNDS * 2;
    const burst = Promise.all(
      devices.map(async (device) => {
        for (let k = 0; k < ROUNDS; k++) {
          const [fire, fault] = await Promise.all([
            alarm(device, 2 * k, 'fire-alarm'),
            alarm(device, 2 * k + 1, 'fault'),
          ]);
          const deviceKey = `uitd:${device.address}`;
          uploads.push({ deviceKey, component: 2 * k, kind: 'fire-alarm', result: fire });
          uploads.push({ deviceKey, component: 2 * k + 1, kind: 'fault', result: fault });
          await sleep(PACE_MS);
        }
      }),
    );

    // Mid-burst, twice: some alerts already reached the provider, more are stalled there, and a
    // good part of the burst is still to come. Each time the platform (pipeline, notifier and
    // PostgreSQL) dies at once and is started again on the same data.
    const kills: KillRecord[] = [];
    let current = first;
    for (const share of KILL_AT) {
      const resourcesBefore = twilio.accepted().length;
      await eventually(
        () =>
          uploads.length >= total * share &&
          twilio.accepted().length >= resourcesBefore + 10 &&
          twilio.requests.some((r) => r.httpStatus === null),
        `the burst to be ${share * 100} % through with provider sends in flight`,
        90_000,
        5,
      );
      const record: KillRecord = {
        at: new Date().toISOString(),
        uploadsSettled: uploads.length,
        providerResources: twilio.accepted().length,
        providerRequestsInFlight: twilio.requests.filter((r) => r.httpStatus === null).length,
        deviceUploadsInFlight: devices.reduce((n, d) => n + d.inFlight, 0),
        restart: [],
      };
      await killPlatformProcess(current, dataDir);
      expect(record.uploadsSettled).toBeLessThan(total);
      current = await startPlatformProcess(env);
      platform = current;
      // What the restarted platform says it resumed (notifier) and replayed (pipeline).
      record.restart = current.output
        .join('')
        .split('\n')
        .filter((line) => line.includes('"participant"'))
        .map((line) => line.trim());
      kills.push(record);
    }
    const second = current;
    await burst;

    // Every upload of the burst was confirmed (stored) in the end.
    expect(uploads).toHaveLength(total);
    expect(
      uploads.filter((u) => u.result.outcome !== 'confirmed').map((u) => `${u.deviceKey} ${u.result.outcome}`),
    ).toEqual([]);

    const info = JSON.parse(readFileSync(join(dataDir, 'connection.json'), 'utf8')) as { url: string };
    const db = new Client({ connectionString: info.url });
    db.on('error', () => undefined);
    await db.connect();
    let alerts: AlertDbRow[] = [];
    let attempts: AttemptDbRow[] = [];
    let accepted: AttemptDbRow[] = [];
    let failedAttempts = 0;
    let rawRows = 0;
    let duplicateRows = 0;
    let reRaised = 0;
    try {
      const deviceKeys = devices.map((d) => `uitd:${d.address}`);
      // The platform keeps notifying after the burst: wait until every alert has its SMS and its
      // call accepted in the evidence (the resumed and replayed ones included).
      const complete = await eventually(
        async () => (await notified(db, deviceKeys)) >= total && total,
        `all ${total} alerts to have an accepted SMS and an accepted call`,
        60_000,
        250,
      ).catch(async (error: unknown) => {
        const { rows } = await db.query<{ alerts: string; sms: string; voice: string }>(
          `SELECT (SELECT count(*) FROM alerts WHERE device_key = ANY($1) AND kind <> 'communication-loss')::text AS alerts,
                  (SELECT count(DISTINCT alert_id) FROM alert_attempts WHERE channel = 'sms' AND status = 'accepted')::text AS sms,
                  (SELECT count(DISTINCT alert_id) FROM alert_attempts WHERE channel = 'voice' AND status = 'accepted')::text AS voice`,
          [deviceKeys],
        );
        throw new Error(`${String(error)}; stored: ${JSON.stringify(rows[0])}, expected ${total} alerts`);
      });
      // Nothing still stalled at the provider (a late request would be counted below).
      await eventually(() => twilio.requests.every((r) => r.httpStatus !== null), 'provider requests answered', 20_000);

      // 1. No alert lost: each upload (its stored rows: the first copy and any retransmission after
      //    the restart) has exactly one alert, of its kind, for the unit, not suppressed; no other
      //    alert of these devices (a communication loss while the platform was down aside).
      const frames = await db.query<{ id: string; device_key: string; serial: number }>(
        'SELECT id::text AS id, device_key, serial FROM raw_frames WHERE device_key = ANY($1) AND command = 2',
        [deviceKeys],
      );
      const uploadOf = new Map<string, Upload>();
      for (const u of uploads) uploadOf.set(`${u.deviceKey}#${String(u.result.serial)}`, u);
      const uploadOfRow = new Map<string, Upload>();
      for (const f of frames.rows) {
        const u = uploadOf.get(`${f.device_key}#${f.serial}`);
        if (u !== undefined) uploadOfRow.set(f.id, u);
      }
      const storedUploads = new Set(uploadOfRow.values());
      expect(uploads.filter((u) => !storedUploads.has(u)).map((u) => `${u.deviceKey}#${u.result.serial}`)).toEqual([]);
      rawRows = frames.rows.length;
      duplicateRows = frames.rows.length - storedUploads.size;

      alerts = (
        await db.query<AlertDbRow>(
          `SELECT id::text AS id, unit_id::text AS unit_id, device_key, subject, kind, source_table,
                  source_id::text AS source_id, suppressed
             FROM alerts WHERE device_key = ANY($1) AND kind <> 'communication-loss'`,
          [deviceKeys],
        )
      ).rows;
      const alertsOf = new Map<Upload, AlertDbRow[]>();
      const strays: AlertDbRow[] = [];
      for (const a of alerts) {
        const u = a.source_table === 'raw_frames' ? uploadOfRow.get(a.source_id) : undefined;
        if (u === undefined) strays.push(a);
        else alertsOf.set(u, [...(alertsOf.get(u) ?? []), a]);
      }
      const lost = uploads.filter((u) => (alertsOf.get(u) ?? []).length === 0);
      const doubled = uploads.filter((u) => (alertsOf.get(u) ?? []).length > 1);
      const label = (u: Upload): string =>
        `${u.deviceKey} ${u.kind} component ${u.component} serial ${u.result.serial}`;
      expect({
        lost: lost.map(label),
        doubled: doubled.map(label),
        strays: strays.map(
          (a) => `${a.id} ${a.kind} ${a.device_key} ${a.subject} from ${a.source_table} ${a.source_id}`,
        ),
      }).toEqual({
        lost: [],
        doubled: [],
        strays: [],
      });
      expect(alerts).toHaveLength(total);
      for (const u of uploads) {
        expect((alertsOf.get(u) ?? [])[0]).toMatchObject({ kind: u.kind, unit_id: unit.id, suppressed: null });
      }
      // One alert per (device, component, kind): a retransmitted copy raised nothing new.
      expect(new Set(alerts.map((a) => `${a.device_key}|${a.subject}|${a.kind}`)).size).toBe(total);
      expect(complete).toBe(total);

      // 2. Evidence of attempts: each alert has, per channel, accepted attempts of one attempt
      //    number only, recorded under the derived key, carrying the provider's resource id.
      attempts = (
        await db.query<AttemptDbRow>(
          `SELECT alert_id::text AS alert_id, attempt_key, channel, recipient, address, attempt_no, status, provider_ref
             FROM alert_attempts WHERE channel IN ('sms', 'voice') AND alert_id = ANY($1::uuid[])`,
          [alerts.map((a) => a.id)],
        )
      ).rows;
      accepted = attempts.filter((t) => t.status === 'accepted');
      const acceptedNos = new Map<string, Set<number>>();
      for (const t of accepted) {
        const k = `${t.alert_id}|${t.channel}|${String(t.recipient)}`;
        acceptedNos.set(k, (acceptedNos.get(k) ?? new Set()).add(t.attempt_no));
      }
      expect(
        [...acceptedNos].filter(([, nos]) => nos.size !== 1).map(([k, nos]) => `${k}: ${[...nos].join(',')}`),
      ).toEqual([]);
      expect(acceptedNos.size).toBe(2 * total);
      expect(
        accepted
          .filter((t) => t.recipient !== contact.id || t.address !== PHONE)
          .map((t) => `${t.alert_id} ${t.channel} to ${String(t.recipient)} ${String(t.address)}`),
      ).toEqual([]);
      // Keys derived from (alert, channel, contact, attempt number): the same after a restart.
      expect(
        attempts
          .filter(
            (t) => t.attempt_key !== attemptKey(t.alert_id, t.channel as 'sms' | 'voice', contact.id, t.attempt_no),
          )
          .map((t) => `${t.alert_id} ${t.channel} #${t.attempt_no} ${t.status} key ${t.attempt_key}`),
      ).toEqual([]);
      failedAttempts = attempts.filter((t) => t.status === 'failed').length;
      // Alerts received before a kill but classified after it: raised again by the replay (their
      // row was stored, the alert not yet).
      const replayed = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM alerts
          WHERE device_key = ANY($1)
            AND EXISTS (SELECT 1 FROM unnest($2::timestamptz[]) k WHERE received_at < k AND classified_at > k)`,
        [deviceKeys, kills.map((k) => k.at)],
      );
      reRaised = Number(replayed.rows[0]?.n ?? 0);

      // 3. The evidence is whole: no attempt of an alert that is not stored, the raw chains intact.
      const orphans = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM alert_attempts t WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.id = t.alert_id)`,
      );
      expect(orphans.rows[0]?.n).toBe('0');
      const pool = new Pool({ connectionString: info.url, max: 1 });
      const report = await new ChainVerifier(pool).verify({ tables: ['raw_frames'] }).finally(() => pool.end());
      expect(report.breaks).toEqual([]);
    } finally {
      await db.end();
    }

    // A clean stop now: whatever the platform still had to send, it has sent.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    // 4. Never sent twice: the provider created exactly one SMS and one call per alert. Each
    //    resource is traced to the attempt that created it by the `attempt` of its status callback
    //    URL, then to its alert and channel through the attempts recorded in the evidence (an
    //    attempt the evidence does not know is a send without evidence). A random or per-process
    //    Idempotency-Key, or a resend that the provider cannot recognise after a restart, would
    //    make a second resource for the same alert and channel.
    const attemptOf = new Map<string, { alertId: string; channel: 'sms' | 'call' }>();
    for (const t of attempts) {
      attemptOf.set(`${t.channel === 'voice' ? 'call' : 'sms'}:${t.attempt_key}`, {
        alertId: t.alert_id,
        channel: t.channel === 'voice' ? 'call' : 'sms',
      });
    }
    const attemptKeyOf = (callback: string | null): string | null =>
      callback === null ? null : new URL(callback).searchParams.get('attempt');
    const resources = twilio.accepted();
    const perAlertChannel = new Map<string, string[]>();
    const unknown: string[] = [];
    for (const r of resources) {
      const key = attemptKeyOf(r.request.statusCallback);
      const attempt = attemptOf.get(`${r.kind}:${String(key)}`);
      if (attempt === undefined) unknown.push(`${r.kind} ${r.sid} of attempt ${String(key)}: not in alert_attempts`);
      else {
        const k = `${attempt.alertId}|${attempt.channel}`;
        perAlertChannel.set(k, [...(perAlertChannel.get(k) ?? []), r.sid]);
      }
    }
    console.log(
      JSON.stringify(
        {
          alerts: total,
          kills,
          rawRows,
          retransmittedCopiesStored: duplicateRows,
          alertsRaisedAgainByReplay: reRaised,
          providerRequests: twilio.requests.length,
          providerResources: resources.length,
          providerDuplicatesDeduped: twilio.duplicates,
          failedAttempts,
        },
        null,
        2,
      ),
    );
    expect(
      twilio.requests
        .filter((r) => r.idempotencyKey === null)
        .map((r) => `${r.kind} ${String(r.sid)} without Idempotency-Key`),
    ).toEqual([]);
    expect(unknown).toEqual([]);
    expect(
      [...perAlertChannel]
        .filter(([, list]) => list.length !== 1)
        .map(([k, list]) => `${k}: ${list.length} resources ${list.join(' ')}`),
    ).toEqual([]);
    expect(perAlertChannel.size).toBe(2 * total);
    expect(resources).toHaveLength(2 * total);
    expect(
      resources.filter((r) => r.request.to !== PHONE).map((r) => `${r.kind} ${r.sid} to ${String(r.request.to)}`),
    ).toEqual([]);
    // The evidence names the resource the provider created (a deduplicated resend got the same one).
    const sids = new Set(resources.map((r) => r.sid));
    expect(
      accepted
        .filter((t) => t.provider_ref === null || !sids.has(t.provider_ref))
        .map((t) => `${t.alert_id} ${t.channel} ref ${String(t.provider_ref)}`),
    ).toEqual([]);

    for (const kill of kills) {
      expect(kill.restart.some((line) => line.includes('notifier') && line.includes('resumed'))).toBe(true);
      expect(kill.restart.some((line) => line.includes('pipeline') && line.includes('frames'))).toBe(true);
    }
  });
});
