import { eventually } from '@fireiot/testing';
import { AlertingHarness, AlertView, pushed } from './lib/alerting-harness.test-util';

jest.setTimeout(120_000);

/**
 * Alerts the platform records but does not send: outside the unit's monitoring scope
 * (CQC/SC 11002 4.3.4, the service agreement) and from devices no unit owns. Recorded, because
 * what a device sent is evidence (4.1.3); sent to nobody.
 */
describe('suppressed alerts: recorded, sent to nobody', () => {
  let h: AlertingHarness;
  beforeAll(async () => {
    h = await AlertingHarness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a fault of a unit whose monitoring scope excludes faults: suppressed out-of-scope; its fire alarms still go out', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms', 'voice'] }], monitoringScope: ['fire-alarm'] });
    const phone = unit.contacts[0]?.phone;
    const app = await h.app(unit.userToken);
    const device = await h.uitd(unit.unitId, 790_001);

    expect((await device.sendFault(1)).outcome).toBe('confirmed');
    const fault: AlertView = await eventually(
      async () => (await h.alerts(`?unitId=${unit.unitId}&kind=fault`))[0],
      'the fault recorded',
      15_000,
    );
    expect(fault).toMatchObject({ kind: 'fault', item: 'a', suppressed: 'out-of-scope', state: 'suppressed' });

    // Control: a fire alarm (in scope) of the same device, after the fault, goes out.
    expect((await device.sendFireAlarm(2)).outcome).toBe('confirmed');
    const fire = await pushed(app, (a) => a['kind'] === 'fire-alarm', 'the fire alarm reaches the app');
    await h.alertWhen(
      String(fire['alertId']),
      (a) =>
        a.attempts.some((t) => t.channel === 'sms' && t.status === 'accepted') &&
        a.attempts.some((t) => t.channel === 'voice' && t.status === 'accepted'),
      'the fire alarm sent by SMS and voice',
    );

    const detail = await h.alertWhen(fault.id, () => true);
    expect(detail.attempts).toEqual([]);
    expect(detail.firstSentAt).toBeNull();
    expect(app.alerts.map((a) => a['kind'])).toEqual(['fire-alarm']);
    const provider = h.twilio.requests.filter((r) => r.to === phone);
    expect(provider.map((r) => r.kind).sort()).toEqual(['call', 'sms']);
    expect(provider.every((r) => (r.body ?? r.twiml ?? '').includes('火警'))).toBe(true);
    // Nor is it pushed on reconnect (catch-up); control: a fire alarm raised while offline is.
    app.close();
    expect((await device.sendFireAlarm(3)).outcome).toBe('confirmed');
    const missed = await eventually(
      async () => (await h.alerts(`?unitId=${unit.unitId}&kind=fire-alarm`)).find((a) => a.id !== fire['alertId']),
      'the fire alarm raised while offline',
    );
    const later = await h.app(unit.userToken);
    await pushed(later, (a) => a['alertId'] === missed.id, 'the missed fire alarm pushed on connect');
    expect(later.alerts.map((a) => a['alertId'])).toEqual([missed.id]);
  });

  it('a fire alarm of an unregistered device: stored with suppressed no-unit, sent to nobody', async () => {
    const operator = await h.app(await h.staff('operator'));
    const stranger = await h.unregisteredUitd(790_099);
    const before = h.twilio.requests.length;

    const sent = await stranger.sendFireAlarm(1);
    expect(sent.outcome).toBe('confirmed'); // stored, so confirmed (contract.md, device side)
    const stored: AlertView = await eventually(
      async () => (await h.alerts('?kind=fire-alarm')).find((a) => a.deviceKey === `uitd:${stranger.address}`),
      'the unregistered device’s fire alarm recorded',
      15_000,
    );
    expect(stored).toMatchObject({
      kind: 'fire-alarm',
      clause: '4.3.1',
      unitId: null,
      suppressed: 'no-unit',
      state: 'suppressed',
    });

    // Control: a registered unit's fire alarm, raised after it, reaches the operator's socket.
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    expect((await (await h.uitd(unit.unitId, 790_002)).sendFireAlarm(1)).outcome).toBe('confirmed');
    const control = await pushed(operator, (a) => a['unitId'] === unit.unitId, 'the operator receives the control');
    await h.alertWhen(String(control['alertId']), (a) =>
      a.attempts.some((t) => t.channel === 'sms' && t.status === 'accepted'),
    );

    expect(operator.alerts.some((a) => a['alertId'] === stored.id)).toBe(false);
    expect((await h.alertWhen(stored.id, () => true)).attempts).toEqual([]);
    expect(h.twilio.requests.slice(before).map((r) => r.to)).toEqual([unit.contacts[0]?.phone]);
  });
});
