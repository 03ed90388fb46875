import { encodeFrame, FrameInput } from '@fireiot/gb26875';
import { createAppPool, RawStore } from '@fireiot/storage';
import { TestDatabase } from '@fireiot/storage/testing';
import { Pool } from 'pg';
import { ADMIN, ApiTestApp, createdId, startApiApp, testDatabase } from '../api-test.test-util';
import { DeviceReadingsService, ReadingsView } from './device-readings.service';

jest.setTimeout(60_000);

const T0 = 1_763_781_234_000_000n; // 2025-11-22T03:13:54Z, µs

function upload(serial: number, adu: FrameInput['adu'], command: FrameInput['command'] = 'send-data'): Buffer {
  return Buffer.from(
    encodeFrame({
      serial,
      sentAt: '2025-11-22T11:13:54',
      source: { value: '889' },
      destination: { value: '88888' },
      command,
      adu,
    }),
  );
}

const componentState = (flags: string[]): FrameInput['adu'] => ({
  type: { name: 'component-state' },
  objects: [
    {
      systemType: 1,
      systemAddress: 1,
      componentType: 40,
      componentAddress: { low16: 10, high16: 2 },
      state: { flags },
      description: '厨房',
      occurredAt: '2025-11-22T11:13:50',
    },
  ],
});

