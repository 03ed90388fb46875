import { eventually } from '@fireiot/testing';
import { AlertingHarness, AlertView, ProvisionedUnit, pushed } from './lib/alerting-harness.test-util';

jest.setTimeout(120_000);

/**
 * Nobody of the unit has the app open when alerts arrive (CQC/SC 11002 4.2 d, 4.3.3): the app
 * attempt is recorded `queued`, SMS goes out regardless; when the user connects, what they have
 * not acknowledged is pushed and, once acknowledged, recorded `delivered` — and not pushed again.
 */
describe('the unit’s app offline, then connecting', () => {
  let h: AlertingHarness;
  beforeAll(async () => {
    h = await AlertingHarness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function userIdOf(unit: ProvisionedUnit): Promise<string> {
    const me = await h.http<{ userId: string }>('GET', '/api/auth/me', undefined, unit.userToken);
    expect(me.status).toBe(200);
    return me.body.userId;
  }

  /** The unit's alerts of this kind, once there are `count`. */
  const alertsOf = (unit: ProvisionedUnit, kind: string, count: number): Promise<AlertView[]> =>
    h.alertsWhen(`?unitId=${unit.unitId}&kind=${kind}`, (l) => l.length === count, `${count} ${kind} alert(s)`);

  const appRows = (a: AlertView, status: string) =>
    a.attempts.filter((t) => t.channel === 'app' && t.status === status);

  it('a fault and a fire alarm while offline: app queued, SMS sent; pushed on connect, delivered; not pushed again', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const phone = unit.contacts[0]?.phone;
    const userId = await userIdOf(unit);
    const device = await h.uitd(unit.unitId, 770_001);

    expect((await device.sendFault(1)).outcome).toBe('confirmed');
    expect((await device.sendFireAlarm(2)).outcome).toBe('confirmed');
    const [fault] = await alertsOf(unit, 'fault', 1);
    const [fire] = await alertsOf(unit, 'fire-alarm', 1);
    const ids = [fault?.id ?? '', fire?.id ?? ''];

    for (const id of ids) {
      const alert = await h.alertWhen(
        id,
        (a) =>
          appRows(a, 'queued').length === 1 && a.attempts.some((t) => t.channel === 'sms' && t.status === 'accepted'),
        'app queued and SMS accepted',
      );
      expect(appRows(alert, 'queued')[0]).toMatchObject({ recipient: `unit:${unit.unitId}` });
      expect(appRows(alert, 'accepted')).toHaveLength(0);
      // The SMS was the hand-over to the unit, on time (4.3.1: 3 s, 4.3.2: 10 s).
      expect(alert).toMatchObject({ state: 'notified', deadlineMet: true });
    }
    expect(h.twilio.requests.filter((r) => r.kind === 'sms' && r.to === phone)).toHaveLength(2);

    // The user opens the app: both are pushed (oldest first) and acknowledged.
    const app = await h.app(unit.userToken);
    await eventually(() => ids.every((id) => app.alerts.some((a) => a['alertId'] === id)), 'both alerts pushed');
    expect(app.alerts.map((a) => a['alertId'])).toEqual(ids);
    expect(app.alerts.find((a) => a['alertId'] === fire?.id)).toMatchObject({ kind: 'fire-alarm', clause: '4.3.1' });
    for (const id of ids) {
      const alert = await h.alertWhen(id, (a) => appRows(a, 'delivered').length === 1, 'recorded delivered');
      expect(appRows(alert, 'delivered')[0]).toMatchObject({ recipient: userId });
      expect(appRows(alert, 'accepted')[0]).toMatchObject({ recipient: userId });
    }

    // Offline again; a third alert arrives meanwhile.
    app.close();
    expect((await device.sendFault(3)).outcome).toBe('confirmed');
    const third = await eventually(
      async () => (await alertsOf(unit, 'fault', 2)).find((a) => a.id !== fault?.id),
      'the third alert',
    );
    await h.alertWhen(third.id, (a) => appRows(a, 'queued').length === 1, 'the third alert queued');

    // Reconnect: only what was not acknowledged comes (the third), not the first two again.
    const again = await h.app(unit.userToken);
    await pushed(again, (a) => a['alertId'] === third.id, 'the third alert pushed on reconnect');
    await h.alertWhen(third.id, (a) => appRows(a, 'delivered').length === 1, 'the third alert delivered');
    expect(again.alerts.map((a) => a['alertId'])).toEqual([third.id]);
  });

  it('an alert pushed but never acknowledged is pushed again on the next connection', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const device = await h.uitd(unit.unitId, 770_002);
    const silent = await h.app(unit.userToken, { ack: false });

    expect((await device.sendFault(4)).outcome).toBe('confirmed');
    const alert = await pushed(silent, (a) => a['kind'] === 'fault', 'the alert reaches the app');
    const id = String(alert['alertId']);
    await h.alertWhen(id, (a) => appRows(a, 'accepted').length === 1, 'the push recorded accepted');
    silent.close();

    const app = await h.app(unit.userToken);
    await pushed(app, (a) => a['alertId'] === id, 'the unacknowledged alert pushed again');
    const delivered = await h.alertWhen(id, (a) => appRows(a, 'delivered').length === 1, 'recorded delivered');
    expect(appRows(delivered, 'delivered')[0]?.address).toBe(app.socket.id);
  });
});
