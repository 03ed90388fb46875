import { componentAt } from '@fireiot/simulator';
import { eventually } from '@fireiot/testing';
import { AlertingHarness, AlertView, ProvisionedUnit, pushed, timeLabel } from './lib/alerting-harness.test-util';

jest.setTimeout(120_000);

/**
 * A fire alarm on a component whose fault is still open is a new 4.3.1 alert — every channel of
 * every contact at once, within 3 s — and never a repeat of the fault (CQC/SC 11002 4.3.1 over 4.3.2).
 */
describe('fire alarm during an open fault of the same component (CQC/SC 11002 4.3.1, 4.3.3)', () => {
  let h: AlertingHarness;
  beforeAll(async () => {
    h = await AlertingHarness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const twoContacts = () => h.unit({ contacts: [{ channels: ['sms', 'voice'] }, { channels: ['sms', 'voice'] }] });

  /** The fault alert once its SMS to the first contact was accepted. */
  async function openFault(unit: ProvisionedUnit, app: Awaited<ReturnType<AlertingHarness['app']>>) {
    const fault = await pushed(app, (a) => a['kind'] === 'fault', 'the app receives the fault');
    expect(fault).toMatchObject({ kind: 'fault', clause: '4.3.2', item: 'a' });
    const id = String(fault['alertId']);
    await h.alertWhen(
      id,
      (a) => a.attempts.some((t) => t.channel === 'sms' && t.status === 'accepted'),
      'the fault sent by SMS',
    );
    return id;
  }

  /** The fire alert: app, and SMS and voice to every contact, all within 4.3.1's 3 s. */
  async function expectFireOnEveryChannel(unit: ProvisionedUnit, fireId: string): Promise<AlertView> {
    const fire = await h.alertWhen(
      fireId,
      (a) =>
        a.attempts.some((t) => t.channel === 'app' && t.status === 'delivered') &&
        a.attempts.filter((t) => t.status === 'accepted' && t.channel !== 'app').length === 4,
      'the fire alarm accepted on SMS and voice for both contacts',
    );
    expect(fire).toMatchObject({ kind: 'fire-alarm', clause: '4.3.1', item: null, ruleId: 'fire.state' });
    expect(fire).toMatchObject({ restores: null, suppressed: null, repeats: 0, deadlineMet: true });
    expect(fire.firstSentElapsedMs).toBeLessThan(3_000);
    for (const contact of unit.contacts) {
      for (const channel of ['sms', 'voice'] as const) {
        const attempt = fire.attempts.find(
          (t) => t.channel === channel && t.status === 'accepted' && t.address === contact.phone,
        );
        expect(attempt).toMatchObject({ recipient: contact.id, attemptNo: 1, deadlineMet: true });
        expect(attempt?.elapsedUs).toBeLessThanOrEqual(3_000_000);
      }
    }
    // Both contacts at once: not reached by escalation (5 min later), and no attempt failed.
    expect(fire.events.some((e) => e.type === 'escalated')).toBe(false);
    expect(fire.attempts.some((t) => t.status === 'failed')).toBe(false);
    // The provider received the fire alarm's words on every channel of every contact.
    for (const contact of unit.contacts) {
      await h.twilio.waitFor((r) => r.kind === 'sms' && r.to === contact.phone && (r.body ?? '').includes('火警'));
      await h.twilio.waitFor((r) => r.kind === 'call' && r.to === contact.phone && (r.twiml ?? '').includes('火警'));
    }
    return fire;
  }

  it('the panel reports fire-alarm with the fault bit still set: a new fire alert; the fault only counts a repeat', async () => {
    const unit = await twoContacts();
    const app = await h.app(unit.userToken);
    const device = await h.uitd(unit.unitId, 730_001);
    const state = (flags: readonly string[]) => ({
      type: 2,
      objects: [
        {
          systemType: 1,
          systemAddress: 1,
          componentType: 40,
          componentAddress: { low16: 12, high16: 3 },
          state: { flags },
          description: '5层会议室',
          occurredAt: timeLabel(),
        },
      ],
    });

    expect((await device.upload(state(['fault']))).outcome).toBe('confirmed');
    const faultId = await openFault(unit, app);

    expect((await device.upload(state(['fire-alarm', 'fault']))).outcome).toBe('confirmed');
    const fire = await pushed(app, (a) => a['kind'] === 'fire-alarm', 'the app receives the fire alarm');
    expect(fire).toMatchObject({ unitId: unit.unitId, kind: 'fire-alarm', clause: '4.3.1' });
    const fireId = String(fire['alertId']);
    expect(fireId).not.toBe(faultId);
    await expectFireOnEveryChannel(unit, fireId);

    // The fault is still reported: counted on the fault alert, which stays open (no new fault alert).
    const fault = await h.alertWhen(faultId, (a) => a.repeats === 1, 'the fault counts the repeat');
    expect(fault).toMatchObject({ kind: 'fault', state: 'notified' });
    const faults = await h.alerts(`?unitId=${unit.unitId}&kind=fault`);
    expect(faults.map((a) => a.id)).toEqual([faultId]);
    expect(app.alerts.filter((a) => a['kind'] === 'fault')).toHaveLength(1);
  });

  it('the panel reports fire-alarm alone (fault bit cleared): a new fire alert; the fault is restored, not repeated', async () => {
    const unit = await twoContacts();
    const app = await h.app(unit.userToken);
    const device = await h.uitd(unit.unitId, 730_002);
    const detector = componentAt(42);

    expect((await device.sendFault(detector)).outcome).toBe('confirmed');
    const faultId = await openFault(unit, app);

    expect((await device.sendFireAlarm(detector)).outcome).toBe('confirmed');
    const fire = await pushed(app, (a) => a['kind'] === 'fire-alarm', 'the app receives the fire alarm');
    const fireId = String(fire['alertId']);
    expect(fireId).not.toBe(faultId);
    expect(fire).toMatchObject({ clause: '4.3.1', location: detector.description });
    await expectFireOnEveryChannel(unit, fireId);

    const restored = await eventually(
      async () => (await h.alerts(`?unitId=${unit.unitId}&kind=restored`)).find((a) => a.restores === faultId),
      'the fault restored by the fire frame’s state word',
      15_000,
    );
    expect(restored.id).not.toBe(fireId);
    const fault = await h.alertWhen(faultId, (a) => a.state === 'closed', 'the fault closed');
    expect(fault.repeats).toBe(0);
  });
});
