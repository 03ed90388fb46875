import { verifySecret } from '@fireiot/secrets';
import { TestDatabase } from '@fireiot/storage/testing';
import { ADMIN, ApiTestApp, createdId, startApiApp, testDatabase } from '../api-test.test-util';
import { DevicesController } from './devices.controller';

jest.setTimeout(60_000);

interface DeviceList {
  devices: { id: string; deviceKey: string }[];
}

describe(DevicesController.name, () => {
  let db: TestDatabase;
  let api: ApiTestApp;
  let admin: string;
  let unitA: string;
  let unitB: string;

  beforeAll(async () => {
    db = await testDatabase();
    api = await startApiApp(db);
    admin = await api.login(ADMIN.username, ADMIN.password);
    unitA = createdId(await api.call('POST', '/api/units', { token: admin, body: { name: 'Unit A' } }));
    unitB = createdId(await api.call('POST', '/api/units', { token: admin, body: { name: 'Unit B' } }));
  });
  afterAll(async () => {
    await api.close();
    await db.stop();
  });

  const provision = (body: unknown, token = admin) => api.call('POST', '/api/devices', { token, body });

  it('registers a UITD under the gateway key uitd:<decimal address>, with its unit and last-seen time', async () => {
    const created = await provision({ unitId: unitA, kind: 'uitd', address: '889', power: 'mains' });
    const id = createdId(created);
    expect(created.body).toEqual({ id, deviceKey: 'uitd:889' });
    const [row] = await db.sql<{ device_key: string; unit_id: string; kind: string; mqtt_secret: string | null }>(
      'SELECT device_key, unit_id, kind, mqtt_secret FROM devices WHERE id = $1',
      [id],
    );
    expect(row).toEqual({ device_key: 'uitd:889', unit_id: unitA, kind: 'uitd', mqtt_secret: null });

    const before = await api.call('GET', `/api/devices/${id}`, { token: admin });
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({
      id,
      kind: 'uitd',
      address: '889',
      deviceKey: 'uitd:889',
      power: 'mains',
      unitId: unitA,
      unit: { id: unitA, name: 'Unit A' },
      lastSeenAt: null,
      mqttCredentials: false,
    });
    await db.sql(
      `INSERT INTO device_presence (device_key, registered, first_seen_at, last_seen_at, last_peer, last_gateway_id)
       VALUES ('uitd:889', true, '2025-11-22T08:00:00Z', '2025-11-22T08:05:00Z', '10.0.0.7:40000', 'gw-1')`,
    );
    const after = await api.call('GET', `/api/devices/${id}`, { token: admin });
    expect(after.body['lastSeenAt']).toBe('2025-11-22T08:05:00.000Z');
  });

  it('gives a collector an MQTT password once and stores only its scrypt hash', async () => {
    const created = await provision({ unitId: unitA, kind: 'collector', address: 'pump-room.7', power: 'battery' });
    const id = createdId(created);
    expect(created.body).toMatchObject({ deviceKey: 'mqtt:pump-room.7', mqttUsername: 'pump-room.7' });
    const password = String(created.body['mqttPassword']);
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const [row] = await db.sql<{ mqtt_secret: string; power: string }>(
      'SELECT mqtt_secret, power FROM devices WHERE id = $1',
      [id],
    );
    expect(row?.power).toBe('battery');
    expect(row?.mqtt_secret).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(row?.mqtt_secret).not.toContain(password);
    await expect(verifySecret(password, row?.mqtt_secret ?? '')).resolves.toBe(true);
    const shown = await api.call('GET', `/api/devices/${id}`, { token: admin });
    expect(shown.body).toMatchObject({ kind: 'collector', address: 'pump-room.7', mqttCredentials: true });
    expect(JSON.stringify(shown.body)).not.toContain(password);
    expect(JSON.stringify(shown.body)).not.toContain('scrypt');
  });

  it('answers 409 for an address registered already (whatever its spelling)', async () => {
    createdId(await provision({ unitId: unitA, kind: 'uitd', address: '281474976710655', power: 'mains' }));
    for (const body of [
      { unitId: unitB, kind: 'uitd', address: '281474976710655', power: 'battery' },
      { unitId: unitA, kind: 'uitd', address: '000281474976710655', power: 'mains' },
    ]) {
      const again = await provision(body);
      expect({ body, status: again.status, answer: again.body }).toEqual({
        body,
        status: 409,
        answer: { error: { code: 'device-exists', message: expect.stringContaining('uitd:281474976710655') } },
      });
    }
    createdId(await provision({ unitId: unitB, kind: 'collector', address: 'tank-1', power: 'mains' }));
    expect((await provision({ unitId: unitB, kind: 'collector', address: 'tank-1', power: 'mains' })).status).toBe(409);
    const [count] = await db.sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM devices WHERE device_key = 'mqtt:tank-1'",
    );
    expect(count?.n).toBe(1);
  });

  it('refuses invalid bodies with 400 and the reason, and unknown units with 404', async () => {
    const cases: [unknown, string][] = [
      [{ unitId: unitA, kind: 'uitd', address: '281474976710656', power: 'mains' }, 'address'],
      [{ unitId: unitA, kind: 'uitd', address: '-1', power: 'mains' }, 'address'],
      [{ unitId: unitA, kind: 'uitd', address: '0x379', power: 'mains' }, 'address'],
      [{ unitId: unitA, kind: 'uitd', address: 889, power: 'mains' }, 'address'],
      [{ unitId: unitA, kind: 'collector', address: 'a/b', power: 'mains' }, 'address'],
      [{ unitId: unitA, kind: 'collector', address: 'x'.repeat(65), power: 'mains' }, 'address'],
      [{ unitId: unitA, kind: 'gateway', address: '1', power: 'mains' }, 'kind'],
      [{ unitId: unitA, kind: 'uitd', address: '1', power: 'solar' }, 'power'],
      [{ unitId: unitA, kind: 'uitd', address: '1' }, 'power'],
      [{ unitId: 'unit-a', kind: 'uitd', address: '1', power: 'mains' }, 'unitId'],
      [{ unitId: unitA, kind: 'uitd', address: '1', power: 'mains', serial: 'x' }, 'serial'],
    ];
    for (const [body, field] of cases) {
      const answer = await provision(body);
      expect({ body, status: answer.status, answer: answer.body }).toEqual({
        body,
        status: 400,
        answer: { error: { code: 'invalid-input', message: expect.stringContaining(field) } },
      });
    }
    const missing = await provision({
      unitId: '00000000-0000-4000-8000-000000000000',
      kind: 'uitd',
      address: '5',
      power: 'mains',
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'unit-not-found' } });
    const [count] = await db.sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM devices WHERE device_key IN ('uitd:1', 'uitd:5')",
    );
    expect(count?.n).toBe(0);
  });

  it("shows unit users only their own unit's devices; others are 404; they cannot provision", async () => {
    const mine = createdId(await provision({ unitId: unitB, kind: 'uitd', address: '4242', power: 'mains' }));
    const theirs = createdId(await provision({ unitId: unitA, kind: 'uitd', address: '4343', power: 'mains' }));
    createdId(
      await api.call('POST', `/api/units/${unitB}/users`, {
        token: admin,
        body: { username: 'b-user', password: 'password-b' },
      }),
    );
    const token = await api.login('b-user', 'password-b');

    const list = await api.call<DeviceList>('GET', '/api/devices', { token });
    expect(list.status).toBe(200);
    expect(list.body.devices.length).toBeGreaterThan(0);
    const [unitOfEach] = await db.sql<{ units: string[] }>(
      'SELECT array_agg(DISTINCT unit_id::text) AS units FROM devices WHERE id = ANY($1::uuid[])',
      [list.body.devices.map((d) => d.id)],
    );
    expect(unitOfEach?.units).toEqual([unitB]);
    expect(list.body.devices.map((d) => d.id)).toContain(mine);
    expect((await api.call('GET', `/api/devices/${mine}`, { token })).status).toBe(200);
    const other = await api.call('GET', `/api/devices/${theirs}`, { token });
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ error: { code: 'device-not-found' } });
    expect((await api.call('GET', '/api/devices/not-a-uuid', { token: admin })).status).toBe(404);

    const everything = await api.call<DeviceList>('GET', '/api/devices', { token: admin });
    expect(everything.body.devices.map((d) => d.id)).toEqual(expect.arrayContaining([mine, theirs]));

    const refused = await provision({ unitId: unitB, kind: 'uitd', address: '4444', power: 'mains' }, token);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'forbidden' } });
  });
});
