import { eventually } from '@fireiot/testing';
import { DEFAULT_PROFILES } from '@fireiot/events';
import { Frame } from '@fireiot/gb26875';
import { Client } from 'pg';
import { patrolPhaseMs, PatrolScheduler } from './patrol.scheduler';
import {
  answerPatrols,
  GatewayDatabase,
  isPatrol,
  rawFrames,
  RawClient,
  Resources,
  sendAndConfirm,
  startGatewayDatabase,
  TestGateway,
  upload,
} from './gateway-harness.test-util';

jest.setTimeout(60_000);

const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

interface PatrolRow {
  patrol_id: string;
  device_key: string;
  device_id: string | null;
  status: string;
  at: string;
  serial: number | null;
  attempts: number | null;
  gateway_id: string;
  detail: Record<string, unknown>;
}

/**
 * Patrols (GB/T 26875.3 type 81 → type 21; CQC/SC 11002 4.4.2): every bound UITD connection is
 * queried on its profile's period, at a phase of its own; each patrol leaves 'sent' and then
 * 'answered', 'missed' or 'aborted' in patrol_records; a miss is a `patrol-missed` presence.
 */
describe(PatrolScheduler.name, () => {
  let ctx: GatewayDatabase;
  const res = new Resources();

  beforeAll(async () => {
    ctx = await startGatewayDatabase();
  });
  afterEach(() => res.release());
  afterAll(() => ctx.close());

  /** Registers UITDs with their own patrol period (seconds); returns their registry ids by key. */
  async function register(addresses: readonly string[], patrolPeriodS: number): Promise<Map<string, string>> {
    const rows = await ctx.db.sql<{ id: string; device_key: string }>(
      `INSERT INTO devices (device_key, kind, patrol_period_s)
       SELECT 'uitd:' || a, 'uitd', $2 FROM unnest($1::text[]) AS a RETURNING id::text, device_key`,
      [addresses, patrolPeriodS],
    );
    return new Map(rows.map((r) => [r.device_key, r.id]));
  }

  function patrolRows(deviceKey: string): Promise<PatrolRow[]> {
    return ctx.db.sql<PatrolRow>(
      `SELECT patrol_id::text, device_key, device_id::text, status, serial, attempts, gateway_id, detail,
              to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
         FROM patrol_records WHERE device_key = $1 ORDER BY id`,
      [deviceKey],
    );
  }

  /** A gateway with patrols and a client bound to `address` (its first upload confirmed). */
  async function connected(
    address: string,
    options: { env?: Record<string, string>; answer?: boolean } = {},
  ): Promise<{ gw: TestGateway; device: RawClient }> {
    const gw = await res.gateway(ctx, { patrols: true, ...(options.env ? { env: options.env } : {}) });
    const device = await res.client(gw);
    if (options.answer ?? true) answerPatrols(device, address);
    await sendAndConfirm(device, upload(address, 1), 1);
    return { gw, device };
  }

  it('queries a connected UITD with type 81 (51 01 00) every period and records sent, then answered', async () => {
    const ids = await register(['5001'], 1);
    const { gw, device } = await connected('5001');

    const [first, second] = await device.waitForCount(isPatrol, 2, 5000);
    expect(first).toMatchObject({
      command: { code: 4, name: 'request' },
      destination: { value: '5001' },
      adu: { type: { code: 81 }, objects: [{ reserved: 0 }], raw: '510100' },
    });
    // One period apart (a tick late at most, never early by more than a tick).
    const arrivals = device.replies.filter((r) => r.frame && isPatrol(r.frame)).map((r) => r.at);
    expect((arrivals[1] ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThan(1000 - 300);
    expect(second?.serial).not.toBe(first?.serial);

    const rows = await eventually(async () => {
      const all = await patrolRows('uitd:5001');
      return all.filter((r) => r.status === 'answered').length >= 1 && all;
    }, 'an answered patrol');
    const sent = rows.find((r) => r.status === 'sent' && r.serial === first?.serial);
    const answered = rows.find((r) => r.status === 'answered' && r.patrol_id === sent?.patrol_id);
    expect(sent).toMatchObject({
      device_key: 'uitd:5001',
      device_id: ids.get('uitd:5001'),
      attempts: 1,
      gateway_id: 'gw-test',
    });
    expect(sent?.at).toMatch(ISO_MICROS);
    expect(answered).toMatchObject({ serial: first?.serial, attempts: 1, detail: { answer: 'response' } });
    // 'answered' carries the receive time of the stored response (command 5, type 21).
    const response = (await rawFrames(ctx, 'uitd:5001')).find((r) => r.command === 5 && r.serial === first?.serial);
    expect(response?.adu_type).toBe(21);
    expect(answered?.at).toBe(response?.received_at);
    expect((answered?.at ?? '') >= (sent?.at ?? '')).toBe(true);
    expect(gw.patrols?.stats()).toMatchObject({ devices: 1, missed: 0, aborted: 0 });
    expect(gw.log.presenceOf('uitd:5001', 'patrol-missed')).toEqual([]);
  });

  it('patrols an unregistered UITD on the default UITD profile, at the phase of its device key', async () => {
    const { gw } = await connected('5002');
    const period = DEFAULT_PROFILES.mains.patrolPeriodS * 1000;
    const now = performance.timeOrigin + performance.now();

    const next = await eventually(() => gw.patrols?.nextPatrolAt('uitd:5002') ?? false);
    expect(next - now).toBeGreaterThan(-300);
    expect(next - now).toBeLessThanOrEqual(period);
    const phase = (((next % period) + period) % period) - patrolPhaseMs('uitd:5002', period);
    expect(Math.abs(phase)).toBeLessThan(1);
  });

  it('retransmits an unanswered query, then records it missed and publishes patrol-missed (GB/T 26875.3 §6.4)', async () => {
    const ids = await register(['5003'], 1);
    const { gw, device } = await connected('5003', {
      answer: false,
      env: { FIREIOT_PATROL_TIMEOUT_S: '1', FIREIOT_PATROL_RETRIES: '1' },
    });

    const missed = await eventually(
      async () => (await patrolRows('uitd:5003')).find((r) => r.status === 'missed'),
      'a missed patrol',
      10_000,
    );
    const rows = (await patrolRows('uitd:5003')).filter((r) => r.patrol_id === missed.patrol_id);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([
      ['sent', 1],
      ['missed', 2],
    ]);
    expect(rows[0]?.serial).toBe(missed.serial);
    expect(missed).toMatchObject({ device_id: ids.get('uitd:5003'), gateway_id: 'gw-test' });
    // The query and its one retransmission: byte for byte, the only patrol on the wire meanwhile.
    const copies = device.replies.filter((r) => r.frame && isPatrol(r.frame) && r.frame.serial === missed.serial);
    expect(copies).toHaveLength(2);
    expect(copies[0]?.bytes.equals(copies[1]?.bytes ?? Buffer.alloc(0))).toBe(true);
    expect((copies[1]?.at ?? 0) - (copies[0]?.at ?? 0)).toBeGreaterThan(1000 - 50);
    const queries = device.matching(isPatrol);
    const firstOther = queries.findIndex((f: Frame) => f.serial !== missed.serial);
    expect(firstOther === -1 || firstOther >= 2).toBe(true);

    const presence = await eventually(() => gw.log.presenceOf('uitd:5003', 'patrol-missed')[0]);
    expect(presence).toEqual({
      deviceKey: 'uitd:5003',
      deviceId: ids.get('uitd:5003'),
      event: 'patrol-missed',
      at: missed.at,
      gatewayId: 'gw-test',
      patrolId: missed.patrol_id,
    });
  });

  it('records a patrol aborted when the connection closes before the answer, and stops patrolling it', async () => {
    await register(['5004'], 1);
    const { gw, device } = await connected('5004', { answer: false, env: { FIREIOT_PATROL_TIMEOUT_S: '5' } });

    const query = await device.waitFor(isPatrol);
    device.destroy();

    const aborted = await eventually(async () => (await patrolRows('uitd:5004')).find((r) => r.status === 'aborted'));
    expect(aborted).toMatchObject({ serial: query.serial, attempts: 1, detail: { reason: 'connection closed' } });
    expect((await patrolRows('uitd:5004')).map((r) => r.status)).toEqual(['sent', 'aborted']);
    await eventually(() => gw.patrols?.stats().devices === 0);
    expect(gw.patrols?.nextPatrolAt('uitd:5004')).toBeNull();
    expect(gw.patrols?.stats()).toMatchObject({ inFlight: 0, aborted: 1, missed: 0 });
  });

  it('records a patrol in flight aborted when the gateway stops (flushed before the stop returns)', async () => {
    await register(['5005'], 1);
    const { gw, device } = await connected('5005', { answer: false, env: { FIREIOT_PATROL_TIMEOUT_S: '10' } });

    await device.waitFor(isPatrol);
    const started = performance.now();
    await gw.stop();

    expect(performance.now() - started).toBeLessThan(5000); // not after the 10 s timeouts
    const rows = await patrolRows('uitd:5005');
    expect(rows.map((r) => [r.status, r.detail])).toEqual([
      ['sent', {}],
      ['aborted', { reason: 'platform stopping' }],
    ]);
  });

  it('puts patrols off while the gateway does not read the socket (storage lags): no miss is the gateway’s fault', async () => {
    await register(['5007'], 1);
    const gw = await res.gateway(ctx, {
      patrols: true,
      env: { FIREIOT_PATROL_TIMEOUT_S: '1', FIREIOT_PATROL_RETRIES: '1' },
      server: { storageHighWater: 1, storageLowWater: 0 },
    });
    const device = await res.client(gw);
    answerPatrols(device, '5007');
    await sendAndConfirm(device, upload('5007', 1), 1);
    await eventually(async () => (await patrolRows('uitd:5007')).some((r) => r.status === 'answered'), 'answered');

    const owner = new Client({ connectionString: ctx.db.ownerUrl });
    await owner.connect();
    try {
      await owner.query('BEGIN');
      await owner.query('LOCK TABLE raw_frames IN EXCLUSIVE MODE');
      await device.send(upload('5007', 2)); // its batch hangs on the lock: the gateway stops reading
      await eventually(() => gw.server.stats().pausedForStorage);
      const deferred = gw.patrols?.stats().deferred ?? 0;
      await eventually(() => (gw.patrols?.stats().deferred ?? 0) >= deferred + 3, 'three periods put off', 10_000);
    } finally {
      await owner.query('COMMIT');
      await owner.end();
    }

    const rows = await patrolRows('uitd:5007');
    expect(rows.filter((r) => r.status === 'missed')).toEqual([]);
    for (const r of rows.filter((x) => x.status === 'aborted')) {
      expect(r.detail).toEqual({ reason: 'socket not read (gateway backpressure)' });
    }
    expect(gw.log.presenceOf('uitd:5007', 'patrol-missed')).toEqual([]);
    // Reading again: patrolled and answered again.
    const answeredBefore = rows.filter((r) => r.status === 'answered').length;
    await eventually(
      async () => (await patrolRows('uitd:5007')).filter((r) => r.status === 'answered').length > answeredBefore,
      'answered after the stall',
      10_000,
    );
  });

  it('re-reads the period when the registry re-check finds a changed record', async () => {
    await register(['5006'], 3600);
    const gw = await res.gateway(ctx, { patrols: true, ingest: { registryRecheckMs: 100 } });
    const device = await res.client(gw);
    answerPatrols(device, '5006');
    await sendAndConfirm(device, upload('5006', 1), 1);
    const before = await eventually(() => gw.patrols?.nextPatrolAt('uitd:5006') ?? false);
    const now = performance.timeOrigin + performance.now();
    expect(before - now).toBeLessThanOrEqual(3600_000);

    await ctx.db.sql("UPDATE devices SET patrol_period_s = 1 WHERE device_key = 'uitd:5006'");
    gw.devices.forget('uitd:5006');
    // The re-check runs beside the device's traffic: keep the device talking until it has.
    let serial = 2;
    await eventually(
      async () => {
        await sendAndConfirm(device, upload('5006', serial), serial);
        serial++;
        const next = gw.patrols?.nextPatrolAt('uitd:5006') ?? null;
        return next !== null && next - (performance.timeOrigin + performance.now()) <= 1000;
      },
      'the new period in force',
      5000,
      100,
    );
    await device.waitFor(isPatrol, 3000);
  });

  it('spreads the patrols of 200 connections with the same period across the period', async () => {
    const addresses = Array.from({ length: 200 }, (_, i) => String(6000 + i));
    await register(addresses, 4);
    const gw = await res.gateway(ctx, { patrols: true });
    const clients: RawClient[] = [];
    for (const address of addresses) {
      const client = await res.client(gw);
      answerPatrols(client, address);
      clients.push(client);
    }
    // The whole fleet (re)connects at once.
    await Promise.all(clients.map((c, i) => sendAndConfirm(c, upload(addresses[i] ?? '', 1), 1)));
    const connectedAt = performance.now();

    // The schedule: each device at the phase of its key, spread over the 4 s period.
    const now = performance.timeOrigin + connectedAt;
    // (A patrol in flight right now has no next deadline yet: on a loaded machine, where the
    // fleet takes a while to connect and answers come late, that can be a good part of a tick's.)
    const due = addresses.flatMap((a) => gw.patrols?.nextPatrolAt(`uitd:${a}`) ?? []);
    expect(due.length).toBeGreaterThanOrEqual(150);
    const planned = countPerTick(due.map((d) => d - now));
    expect(due.every((d) => d - now <= 4000)).toBe(true);
    expect(planned.size).toBeGreaterThanOrEqual(14); // of the 16 ticks of the period
    expect(Math.max(...planned.values())).toBeLessThanOrEqual(30); // 12.5 on average

    // On the wire: within the first period (+ slack for a loaded machine), never all in one tick.
    await eventually(() => clients.every((c) => c.matching(isPatrol).length > 0), 'a patrol for every device', 10_000);
    const firsts = clients.map((c) => c.replies.find((r) => r.frame && isPatrol(r.frame))?.at ?? 0);
    for (const at of firsts) expect(at - connectedAt).toBeLessThan(4000 + 1000);
    const sent = countPerTick(firsts.map((at) => at - connectedAt));
    expect(sent.size).toBeGreaterThanOrEqual(8);
    expect(Math.max(...sent.values())).toBeLessThanOrEqual(100);
    expect(Math.max(...firsts) - Math.min(...firsts)).toBeGreaterThan(2500);

    // Answered, all of them, one patrol in flight per device at most.
    await eventually(
      async () => {
        const [row] = await ctx.db.sql<{ n: string }>(
          "SELECT count(DISTINCT device_key)::text AS n FROM patrol_records WHERE status = 'answered' AND device_key LIKE 'uitd:6%'",
        );
        return row?.n === '200';
      },
      'every device answered',
      10_000,
      100,
    );
    expect(gw.patrols?.stats()).toMatchObject({ devices: 200, missed: 0 });
  });

  /** How many of `offsetsMs` fall in each 250 ms tick. */
  function countPerTick(offsetsMs: readonly number[]): Map<number, number> {
    const perTick = new Map<number, number>();
    for (const ms of offsetsMs) {
      const tick = Math.floor(ms / 250);
      perTick.set(tick, (perTick.get(tick) ?? 0) + 1);
    }
    return perTick;
  }

  it('gives consecutive addresses phases spread over the period', () => {
    const period = 1_800_000;
    const phases = Array.from({ length: 10_000 }, (_, i) => patrolPhaseMs(`uitd:${100_000 + i}`, period));
    expect(Math.min(...phases)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...phases)).toBeLessThan(period);
    expect(phases.every((p) => Number.isInteger(p))).toBe(true);
    const buckets = new Array<number>(10).fill(0);
    for (const phase of phases) {
      const b = Math.floor((phase / period) * 10);
      buckets[b] = (buckets[b] ?? 0) + 1;
    }
    for (const n of buckets) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });
});
