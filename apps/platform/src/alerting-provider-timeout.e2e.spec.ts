import { eventually } from '@fireiot/testing';
import { AlertingHarness, pushed } from './lib/alerting-harness.test-util';

jest.setTimeout(120_000);

const TIMEOUT_MS = 1_000;
const STALL_MS = 4_000;

/**
 * The SMS provider does not answer within FIREIOT_PROVIDER_TIMEOUT_MS: the attempt counts as
 * failed (timeout) and the next attempt is sent. The provider still processes the stalled
 * request later; both requests carry the message's one idempotency key (alert, channel,
 * recipient), so the provider creates the SMS once and the person gets it once.
 */
describe('provider timeout (FIREIOT_PROVIDER_TIMEOUT_MS)', () => {
  let h: AlertingHarness;
  beforeAll(async () => {
    h = await AlertingHarness.start({ FIREIOT_PROVIDER_TIMEOUT_MS: String(TIMEOUT_MS) });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('attempt 1 stalls past the timeout → failed (timeout), attempt 2 accepted; the stalled request, processed later, is deduped: one SMS', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const phone = unit.contacts[0]?.phone;
    const app = await h.app(unit.userToken);
    const device = await h.uitd(unit.unitId, 760_001);
    h.twilio.behave({ kind: 'stall', ms: STALL_MS, times: 1, channel: 'sms' });

    expect((await device.sendFault(4)).outcome).toBe('confirmed');
    const id = String((await pushed(app, (a) => a['kind'] === 'fault', 'the fault alert'))['alertId']);

    const alert = await h.alertWhen(
      id,
      (a) => a.attempts.some((t) => t.channel === 'sms' && t.status === 'accepted'),
      'the SMS accepted on attempt 2',
    );
    const failed = alert.attempts.filter((t) => t.channel === 'sms' && t.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.attemptNo).toBe(1);
    expect(failed[0]?.error).toContain('timeout');
    expect(failed[0]?.error).toContain(`${TIMEOUT_MS} ms`);
    const accepted = alert.attempts.filter((t) => t.channel === 'sms' && t.status === 'accepted');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ attemptNo: 2, deadlineMet: true });
    // Attempt 2 went out once attempt 1 had been given up (timeout), not after the stall ended.
    const dispatched = alert.attempts.find(
      (t) => t.channel === 'sms' && t.status === 'dispatched' && t.attemptNo === 1,
    );
    const waitedMs = Date.parse(accepted[0]?.at ?? '') - Date.parse(dispatched?.at ?? '');
    expect(waitedMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(waitedMs).toBeLessThan(STALL_MS);
    expect(failed[0]?.attemptKey).not.toBe(accepted[0]?.attemptKey);

    // The stall ends: the provider processes attempt 1's request too, under the same message key.
    const toPhone = () => h.twilio.requests.filter((r) => r.kind === 'sms' && r.to === phone);
    const requests = await eventually(
      () => toPhone().length === 2 && toPhone().every((r) => r.httpStatus !== null) && toPhone(),
      'the stalled request processed by the provider',
    );
    expect(new Set(requests.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(h.twilio.duplicates).toBe(1);
    const messages = h.twilio.accepted('sms').filter((m) => m.request.to === phone);
    expect(messages).toHaveLength(1); // the unit receives one SMS
    expect(messages[0]?.sid).toBe(accepted[0]?.providerRef);
    expect(requests.map((r) => r.sid)).toEqual([messages[0]?.sid, messages[0]?.sid]);

    // The provider reports the message delivered: recorded on the attempt that created it.
    const callback = await h.twilio.sendStatusCallback(messages[0]?.sid ?? '', 'delivered');
    expect(callback.httpStatus).toBeLessThan(300);
    const after = await h.alertWhen(
      id,
      (a) => a.attempts.some((t) => t.channel === 'sms' && t.status === 'delivered'),
      'the delivery report in the evidence',
    );
    const delivered = after.attempts.find((t) => t.channel === 'sms' && t.status === 'delivered');
    expect(delivered).toMatchObject({
      attemptNo: 2,
      attemptKey: accepted[0]?.attemptKey,
      providerRef: messages[0]?.sid,
    });
    // The alert's first hand-over stays the first accepted attempt (attempt 2 / the app).
    expect(after.firstSentAt).toBe(alert.firstSentAt);
  });
});
