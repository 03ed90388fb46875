import { eventually } from '@fireiot/testing';
import { AlertingHarness, AlertView } from './lib/alerting-harness.test-util';

jest.setTimeout(180_000);

const FAST = { heartbeatS: 1, silenceThresholdS: 3, patrolPeriodS: 600 };
const BEATING = { profile: FAST, heartbeatIntervalMs: 400, heartbeatOnConnect: true, reconnectDelayMs: 300 };

/**
 * The restart rule (docs/watchdog.md): the watch is rebuilt from storage; a device lost before
 * stays lost until heard; every other device gets one whole silence threshold after the start to
 * show life. Devices that stayed alive raise nothing; one that died while the platform was down
 * is found one threshold after the start.
 */
describe('device watchdog across a platform restart (CQC/SC 11002 4.4.2)', () => {
  let h: AlertingHarness;
  beforeAll(async () => {
    h = await AlertingHarness.start({ FIREIOT_PRESENCE_INTERVAL_S: '1', FIREIOT_WATCHDOG_TICK_MS: '100' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const losses = async (deviceKey: string): Promise<AlertView[]> =>
    (await h.alerts('?kind=communication-loss')).filter((a) => a.deviceKey === deviceKey);

  it('raises no storm for survivors, finds the dead, and keeps a lost device lost until it is heard', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const survivors = await Promise.all([720_001, 720_002, 720_003].map((a) => h.uitd(unit.unitId, a, BEATING)));
    const dying = await h.uitd(unit.unitId, 720_010, BEATING);
    const lostBefore = await h.uitd(unit.unitId, 720_020, BEATING);
    await new Promise((r) => setTimeout(r, 1500)); // every device has been heard

    await lostBefore.disconnect();
    const before = await eventually(async () => (await losses('uitd:720020'))[0], 'the loss before the restart');

    await h.stopPlatform({ keepDevices: true });
    // While the platform is down one device dies; the others keep trying to reconnect.
    await dying.disconnect();
    await new Promise((r) => setTimeout(r, 5_000)); // longer than the threshold: downtime is not silence
    const restartedAt = Date.now();
    await h.restartPlatform();

    const found = await eventually(async () => (await losses('uitd:720010'))[0], 'the dead device is found', 20_000);
    const dead = await h.alertWhen(found.id, (a) => a.firstSentAt !== null, 'the loss is sent');
    expect(dead.detail['cause']).toBe('silence');
    const observable = Date.parse(dead.receivedAt);
    // Found one threshold after the start (plus start-up time), not at once and not later.
    expect(observable).toBeGreaterThanOrEqual(restartedAt + FAST.silenceThresholdS * 1000);
    expect(observable).toBeLessThan(restartedAt + FAST.silenceThresholdS * 1000 + 10_000);
    expect(dead.firstSentElapsedMs).toBeLessThan(5_000);

    // Two thresholds later, the survivors (reconnected by themselves) have raised nothing —
    // not at shutdown (the platform closing their connections is no loss) and not since.
    await new Promise((r) => setTimeout(r, 2 * FAST.silenceThresholdS * 1000));
    for (const s of [720_001, 720_002, 720_003]) expect(await losses(`uitd:${s}`)).toEqual([]);
    expect(survivors.every((s) => s.connected)).toBe(true);

    // The device lost before the restart was not lost a second time; heard again, it is restored.
    expect((await losses('uitd:720020')).map((a) => a.id)).toEqual([before.id]);
    await lostBefore.reconnect();
    const restored = await eventually(async () => {
      const list = await h.alerts('?kind=restored');
      return list.find((a) => a.restores === before.id);
    }, 'the restoration of the loss from before the restart');
    expect(restored.deviceKey).toBe('uitd:720020');
  });
});
