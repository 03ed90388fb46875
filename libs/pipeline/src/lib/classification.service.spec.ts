import { Logger } from '@nestjs/common';
import { InProcessBus } from '@fireiot/bus';
import { ShieldRegistry } from '@fireiot/alerting';
import { AlertRaised, FrameJson, frameJsonSchema, FrameReceived, isoToMicros, microsToIso } from '@fireiot/events';
import { AlertRepository, UnitDirectory } from '@fireiot/evidence';
import { decodeFrame, encodeFrame } from '@fireiot/gb26875';
import { createAppPool } from '@fireiot/storage';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { eventually, freePort } from '@fireiot/testing';
import { Pool } from 'pg';
import { ClassificationService } from './classification.service';

jest.setTimeout(120_000);

const SMOKE_DETECTOR = 40;

function componentFrame(flags: string[], componentType = SMOKE_DETECTOR): FrameJson {
  const bytes = encodeFrame({
    serial: 1,
    sentAt: '2025-11-22T11:13:54',
    source: { value: '889' },
    destination: { value: '88888' },
    command: 'send-data',
    adu: {
      type: { name: 'component-state' },
      objects: [
        {
          systemType: 1,
          systemAddress: 1,
          componentType,
          componentAddress: { low16: 10, high16: 2 },
          state: { flags },
          description: '厨房',
          occurredAt: '2025-11-22T11:13:50',
        },
      ],
    },
  });
  const decoded = decodeFrame(bytes);
  if (!decoded.ok) throw new Error(decoded.error.message);
  return frameJsonSchema.parse(decoded.frame) as FrameJson;
}

let rawIds = 1;
function message(deviceKey: string, deviceId: string | null, frame: FrameJson): FrameReceived {
  return {
    rawId: String(rawIds++),
    deviceKey,
    deviceId,
    receivedAt: microsToIso(BigInt(Date.now()) * 1000n),
    gatewayId: 'gw-test',
    frame,
  };
}

