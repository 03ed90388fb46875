import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { AlertRule, DEFAULT_RULES } from '@fireiot/alerting';
import { eventually } from '@fireiot/testing';
import { createAppPool } from '@fireiot/storage';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { Pool } from 'pg';
import { UnitDirectory } from './unit-directory.repository';

jest.setTimeout(120_000);

const TANK: AlertRule = {
  id: 'b.tank-level.analog',
  kind: 'abnormal',
  clause: '4.3.2',
  item: 'b',
  title: { zh: '消防水箱(池)液位异常', en: 'Fire water tank level abnormal' },
  when: { on: 'analog', analogTypes: ['height'], componentTypes: [92], below: 2.5 },
  enabled: true,
};

describe(UnitDirectory.name, () => {
  let db: TestDatabase;
  let pool: Pool;
  let warn: jest.SpyInstance;

  async function one<T extends object>(sql: string, params: unknown[] = []): Promise<T> {
    const [row] = await db.sql<T>(sql, params);
    if (row === undefined) throw new Error(`no row: ${sql}`);
    return row;
  }

  async function unit(name = 'Tower A'): Promise<string> {
    return (await one<{ id: string }>('INSERT INTO units (name) VALUES ($1) RETURNING id', [name])).id;
  }

  async function device(unitId: string | null): Promise<{ id: string; key: string }> {
    const key = `uitd:${Math.floor(Math.random() * 1e12)}`;
    const { id } = await one<{ id: string }>(
      "INSERT INTO devices (device_key, kind, unit_id) VALUES ($1, 'uitd', $2) RETURNING id",
      [key, unitId],
    );
    return { id, key };
  }

  async function rule(column: 'unit_id' | 'device_id', id: string, ruleId: string, body: unknown): Promise<void> {
    await db.sql(`INSERT INTO alert_rules (${column}, rule_id, rule) VALUES ($1, $2, $3)`, [
      id,
      ruleId,
      JSON.stringify(body),
    ]);
  }

  beforeAll(async () => {
    db = await startTestDatabase();
    pool = createAppPool(db.ownerUrl, 4);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterAll(async () => {
    warn.mockRestore();
    await pool.end();
    await db.stop();
  });
  beforeEach(() => warn.mockClear());

  describe('preloadDevices', () => {
    it('loads every device with its rules, then serves them without reading the database', async () => {
      const unitA = await unit('Preload A');
      const unitB = await unit('Preload B');
      const d = await device(unitA);
      await rule('device_id', d.id, TANK.id, TANK);
      const directory = new UnitDirectory(pool);
      expect(await directory.preloadDevices()).toBeGreaterThanOrEqual(1);
      // Moved behind the cache's back: the preloaded profile is what the pipeline sees.
      await db.sql('UPDATE devices SET unit_id = $1 WHERE id = $2', [unitB, d.id]);
      expect(await directory.device(d.key)).toEqual({ id: d.id, deviceKey: d.key, unitId: unitA, rules: [TANK] });
      // The next reload (or invalidate) picks the change up.
      await directory.preloadDevices();
      expect((await directory.device(d.key))?.unitId).toBe(unitB);
    });
  });

  describe('concurrent misses', () => {
    it('share one read of a unit: 500 devices of one unit lost at once read it once', async () => {
      const unitId = await unit('Shared read');
      const directory = new UnitDirectory(pool);
      const query = jest.spyOn(pool, 'query');
      try {
        const units = await Promise.all(Array.from({ length: 500 }, () => directory.unit(unitId)));
        expect(units.every((u) => u?.id === unitId)).toBe(true);
        const unitReads = query.mock.calls.filter(([text]) => String(text).includes('FROM units'));
        expect(unitReads).toHaveLength(1);
      } finally {
        query.mockRestore();
      }
    });
  });

  describe('device', () => {
    it('maps a device key to its id and unit, with no rules of its own', async () => {
      const unitId = await unit();
      const d = await device(unitId);
      expect(await new UnitDirectory(pool).device(d.key)).toEqual({
        id: d.id,
        deviceKey: d.key,
        unitId,
        rules: [],
      });
    });

    it('returns null for an unknown device, and a null unit for a device not yet assigned', async () => {
      const directory = new UnitDirectory(pool);
      expect(await directory.device('uitd:0')).toBeNull();
      const d = await device(null);
      expect((await directory.device(d.key))?.unitId).toBeNull();
    });

    it("reads the device's rules, the latest row per rule id", async () => {
      const d = await device(await unit());
      await rule('device_id', d.id, TANK.id, { ...TANK, when: { ...TANK.when, below: 3 } });
      await rule('device_id', d.id, TANK.id, TANK);
      const { enabled: _enabled, ...withoutEnabled } = TANK;
      await rule('device_id', d.id, 'x.other', { ...withoutEnabled, id: 'x.other', subjects: ['uitd'] });
      const profile = await new UnitDirectory(pool).device(d.key);
      expect(profile?.rules).toEqual([TANK, { ...TANK, id: 'x.other', subjects: ['uitd'] }]);
    });

    it('skips an invalid stored rule (the default stays in force) and logs it', async () => {
      const d = await device(await unit());
      await rule('device_id', d.id, 'fire.state', { ...DEFAULT_RULES[0], clause: '4.3.2' });
      await rule('device_id', d.id, TANK.id, TANK);
      const profile = await new UnitDirectory(pool).device(d.key);
      expect(profile?.rules).toEqual([TANK]);
      expect(warn).toHaveBeenCalledWith(expect.objectContaining({ ruleId: 'fire.state', device_id: d.id }));
    });
  });

  describe('unit', () => {
    it('reads the profile: scope, policy, escalation delay, contacts in escalation order, unit users only', async () => {
      const unitId = await unit('Tower B');
      await db.sql(
        "UPDATE units SET monitoring_scope = ARRAY['fire-alarm', 'fault'], fault_policy = 'escalate', escalate_after_s = 90 WHERE id = $1",
        [unitId],
      );
      const contact = async (name: string, phone: string, channels: string[], order: number) =>
        (
          await one<{ id: string }>(
            'INSERT INTO contacts (unit_id, name, phone, channels, escalation_order) VALUES ($1, $2, $3, $4, $5) RETURNING id',
            [unitId, name, phone, channels, order],
          )
        ).id;
      const third = await contact('Wang', '+8613800000003', ['sms'], 3);
      const first = await contact('Li', '+8613800000001', ['sms', 'voice'], 1);
      const second = await contact('Zhang', '+8613800000002', ['voice'], 2);
      const user = await one<{ id: string }>(
        "INSERT INTO users (username, password_hash, role, unit_id) VALUES ($1, 'x', 'unit', $2) RETURNING id",
        [`u-${randomUUID()}`, unitId],
      );
      await db.sql("INSERT INTO users (username, password_hash, role) VALUES ($1, 'x', 'operator')", [
        `op-${randomUUID()}`,
      ]);
      const profile = await new UnitDirectory(pool).unit(unitId);
      expect(profile).toEqual({
        id: unitId,
        name: 'Tower B',
        monitoringScope: ['fire-alarm', 'fault'],
        faultPolicy: 'escalate',
        escalateAfterMs: 90_000,
        contacts: [
          { id: first, name: 'Li', phone: '+8613800000001', channels: ['sms', 'voice'], escalationOrder: 1 },
          { id: second, name: 'Zhang', phone: '+8613800000002', channels: ['voice'], escalationOrder: 2 },
          { id: third, name: 'Wang', phone: '+8613800000003', channels: ['sms'], escalationOrder: 3 },
        ],
        userIds: [user.id],
        rules: [],
      });
    });

    it('defaults to every alert kind (4.3.4), all channels at once and the platform delay', async () => {
      const profile = await new UnitDirectory(pool).unit(await unit());
      expect(profile).toMatchObject({
        monitoringScope: ['fire-alarm', 'fault', 'abnormal', 'communication-loss', 'restored'],
        faultPolicy: 'all-channels',
        escalateAfterMs: null,
        contacts: [],
        userIds: [],
      });
    });

    it('returns null for an unknown unit', async () => {
      expect(await new UnitDirectory(pool).unit(randomUUID())).toBeNull();
    });

    it("reads the unit's rule overrides and skips invalid ones", async () => {
      const unitId = await unit();
      const off = { ...TANK, enabled: false };
      await rule('unit_id', unitId, TANK.id, off);
      await rule('unit_id', unitId, 'c.bad', { id: 'c.bad', kind: 'abnormal' });
      const profile = await new UnitDirectory(pool).unit(unitId);
      expect(profile?.rules).toEqual([off]);
      expect(warn).toHaveBeenCalledWith(expect.objectContaining({ ruleId: 'c.bad', unit_id: unitId }));
    });
  });

  describe('cache', () => {
    it('serves a provisioning change at once after `invalidate()`', async () => {
      const d = await device(await unit());
      const directory = new UnitDirectory(pool, 60_000, 60_000);
      expect((await directory.device(d.key))?.rules).toEqual([]);
      await rule('device_id', d.id, TANK.id, TANK);
      expect((await directory.device(d.key))?.rules).toEqual([]);
      directory.invalidate();
      expect((await directory.device(d.key))?.rules).toEqual([TANK]);
    });

    it('serves a stale entry once after `ttlMs` while it re-reads it in the background', async () => {
      const key = `mqtt:${randomUUID()}`;
      const directory = new UnitDirectory(pool, 1, 1);
      expect(await directory.device(key)).toBeNull();
      await db.sql("INSERT INTO devices (device_key, kind) VALUES ($1, 'collector')", [key]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await directory.device(key)).toBeNull(); // stale, never a wait on the alert path
      const fresh = await eventually(() => directory.device(key).then((p) => p ?? undefined), 'the refreshed device');
      expect(fresh.deviceKey).toBe(key);
    });

    it('re-reads a unit after its own (shorter) `ttlMs`', async () => {
      const unitId = await unit('Before');
      const directory = new UnitDirectory(pool, 1, 60_000);
      expect((await directory.unit(unitId))?.name).toBe('Before');
      await db.sql("UPDATE units SET name = 'After' WHERE id = $1", [unitId]);
      await eventually(async () => (await directory.unit(unitId))?.name === 'After', 'the renamed unit');
    });
  });
});