describe(DeviceReadingsService.name, () => {
  let db: TestDatabase;
  let api: ApiTestApp;
  let pool: Pool;
  let store: RawStore;
  let admin: string;
  let unitUser: string;
  let uitd: string;
  let collector: string;
  let otherUnitsUitd: string;

  const readings = (id: string, query = '', token = admin) =>
    api.call<ReadingsView & { error?: { code: string } }>('GET', `/api/devices/${id}/readings${query}`, { token });

  async function frame(deviceKey: string, n: number, bytes: Buffer, command = 2): Promise<void> {
    await store.appendFrame({
      deviceKey,
      receivedAtUs: T0 + BigInt(n) * 1_000_000n,
      receivedMonoNs: BigInt(n),
      gatewayId: 'gw-test',
      peer: '127.0.0.1:5000',
      registered: true,
      bytes,
      serial: n,
      command,
      aduType: null,
    });
  }

  async function mqtt(deviceKey: string, n: number, topic: string, payload: unknown): Promise<void> {
    await store.appendMqtt({
      deviceKey,
      receivedAtUs: T0 + BigInt(n) * 1_000_000n,
      receivedMonoNs: BigInt(n),
      gatewayId: 'gw-test',
      peer: '127.0.0.1:5001',
      registered: true,
      bytes: Buffer.from(JSON.stringify(payload)),
      topic,
      clientId: 'pump-room.7',
    });
  }

  beforeAll(async () => {
    db = await testDatabase();
    api = await startApiApp(db);
    pool = createAppPool(db.ownerUrl, 2);
    store = new RawStore(pool, { batchMs: 1 });
    admin = await api.login(ADMIN.username, ADMIN.password);
    const unitA = createdId(await api.call('POST', '/api/units', { token: admin, body: { name: 'Unit A' } }));
    const unitB = createdId(await api.call('POST', '/api/units', { token: admin, body: { name: 'Unit B' } }));
    const device = (body: Record<string, unknown>) => api.call('POST', '/api/devices', { token: admin, body });
    uitd = createdId(await device({ unitId: unitA, kind: 'uitd', address: '889', power: 'mains' }));
    collector = createdId(await device({ unitId: unitA, kind: 'collector', address: 'pump-room.7', power: 'battery' }));
    otherUnitsUitd = createdId(await device({ unitId: unitB, kind: 'uitd', address: '990', power: 'mains' }));
    createdId(
      await api.call('POST', `/api/units/${unitA}/users`, {
        token: admin,
        body: { username: 'a-user', password: 'password-1' },
      }),
    );
    unitUser = await api.login('a-user', 'password-1');
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
    await api.close();
    await db.stop();
  });

  it('decodes a UITD’s stored uploads (GB/T 26875.3), newest first, with a summary of types and states', async () => {
    await frame('uitd:889', 1, upload(1, componentState(['normal'])));
    await frame('uitd:889', 2, upload(2, null, 'confirm'), 3); // a reply, not an upload
    await frame(
      'uitd:889',
      3,
      upload(3, {
        type: { name: 'component-analog' },
        objects: [
          {
            systemType: 1,
            systemAddress: 1,
            componentType: 40,
            componentAddress: { low16: 10, high16: 2 },
            analogType: { name: 'pressure-mpa' },
            rawValue: 3,
            occurredAt: '2025-11-22T11:13:52',
          },
        ],
      }),
    );
    await frame('uitd:889', 4, upload(4, componentState(['fire-alarm'])));
    await frame('uitd:990', 5, upload(5, componentState(['fault'])));

    const answer = await readings(uitd);
    expect(answer.status).toBe(200);
    expect(answer.body.deviceId).toBe(uitd);
    expect(answer.body.readings.map((r) => [r.at, r.source, r.summary])).toEqual([
      ['2025-11-22T03:13:58.000000Z', 'gb26875', 'component-state ×1: fire-alarm'],
      ['2025-11-22T03:13:57.000000Z', 'gb26875', 'component-analog ×1: pressure-mpa 0.3 MPa'],
      ['2025-11-22T03:13:55.000000Z', 'gb26875', 'component-state ×1: normal'],
    ]);
    expect(answer.body.readings[0]?.data).toEqual([
      expect.objectContaining({
        systemType: { code: 1, name: 'fire-alarm-system' },
        componentType: { code: 40, name: 'smoke-detector' },
        state: expect.objectContaining({ flags: ['fire-alarm'] }),
        description: '厨房',
      }),
    ]);
    expect((await readings(uitd, '?limit=1')).body.readings).toHaveLength(1);
  });

  it('gives an MQTT collector’s sensor events (not heartbeats) with the parsed payload (docs/mqtt.md)', async () => {
    const events = 'fireiot/v1/devices/pump-room.7/events';
    await mqtt('mqtt:pump-room.7', 10, events, {
      kind: 'water-pressure',
      value: 0.32,
      point: 'most-unfavourable-point',
    });
    await mqtt('mqtt:pump-room.7', 11, 'fireiot/v1/devices/pump-room.7/heartbeat', { battery: 87 });
    await mqtt('mqtt:pump-room.7', 12, events, {
      kind: 'pump-cabinet',
      pump: 'fire-pump',
      mode: 'auto',
      power: 'normal',
      running: false,
      location: 'B1 pump room',
    });
    await mqtt('mqtt:pump-room.7', 13, events, { kind: 'water-level', value: 3.85, tank: 'roof-tank' });
    await mqtt('mqtt:pump-room.7', 14, events, { kind: 'smoke-detector', state: 'low-battery', battery: 9 });

    const answer = await readings(collector, '', unitUser);
    expect(answer.status).toBe(200);
    expect(answer.body.readings.map((r) => [r.source, r.summary])).toEqual([
      ['mqtt', 'smoke detector low-battery, battery 9 %'],
      ['mqtt', 'level 3.85 m (roof-tank)'],
      ['mqtt', 'fire-pump not running, mode auto, power normal (B1 pump room)'],
      ['mqtt', 'pressure 0.32 MPa (most-unfavourable-point)'],
    ]);
    expect(answer.body.readings[3]).toEqual({
      at: '2025-11-22T03:14:04.000000Z',
      source: 'mqtt',
      summary: 'pressure 0.32 MPa (most-unfavourable-point)',
      data: { kind: 'water-pressure', value: 0.32, point: 'most-unfavourable-point' },
    });
  });

  it('is tenant-scoped like GET /api/devices/:id: another unit’s device is 404', async () => {
    const other = await readings(otherUnitsUitd, '', unitUser);
    expect(other).toMatchObject({ status: 404, body: { error: { code: 'device-not-found' } } });
    expect((await readings(otherUnitsUitd)).body.readings).toHaveLength(1);
    expect((await readings('00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await readings('not-a-device')).status).toBe(404);
    expect((await api.call('GET', `/api/devices/${uitd}/readings`)).status).toBe(401);
  });

  it('takes limit 1 … 200 (default 20) and nothing else', async () => {
    for (let n = 20; n < 50; n++) await frame('uitd:889', n, upload(n, componentState(['normal'])));
    expect((await readings(uitd)).body.readings).toHaveLength(20);
    expect((await readings(uitd, '?limit=200')).body.readings).toHaveLength(33);
    for (const query of ['?limit=0', '?limit=201', '?limit=x', '?since=1']) {
      expect({ query, status: (await readings(uitd, query)).status }).toEqual({ query, status: 400 });
    }
  });
});
