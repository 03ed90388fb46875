import { ShieldRegistry } from '@fireiot/alerting';
import { InProcessBus } from '@fireiot/bus';
import { AlertRaised, DevicePresence } from '@fireiot/events';
import { AlertRepository, DeviceLinkRepository, ShieldRepository, UnitDirectory } from '@fireiot/evidence';
import { createAppPool } from '@fireiot/storage';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { eventually } from '@fireiot/testing';
import { Pool } from 'pg';
import { linkAlertId, WatchdogService } from './watchdog.service';

jest.setTimeout(120_000);

const at = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

function presence(deviceKey: string, event: DevicePresence['event'], ms: number, extra: Partial<DevicePresence> = {}) {
  return { deviceKey, deviceId: null, event, at: at(ms), gatewayId: 'gw-test', ...extra } satisfies DevicePresence;
}

describe(WatchdogService.name, () => {
  let db: TestDatabase;
  let pool: Pool;
  let unitId: string;
  let bus: InProcessBus;
  let alerts: AlertRepository;
  let published: AlertRaised[];
  let watchdog: WatchdogService;

  beforeAll(async () => {
    db = await startTestDatabase();
    pool = createAppPool(db.ownerUrl, 4);
    const [unit] = await db.sql<{ id: string }>(`INSERT INTO units (name) VALUES ('Tower A') RETURNING id`);
    unitId = unit?.id ?? '';
  });
  afterAll(async () => {
    await pool.end();
    await db.stop();
  });

  beforeEach(async () => {
    bus = new InProcessBus();
    await bus.start();
    published = [];
    await bus.subscribe('fireiot.alerts.v1', 'test', async (m) => void published.push(m));
    alerts = new AlertRepository(pool, { batchMs: 2 });
    watchdog = new WatchdogService(
      bus,
      new DeviceLinkRepository(pool),
      alerts,
      new UnitDirectory(pool),
      new ShieldRegistry(),
      new ShieldRepository(pool),
    );
  });
  afterEach(async () => {
    await watchdog.flush();
    await alerts.flush();
    await bus.close();
  });

  let next = 900_000;
  async function device(seenMsAgo: number | null, power: 'mains' | 'battery' = 'mains'): Promise<string> {
    const key = `uitd:${next++}`;
    await db.sql(`INSERT INTO devices (device_key, kind, power, unit_id) VALUES ($1, 'uitd', $2, $3)`, [
      key,
      power,
      unitId,
    ]);
    if (seenMsAgo !== null) {
      await db.sql(
        `INSERT INTO device_presence (device_key, registered, first_seen_at, last_seen_at, last_peer, last_gateway_id)
         VALUES ($1, true, now(), now() - make_interval(secs => $2::float / 1000), '127.0.0.1:1', 'gw-test')`,
        [key, seenMsAgo],
      );
    }
    return key;
  }

  it('raises a loss for a connection the device closed, and ignores closes by replacement or shutdown', async () => {
    const [closed, replaced, stopping] = [await device(1000), await device(1000), await device(1000)];
    const now = Date.now();
    await watchdog.load(now);
    await watchdog.onPresence(presence(replaced, 'disconnected', now + 10, { closedBy: 'replaced' }));
    await watchdog.onPresence(presence(stopping, 'disconnected', now + 10, { closedBy: 'shutdown' }));
    await watchdog.onPresence(presence(closed, 'disconnected', now + 20, { closedBy: 'peer' }));
    await watchdog.flush();
    await eventually(() => published.length === 1, 'one alert');
    expect(published[0]).toMatchObject({
      unitId,
      deviceKey: closed,
      kind: 'communication-loss',
      clause: '4.4.2',
      subject: 'link',
      deadlineMs: 100_000,
      receivedAt: at(now + 20),
      source: { table: 'device_link_events' },
    });
    await alerts.flush();
    const [row] = await db.sql<{ event: string; cause: string }>(
      `SELECT event, cause FROM device_link_events WHERE device_key = $1`,
      [closed],
    );
    expect(row).toEqual({ event: 'lost', cause: 'disconnected' });
    const stored = await alerts.find(published[0]?.alertId ?? '');
    expect(stored).toMatchObject({ kind: 'communication-loss', sourceTable: 'device_link_events' });
  });

  it('raises at start the loss that was stored without its alert (a crash between the two writes), with the same id', async () => {
    const key = await device(60_000);
    const [link] = await db.sql<{ id: string }>(
      `INSERT INTO device_link_events (device_key, event, cause, observable_at, last_seen_at)
       VALUES ($1, 'lost', 'silence', now() - interval '5 seconds', now() - interval '95 seconds') RETURNING id`,
      [key],
    );
    const loaded = await watchdog.load(Date.now());
    expect(loaded.resent).toBe(1);
    await eventually(() => published.find((m) => m.deviceKey === key), 'the alert of the stored loss');
    const alert = published.find((m) => m.deviceKey === key);
    expect(alert?.alertId).toBe(linkAlertId(String(link?.id), 'lost'));
    expect(alert?.kind).toBe('communication-loss');

    // A second start finds the alert and sends nothing more; the device stays lost until heard.
    await alerts.flush();
    published.length = 0;
    expect((await watchdog.load(Date.now())).resent).toBe(0);
    await watchdog.onPresence(presence(key, 'heartbeat', Date.now()));
    await watchdog.flush();
    await eventually(() => published.length === 1, 'the restoration');
    expect(published[0]).toMatchObject({ kind: 'restored', restores: alert?.alertId, deviceKey: key });
  });

  it('does not watch devices nobody registered', async () => {
    await watchdog.load(Date.now());
    await watchdog.onPresence(presence('uitd:123456789', 'heartbeat', Date.now()));
    await watchdog.onPresence(presence('uitd:123456789', 'disconnected', Date.now() + 1, { closedBy: 'peer' }));
    await watchdog.flush();
    expect(watchdog.tracked).toBeGreaterThan(0);
    expect(published).toEqual([]);
  });

  it('learns a device provisioned after the start from its first sign of life', async () => {
    await watchdog.load(Date.now());
    const key = await device(null);
    const before = watchdog.tracked;
    await watchdog.onPresence(presence(key, 'connected', Date.now()));
    expect(watchdog.tracked).toBe(before + 1);
    await watchdog.onPresence(presence(key, 'disconnected', Date.now() + 5, { closedBy: 'peer' }));
    await watchdog.flush();
    await eventually(() => published.some((m) => m.deviceKey === key), 'its loss');
  });

  it('watches only the devices whose partitions it owns (one replica each), from storage and as they appear', async () => {
    const [mine, theirs] = [await device(1000), await device(1000)];
    watchdog.useOwnership({ owns: (key) => key !== theirs });
    const now = Date.now();
    await watchdog.load(now);
    for (const key of [mine, theirs]) {
      await watchdog.onPresence(presence(key, 'disconnected', now + 5, { closedBy: 'peer' }));
    }
    await watchdog.flush();
    await eventually(() => published.some((m) => m.deviceKey === mine), 'the owned device’s loss');
    expect(published.some((m) => m.deviceKey === theirs)).toBe(false);
    const late = await device(null);
    watchdog.useOwnership({ owns: (key) => key !== late });
    await watchdog.onPresence(presence(late, 'connected', Date.now()));
    await watchdog.onPresence(presence(late, 'disconnected', Date.now() + 5, { closedBy: 'peer' }));
    await watchdog.flush();
    expect(published.some((m) => m.deviceKey === late)).toBe(false);
  });

  it('writes the losses of many devices dropping at once, each once, with distinct alerts', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 50; i++) keys.push(await device(500));
    const now = Date.now();
    await watchdog.load(now);
    const lostBefore = watchdog.lostDevices; // the devices lost by the tests above
    await Promise.all(keys.map((k) => watchdog.onPresence(presence(k, 'disconnected', now + 1, { closedBy: 'peer' }))));
    await Promise.all(keys.map((k) => watchdog.onPresence(presence(k, 'disconnected', now + 2, { closedBy: 'peer' }))));
    await watchdog.flush();
    await eventually(() => published.length === 50, '50 alerts');
    expect(new Set(published.map((m) => m.alertId)).size).toBe(50);
    expect(new Set(published.map((m) => m.deviceKey))).toEqual(new Set(keys));
    expect(watchdog.lostDevices).toBe(lostBefore + 50);
  });
});
