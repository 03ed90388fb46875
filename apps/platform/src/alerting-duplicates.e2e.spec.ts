import { componentAt } from '@fireiot/simulator';
import { AlertingHarness, pushed } from './lib/alerting-harness.test-util';

jest.setTimeout(120_000);

/**
 * A state reported again while its alarm is open is one alert with repeats, not a new alert and
 * not a new SMS; a GB/T 26875.3 retransmission (same serial, same bytes) is confirmed again and
 * not processed at all.
 */
describe('duplicate reports of an open alarm', () => {
  let h: AlertingHarness;
  beforeAll(async () => {
    h = await AlertingHarness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const smsTo = (phone: string | undefined) => h.twilio.requests.filter((r) => r.kind === 'sms' && r.to === phone);

  it('the same fault in new frames while open: one alert, repeats counted, no second SMS', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const phone = unit.contacts[0]?.phone;
    const app = await h.app(unit.userToken);
    const device = await h.uitd(unit.unitId, 740_001);
    const detector = componentAt(5);

    const first = await device.sendFault(detector);
    expect(first.outcome).toBe('confirmed');
    const alert = await pushed(app, (a) => a['kind'] === 'fault', 'the fault alert');
    const id = String(alert['alertId']);
    await h.twilio.waitFor((r) => r.kind === 'sms' && r.to === phone);

    // Two more frames (new serials) with the same state of the same detector.
    for (let i = 0; i < 2; i++) {
      const again = await device.sendFault(detector);
      expect(again.outcome).toBe('confirmed');
      expect(again.serial).not.toBe(first.serial);
      expect(again.frame?.equals(first.frame ?? Buffer.alloc(0))).toBe(false);
    }
    const repeated = await h.alertWhen(id, (a) => a.repeats === 2, 'two repeats on the open alert');
    expect(repeated).toMatchObject({ kind: 'fault', state: 'notified' });
    expect(repeated.events.filter((e) => e.type === 'repeated')).toHaveLength(2);

    // Positive control: another detector's fault (after the repeats, same device, same order)
    // raises its own alert and SMS; by then a second SMS for the repeats would have been sent.
    expect((await device.sendFault(componentAt(6))).outcome).toBe('confirmed');
    const control = await pushed(app, (a) => a['kind'] === 'fault' && a['alertId'] !== id, 'the control fault');
    await h.alertWhen(
      String(control['alertId']),
      (a) => a.attempts.some((t) => t.channel === 'sms' && t.status === 'accepted'),
      'the control fault sent by SMS',
    );
    expect(smsTo(phone)).toHaveLength(2);
    expect(app.alerts.filter((a) => a['alertId'] === id)).toHaveLength(1);
    const faults = await h.alerts(`?unitId=${unit.unitId}&kind=fault`);
    expect(faults.map((a) => a.id).sort()).toEqual([id, String(control['alertId'])].sort());
  });

  it('MQTT: the same low tank level read again while open: one alert, repeats counted, no second SMS', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const phone = unit.contacts[0]?.phone;
    const app = await h.app(unit.userToken);
    const tank = await h.sensor(unit.unitId, 'dup-tank-1');

    await tank.publish({ kind: 'water-level', value: 0.6, tank: 'pool', seq: 1 });
    const alert = await pushed(app, (a) => a['item'] === 'b', 'the tank level alert');
    const id = String(alert['alertId']);
    await h.twilio.waitFor((r) => r.kind === 'sms' && r.to === phone);
    await tank.publish({ kind: 'water-level', value: 0.5, tank: 'pool', seq: 2 });
    await tank.publish({ kind: 'water-level', value: 0.6, tank: 'pool', seq: 3 });
    await h.alertWhen(id, (a) => a.repeats === 2, 'two repeats on the open alert');

    // Control: the level comes back; the restoration is the next alert, sent by SMS as well.
    await tank.publish({ kind: 'water-level', value: 2.5, tank: 'pool', seq: 4 });
    const restored = await pushed(app, (a) => a['kind'] === 'restored', 'the restoration');
    await h.alertWhen(
      String(restored['alertId']),
      (a) => a.attempts.some((t) => t.channel === 'sms' && t.status === 'accepted'),
      'the restoration sent by SMS',
    );
    expect(smsTo(phone)).toHaveLength(2);
    expect(app.alerts.filter((a) => a['item'] === 'b' && a['kind'] === 'abnormal')).toHaveLength(1);
  });

  it('a byte-identical retransmission of the frame (no confirm seen by the device) adds no alert, repeat or SMS', async () => {
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const phone = unit.contacts[0]?.phone;
    const app = await h.app(unit.userToken);
    const device = await h.uitd(unit.unitId, 740_003, { confirmTimeoutMs: 2_000, retries: 5 });

    // The device sends the fault and then hears nothing (the confirm is lost on its side), so
    // it retransmits the same bytes when its confirm timeout passes (GB/T 26875.3 §6.5).
    const upload = device.sendFault(componentAt(9));
    device.goSilent();
    const alert = await pushed(app, (a) => a['kind'] === 'fault', 'the fault alert');
    const id = String(alert['alertId']);
    await h.alertWhen(
      id,
      (a) => a.attempts.some((t) => t.channel === 'sms' && t.status === 'accepted'),
      'the fault sent by SMS',
    );
    device.resume();
    const result = await upload;
    expect(result.outcome).toBe('confirmed');
    expect(result.attempts).toBeGreaterThanOrEqual(2);
    expect(device.stats().uploads.retransmitted).toBeGreaterThanOrEqual(1);

    // Stored once (the gateway recognised the retransmission), classified once.
    const rows = await h.db.sql<{ n: string }>(
      'SELECT count(*) AS n FROM raw_frames WHERE device_key = $1 AND serial = $2',
      [`uitd:${device.address}`, result.serial],
    );
    expect(Number(rows[0]?.n)).toBe(1);

    // Control: the next fault of the same device is its own alert with its own SMS.
    expect((await device.sendFault(componentAt(10))).outcome).toBe('confirmed');
    const control = await pushed(app, (a) => a['kind'] === 'fault' && a['alertId'] !== id, 'the control fault');
    await h.alertWhen(
      String(control['alertId']),
      (a) => a.attempts.some((t) => t.channel === 'sms' && t.status === 'accepted'),
      'the control fault sent by SMS',
    );
    const first = await h.alertWhen(id, () => true);
    expect(first.repeats).toBe(0);
    expect(smsTo(phone)).toHaveLength(2);
    const faults = await h.alertsWhen(`?unitId=${unit.unitId}&kind=fault`, (l) => l.length === 2, 'both faults');
    expect(faults.map((a) => a.id)).toContain(id);
  });
});
