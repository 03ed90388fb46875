import { eventually } from '@fireiot/testing';
import { AlertingHarness, AlertView } from './lib/alerting-harness.test-util';

jest.setTimeout(120_000);

/** Nobody confirms → the next contact is called (the "escalation when nobody confirms"). */
describe('escalation of unconfirmed alerts (CQC/SC 11002 4.3.3)', () => {
  let h: AlertingHarness;
  beforeAll(async () => {
    h = await AlertingHarness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('calls the next contact when nobody confirms a fault in time, and records the escalation', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }, { channels: ['voice'] }], escalateAfterS: 1 });
    const [first, second] = unit.contacts;
    const device = await h.uitd(unit.unitId, 710_001);
    expect((await device.sendFault(5)).outcome).toBe('confirmed');

    await h.twilio.waitFor((r) => r.kind === 'sms' && r.to === first?.phone, 10_000);
    const call = await h.twilio.waitFor((r) => r.kind === 'call' && r.to === second?.phone, 10_000);
    const [alert] = await h.alerts(`?unitId=${unit.unitId}&kind=fault`);
    expect(alert).toBeDefined();
    const detail = await h.alertWhen(String(alert?.id), (a) => a.events.some((e) => e.type === 'escalated'));
    const escalated = detail.events.find((e) => e.type === 'escalated');
    // Escalated no earlier than the unit's 1 s after receipt, and the call came after it.
    expect(Date.parse(escalated?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(detail.receivedAt) + 1_000 - 1);
    expect(call.receivedAt.getTime()).toBeGreaterThanOrEqual(Date.parse(escalated?.at ?? '') - 5);
    expect(
      detail.attempts.some((t) => t.channel === 'voice' && t.recipient === second?.id && t.status === 'accepted'),
    ).toBe(true);
  });

  it('does not escalate an alert the unit confirmed in time', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }, { channels: ['voice'] }], escalateAfterS: 2 });
    const [first, second] = unit.contacts;
    const app = await h.app(unit.userToken);
    const device = await h.uitd(unit.unitId, 710_002);
    expect((await device.sendFault(6)).outcome).toBe('confirmed');
    const pushed = await eventually(() => app.alerts[0], 'the app receives the fault');
    const confirmed = await h.http<AlertView>(
      'POST',
      `/api/alerts/${String(pushed['alertId'])}/confirm`,
      {},
      unit.userToken,
    );
    expect(confirmed.status).toBe(200);
    await h.twilio.waitFor((r) => r.kind === 'sms' && r.to === first?.phone, 10_000);

    // Past the escalation time (2 s) with margin: the second contact is never called.
    const deadline = Date.parse(String(pushed['receivedAt'])) + 4_000;
    await eventually(() => (Date.now() > deadline ? true : undefined), 'the escalation time passes', 10_000);
    expect(h.twilio.requests.filter((r) => r.to === second?.phone)).toHaveLength(0);
    const detail = await h.alertWhen(String(pushed['alertId']), (a) => a.state === 'confirmed');
    expect(detail.events.some((e) => e.type === 'escalated')).toBe(false);
  });
});
