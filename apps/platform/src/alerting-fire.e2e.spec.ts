import { AlertingHarness, AlertView } from './lib/alerting-harness.test-util';
import { eventually } from '@fireiot/testing';

jest.setTimeout(120_000);

describe('fire alarm to the unit (CQC/SC 11002 4.3.1, 4.3.3)', () => {
  let h: AlertingHarness;
  beforeAll(async () => {
    h = await AlertingHarness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('reaches the unit’s app and its SMS endpoint; GET /api/alerts/:id shows both attempts and the met deadline', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const app = await h.app(unit.userToken);
    const device = await h.uitd(unit.unitId, 700_001);

    const sent = await device.sendFireAlarm(3);
    expect(sent.outcome).toBe('confirmed');

    const pushed = await eventually(() => app.alerts[0], 'the app receives the alert');
    expect(pushed).toMatchObject({ unitId: unit.unitId, kind: 'fire-alarm', clause: '4.3.1' });
    expect(typeof pushed['receivedAt']).toBe('string');
    expect(typeof pushed['sentAt']).toBe('string');
    const sms = await h.twilio.waitFor((r) => r.kind === 'sms' && r.to === unit.contacts[0]?.phone, 10_000);
    expect(sms.body).toContain('火警');

    const alertId = String(pushed['alertId']);
    const alert: AlertView = await h.alertWhen(
      alertId,
      (a) =>
        a.attempts.some((t) => t.channel === 'app' && t.status === 'delivered') &&
        a.attempts.some((t) => t.channel === 'sms' && t.status === 'accepted'),
      'app delivered and SMS accepted in the evidence',
    );
    expect(alert).toMatchObject({ kind: 'fire-alarm', clause: '4.3.1', state: 'notified', deadlineMet: true });
    const app1 = alert.attempts.find((t) => t.channel === 'app' && t.status === 'accepted');
    const sms1 = alert.attempts.find((t) => t.channel === 'sms' && t.status === 'accepted');
    for (const attempt of [app1, sms1]) {
      expect(attempt?.deadlineMet).toBe(true);
      expect(attempt?.elapsedUs).toBeGreaterThan(0);
      expect(attempt?.elapsedUs).toBeLessThanOrEqual(3_000_000);
      expect(Date.parse(attempt?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(alert.receivedAt));
    }
    expect(sms1?.providerRef).toBe(sms.sid);
    expect(sms1?.address).toBe(unit.contacts[0]?.phone);
    expect(alert.firstSentElapsedMs).toBeLessThan(3_000);

    // The unit confirms it in the app (4.2 c): the register shows who and when.
    const confirmed = await h.http<AlertView>(
      'POST',
      `/api/alerts/${alertId}/confirm`,
      { note: 'seen' },
      unit.userToken,
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.state).toBe('confirmed');
    expect(confirmed.body.events.some((e) => e.type === 'confirmed' && e.note === 'seen')).toBe(true);
  });
});
