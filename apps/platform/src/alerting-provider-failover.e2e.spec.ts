import { TwilioFakeRequest } from '@fireiot/testing';
import { AlertingHarness, AlertView, AttemptView, ProvisionedUnit, pushed } from './lib/alerting-harness.test-util';

jest.setTimeout(120_000);

const ATTEMPTS = 3;
const BACKOFF_MS = 50;

/**
 * The SMS provider fails (CQC/SC 11002 4.3.3, at least two means): retryable errors are retried
 * with exponential backoff, each attempt with its own evidence row and idempotency key; then the
 * contact's other channel; a refused number is not retried; a contact nobody can reach fails over
 * to the next contact.
 */
describe('provider errors: retries and failover', () => {
  let h: AlertingHarness;
  let address = 750_000;
  beforeAll(async () => {
    h = await AlertingHarness.start({
      FIREIOT_NOTIFY_ATTEMPTS: String(ATTEMPTS),
      FIREIOT_NOTIFY_BACKOFF_MS: String(BACKOFF_MS),
    });
  });
  afterEach(() => {
    h.twilio.behave({ kind: 'normal' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** A unit, its app and a UITD; a detector fault; the alert's id. */
  async function raiseFault(unit: ProvisionedUnit): Promise<string> {
    const app = await h.app(unit.userToken);
    const device = await h.uitd(unit.unitId, ++address);
    expect((await device.sendFault(3)).outcome).toBe('confirmed');
    return String((await pushed(app, (a) => a['kind'] === 'fault', 'the fault alert'))['alertId']);
  }

  const requestsTo = (phone: string | undefined, kind: TwilioFakeRequest['kind']) =>
    h.twilio.requests.filter((r) => r.kind === kind && r.to === phone);
  const rows = (alert: AlertView, channel: AttemptView['channel'], status: string) =>
    alert.attempts.filter((t) => t.channel === channel && t.status === status);

  it('SMS answers 500 on every attempt: attempts 1..N failed with the error, backoff between them, then voice to the same contact', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const contact = unit.contacts[0];
    h.twilio.behave({ kind: 'fail', status: 500, channel: 'sms' });
    const id = await raiseFault(unit);

    const alert = await h.alertWhen(
      id,
      (a) => a.attempts.some((t) => t.channel === 'voice' && t.status === 'accepted'),
      'the voice call accepted after the SMS attempts',
    );
    const failed = rows(alert, 'sms', 'failed');
    expect(failed.map((t) => t.attemptNo)).toEqual([1, 2, 3]);
    for (const t of failed) {
      expect(t.error).toContain('HTTP 500');
      expect(t.error).toContain('20500');
      expect(t).toMatchObject({ recipient: contact?.id, address: contact?.phone });
    }
    expect(rows(alert, 'sms', 'dispatched').map((t) => t.attemptNo)).toEqual([1, 2, 3]);
    expect(rows(alert, 'sms', 'accepted')).toHaveLength(0);
    // One evidence key per attempt; one idempotency key for the message, on every request (a
    // request the provider refused created nothing, so retrying under the same key is sound).
    const keys = failed.map((t) => t.attemptKey);
    expect(new Set(keys).size).toBe(ATTEMPTS);
    const sms = requestsTo(contact?.phone, 'sms');
    expect(sms).toHaveLength(ATTEMPTS);
    expect(new Set(sms.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(keys).not.toContain(sms[0]?.idempotencyKey);
    expect(sms.map((r) => r.httpStatus)).toEqual([500, 500, 500]);
    // Exponential backoff: 50 ms, then 100 ms.
    const gapMs = (i: number) => Number((sms[i]?.receivedHr ?? 0n) - (sms[i - 1]?.receivedHr ?? 0n)) / 1e6;
    expect(gapMs(1)).toBeGreaterThanOrEqual(BACKOFF_MS);
    expect(gapMs(2)).toBeGreaterThanOrEqual(2 * BACKOFF_MS);

    // Failover: the contact's other channel, after the last SMS attempt.
    const voice = rows(alert, 'voice', 'accepted');
    expect(voice).toHaveLength(1);
    expect(voice[0]).toMatchObject({
      attemptNo: 1,
      recipient: contact?.id,
      address: contact?.phone,
      deadlineMet: true,
    });
    const call = requestsTo(contact?.phone, 'call');
    expect(call).toHaveLength(1);
    expect(call[0]?.httpStatus).toBe(201);
    expect(voice[0]?.providerRef).toBe(call[0]?.sid);
    expect((call[0]?.receivedHr ?? 0n) > (sms[2]?.receivedHr ?? 0n)).toBe(true);
    expect(alert.deadlineMet).toBe(true);
    expect(alert.state).toBe('notified');
  });

  it('SMS answers 400 / 21211 (number refused): no retry, failover to voice at once', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const contact = unit.contacts[0];
    h.twilio.behave({ kind: 'fail', status: 400, code: 21211, channel: 'sms' });
    const id = await raiseFault(unit);

    const alert = await h.alertWhen(
      id,
      (a) => a.attempts.some((t) => t.channel === 'voice' && t.status === 'accepted'),
      'the voice call accepted',
    );
    const failed = rows(alert, 'sms', 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.attemptNo).toBe(1);
    expect(failed[0]?.error).toContain('HTTP 400');
    expect(failed[0]?.error).toContain('21211');
    expect(failed[0]?.error).toContain('number refused');
    expect(alert.attempts.some((t) => t.channel === 'sms' && t.attemptNo > 1)).toBe(false);
    expect(requestsTo(contact?.phone, 'sms')).toHaveLength(1);
    expect(rows(alert, 'voice', 'accepted')[0]).toMatchObject({ attemptNo: 1, address: contact?.phone });
    expect(requestsTo(contact?.phone, 'call')).toHaveLength(1);
  });

  it('SMS answers 503 twice, then accepts: attempt 3 accepted, no failover', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const contact = unit.contacts[0];
    h.twilio.behave({ kind: 'fail', status: 503, times: 2, channel: 'sms' });
    const id = await raiseFault(unit);

    const alert = await h.alertWhen(
      id,
      (a) => a.attempts.some((t) => t.channel === 'sms' && t.status === 'accepted'),
      'the SMS accepted on a retry',
    );
    expect(rows(alert, 'sms', 'failed').map((t) => t.attemptNo)).toEqual([1, 2]);
    expect(rows(alert, 'sms', 'failed')[0]?.error).toContain('HTTP 503');
    const accepted = rows(alert, 'sms', 'accepted');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ attemptNo: 3, deadlineMet: true });
    expect(accepted[0]?.providerRef).toBe(requestsTo(contact?.phone, 'sms')[2]?.sid);
    // Control for "no failover": the voice channel of this contact was never used.
    expect(requestsTo(contact?.phone, 'call')).toHaveLength(0);
    expect(alert.attempts.some((t) => t.channel === 'voice')).toBe(false);
  });

  it('contact 1 unreachable on both channels (refused): the alert fails over to contact 2', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }, { channels: ['sms'] }] });
    const [first, second] = unit.contacts;
    // The next two requests (contact 1's SMS, then its voice call) are refused; then normal.
    h.twilio.behave({ kind: 'fail', status: 400, code: 21214, times: 2 });
    const id = await raiseFault(unit);

    const alert = await h.alertWhen(
      id,
      (a) => a.attempts.some((t) => t.status === 'accepted' && t.address === second?.phone),
      'the second contact reached',
    );
    const byFirst = alert.attempts.filter((t) => t.address === first?.phone && t.status === 'failed');
    expect(byFirst.map((t) => t.channel).sort()).toEqual(['sms', 'voice']);
    for (const t of byFirst) expect(t.error).toContain('21214');
    expect(alert.attempts.some((t) => t.address === first?.phone && t.status === 'accepted')).toBe(false);
    expect(rows(alert, 'sms', 'accepted')).toEqual([
      expect.objectContaining({ recipient: second?.id, address: second?.phone, attemptNo: 1 }),
    ]);
    expect(requestsTo(second?.phone, 'sms')[0]?.httpStatus).toBe(201);
    // The second contact was reached by failover, not by the (5 min) escalation.
    expect(alert.events.some((e) => e.type === 'escalated')).toBe(false);
    expect(requestsTo(second?.phone, 'call')).toHaveLength(0);
  });
});