describe(ClassificationService.name, () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(() => {
    jest.restoreAllMocks();
  });

  describe('with PostgreSQL', () => {
    let db: TestDatabase;
    let pool: Pool;
    let bus: InProcessBus;
    let alerts: AlertRepository;
    let shields: ShieldRegistry;
    let service: ClassificationService;
    let published: AlertRaised[];

    async function provision(scope?: string[]): Promise<{ unitId: string; deviceId: string; deviceKey: string }> {
      const [unit] = await db.sql<{ id: string }>(
        scope === undefined
          ? "INSERT INTO units (name) VALUES ('Tower A') RETURNING id"
          : "INSERT INTO units (name, monitoring_scope) VALUES ('Tower A', $1) RETURNING id",
        scope === undefined ? [] : [scope],
      );
      const deviceKey = `uitd:${Math.floor(Math.random() * 1e12)}`;
      const [device] = await db.sql<{ id: string }>(
        "INSERT INTO devices (device_key, kind, unit_id) VALUES ($1, 'uitd', $2) RETURNING id",
        [deviceKey, unit?.id],
      );
      return { unitId: unit?.id ?? '', deviceId: device?.id ?? '', deviceKey };
    }

    const stored = async (deviceKey: string) =>
      db.sql<{ kind: string; clause: string; suppressed: string | null; restores: string | null }>(
        'SELECT kind, clause, suppressed, restores FROM alerts WHERE device_key = $1 ORDER BY received_at, kind',
        [deviceKey],
      );

    beforeAll(async () => {
      db = await startTestDatabase();
      pool = createAppPool(db.ownerUrl, 4);
    });
    afterAll(async () => {
      await pool.end();
      await db.stop();
    });
    beforeEach(async () => {
      bus = new InProcessBus();
      await bus.start();
      published = [];
      const collect = async (m: AlertRaised) => {
        published.push(m);
      };
      await bus.subscribe('fireiot.alerts.fire.v1', 'test', collect);
      await bus.subscribe('fireiot.alerts.v1', 'test', collect);
      alerts = new AlertRepository(pool, { batchMs: 2 });
      shields = new ShieldRegistry();
      service = new ClassificationService(bus, alerts, new UnitDirectory(pool), shields);
      await service.loadOpenAlarms();
    });
    afterEach(async () => {
      await alerts.flush();
      await bus.close();
    });

    it('publishes a fire alarm (4.3.1) on the priority topic, stores it, then releases the watermark', async () => {
      const { unitId, deviceId, deviceKey } = await provision();
      const m = message(deviceKey, deviceId, componentFrame(['normal', 'fire-alarm']));
      await service.onFrame(m);
      await eventually(() => published.length === 1, 'the published alert');
      expect(published[0]).toMatchObject({
        unitId,
        deviceId,
        deviceKey,
        subject: 'sys:1/1/comp:131082',
        kind: 'fire-alarm',
        clause: '4.3.1',
        deadlineMs: 3_000,
        receivedAt: m.receivedAt,
        location: '厨房',
        source: { table: 'raw_frames', rawId: m.rawId },
      });
      await eventually(async () => (await stored(deviceKey)).length === 1, 'the stored alert');
      await eventually(() => service.watermark.inFlight === 0, 'the watermark released');
      expect(service.counters).toMatchObject({ raised: 1, suppressed: 0 });
    });

    it('records a repeat as an event of the open alert, and the clearing as a `restored` alert', async () => {
      const { deviceId, deviceKey } = await provision();
      await service.onFrame(message(deviceKey, deviceId, componentFrame(['normal', 'fault'])));
      await service.onFrame(message(deviceKey, deviceId, componentFrame(['normal', 'fault'])));
      await service.onFrame(message(deviceKey, deviceId, componentFrame(['normal'])));
      await alerts.flush();
      await eventually(() => published.length === 2, 'two published alerts');
      expect(published.map((p) => [p.kind, p.item, p.clause])).toEqual([
        ['fault', 'a', '4.3.2'],
        ['restored', 'a', '4.3.2'],
      ]);
      expect(published[1]?.restores).toBe(published[0]?.alertId);
      const found = await alerts.find(published[0]?.alertId ?? '');
      expect(found).toMatchObject({ repeats: 1, state: 'closed' });
    });

    it('keeps an alarm open through confirmation and the handling steps (5.4.1 e); re-arms it on close only', async () => {
      const { deviceId, deviceKey } = await provision();
      const fire = () => service.onFrame(message(deviceKey, deviceId, componentFrame(['fire-alarm'])));
      await fire();
      await eventually(() => published.length === 1, 'the first alert');
      const alertId = published[0]?.alertId ?? '';
      for (const type of ['received', 'verified', 'notified', 'confirmed'] as const) {
        service.onLifecycle({ alertId, type });
        await fire();
      }
      await alerts.flush();
      expect(published).toHaveLength(1);
      expect(await alerts.find(alertId)).toMatchObject({ repeats: 4 });
      service.onLifecycle({ alertId, type: 'closed' });
      await fire();
      await eventually(() => published.length === 2, 'a new alert after the close');
      expect(published[1]?.alertId).not.toBe(alertId);
    });

    it('records, without sending, the alerts of a shielded device (4.4.4), out of scope (4.3.4) or unprovisioned', async () => {
      const shielded = await provision();
      shields.set({
        shieldId: 'test-shield',
        deviceKey: shielded.deviceKey,
        subject: null,
        until: Date.now() + 60_000,
      });
      const outOfScope = await provision(['fire-alarm']);
      const unknown = `uitd:${Math.floor(Math.random() * 1e12)}`;
      await service.onFrame(message(shielded.deviceKey, shielded.deviceId, componentFrame(['fire-alarm'])));
      await service.onFrame(message(outOfScope.deviceKey, outOfScope.deviceId, componentFrame(['fault'])));
      await service.onFrame(message(unknown, null, componentFrame(['fire-alarm'])));
      await alerts.flush();
      expect((await stored(shielded.deviceKey)).map((r) => r.suppressed)).toEqual(['shielded']);
      expect((await stored(outOfScope.deviceKey)).map((r) => r.suppressed)).toEqual(['out-of-scope']);
      expect((await stored(unknown)).map((r) => r.suppressed)).toEqual(['no-unit']);
      expect(published).toEqual([]);
      expect(service.counters.suppressed).toBe(3);
    });
  });

  describe('replay after a crash (idempotent: alert ids derive from their source)', () => {
    let db: TestDatabase;
    let pool: Pool;

    beforeAll(async () => {
      db = await startTestDatabase();
      pool = createAppPool(db.ownerUrl, 4);
    });
    afterAll(async () => {
      await pool.end();
      await db.stop();
    });

    async function run(
      frames: readonly FrameReceived[],
      live: readonly FrameReceived[] = [],
      since: string | null = null,
    ): Promise<{ service: ClassificationService; published: AlertRaised[] }> {
      const bus = new InProcessBus();
      const published: AlertRaised[] = [];
      await bus.subscribe('fireiot.alerts.v1', 'test', async (m) => {
        published.push(m);
      });
      const alerts = new AlertRepository(pool, { batchMs: 2 });
      const service = new ClassificationService(bus, alerts, new UnitDirectory(pool), new ShieldRegistry());
      await service.loadOpenAlarms();
      const replay = since === null ? null : { storedAlertIds: await alerts.idsSince(since) };
      for (const f of frames) await service.onFrame(f, replay);
      for (const f of live) await service.onFrame(f);
      await alerts.flush();
      await bus.close();
      return { service, published };
    }

    it('adds nothing when the replayed rows raised, restored and raised again (a flapping fault)', async () => {
      const [unit] = await db.sql<{ id: string }>("INSERT INTO units (name) VALUES ('Tower R') RETURNING id");
      const deviceKey = 'uitd:4242';
      const [device] = await db.sql<{ id: string }>(
        "INSERT INTO devices (device_key, kind, unit_id) VALUES ($1, 'uitd', $2) RETURNING id",
        [deviceKey, unit?.id],
      );
      const id = device?.id ?? null;
      const since = microsToIso(BigInt(Date.now()) * 1000n - 1000n);
      const history = [
        message(deviceKey, id, componentFrame(['normal', 'fault'])), // raises X
        message(deviceKey, id, componentFrame(['normal'])), // restores X
        message(deviceKey, id, componentFrame(['normal', 'fault'])), // raises Z
      ];
      const first = await run(history);
      expect(first.published.map((p) => p.kind)).toEqual(['fault', 'restored', 'fault']);
      const z = first.published[2]?.alertId;

      // The checkpoint was before these rows: a restart replays them, then the fault repeats live.
      const again = await run(history, [message(deviceKey, id, componentFrame(['normal', 'fault']))], since);
      expect(again.published).toEqual([]);
      expect(again.service.counters.raised).toBe(0);
      const open = await new AlertRepository(pool).openAlarms();
      expect(open.filter((a) => a.deviceKey === deviceKey).map((a) => a.alertId)).toEqual([z]);
    });
  });

  describe('when the directory cannot be read', () => {
    it('keeps the watermark before a message it could not classify, so a restart replays it', async () => {
      // A real pg pool on a port nobody listens on: every query fails (ECONNREFUSED).
      const pool = createAppPool(`postgres://fireiot@127.0.0.1:${await freePort()}/fireiot`, 1);
      const bus = new InProcessBus();
      const alerts = new AlertRepository(pool, { batchMs: 2 });
      const service = new ClassificationService(bus, alerts, new UnitDirectory(pool), new ShieldRegistry());
      try {
        const m = message('uitd:889', null, componentFrame(['normal', 'fire-alarm']));
        await expect(service.onFrame(m)).rejects.toThrow();
        // The bus logs a handler error and moves on (InProcessBus drops it; KafkaBus skips it after
        // its attempts), so the watermark is the only way back to this fire alarm.
        const later = isoToMicros(m.receivedAt) + 3_600_000_000n;
        expect(service.watermark.processedThrough(later) < m.receivedAt).toBe(true);
      } finally {
        await bus.close();
        await pool.end();
      }
    });
  });
});
