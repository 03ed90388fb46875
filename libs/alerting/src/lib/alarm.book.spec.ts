import { AlarmBook, Decision, NewAlert, OpenAlarm } from './alarm.book';
import { DEFAULT_RULES } from './alert-rule';
import { classify } from './alert.classifier';
import { Observation } from './observation';
import { componentState, sensor, uitdState } from './observation.test-util';

const SMOKE_DETECTOR = 40;

/** Every decision the book takes for one observation, rule id → decision. */
function decide(book: AlarmBook, observation: Observation): Map<string, Decision> {
  const out = new Map<string, Decision>();
  for (const evaluation of classify(observation, DEFAULT_RULES)) {
    out.set(evaluation.rule.id, book.decide(observation, evaluation));
  }
  return out;
}

function raised(decisions: Map<string, Decision>, ruleId: string): NewAlert {
  const d = decisions.get(ruleId);
  if (d?.type !== 'raise') throw new Error(`expected ${ruleId} to raise, got ${JSON.stringify(d)}`);
  return d.alert;
}

function restored(decisions: Map<string, Decision>, ruleId: string): NewAlert {
  const d = decisions.get(ruleId);
  if (d?.type !== 'restore') throw new Error(`expected ${ruleId} to restore, got ${JSON.stringify(d)}`);
  return d.alert;
}

function types(decisions: Map<string, Decision>): Record<string, Decision['type']> {
  return Object.fromEntries([...decisions].map(([id, d]) => [id, d.type]));
}

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe(AlarmBook.name, () => {
  const fault = (rawId: string) =>
    componentState(SMOKE_DETECTOR, ['normal', 'fault'], { rawId, location: '3F corridor' });
  const normal = (rawId: string) => componentState(SMOKE_DETECTOR, ['normal'], { rawId });

  it('raises a 4.3.2 a) alert when a detector fault appears, with everything the evidence needs', () => {
    const book = new AlarmBook();
    const decisions = decide(book, fault('101'));
    expect(types(decisions)).toEqual({
      'fire.state': 'none',
      'a.detector-fault.state': 'raise',
      'fault.component-power': 'none',
    });
    const alert = raised(decisions, 'a.detector-fault.state');
    expect(alert).toEqual({
      id: expect.stringMatching(UUID_V8),
      deviceKey: 'uitd:889',
      deviceId: null,
      subject: 'sys:1/1/comp:131082',
      kind: 'fault',
      clause: '4.3.2',
      item: 'a',
      ruleId: 'a.detector-fault.state',
      title: '火灾探测器故障 Fire detector fault',
      location: '3F corridor',
      value: 'fault',
      source: { table: 'raw_frames', rawId: '101' },
      receivedAt: '2025-11-22T03:13:54.567890Z',
      deadlineMs: 10_000,
      restores: null,
    });
    expect(book.size).toBe(1);
    expect(book.isOpen(alert.id)).toBe(true);
  });

  it('takes a fault that stays active for a repeat of the open alert, not a new alert', () => {
    const book = new AlarmBook();
    const first = raised(decide(book, fault('101')), 'a.detector-fault.state');
    expect(decide(book, fault('102')).get('a.detector-fault.state')).toEqual({ type: 'repeat', alertId: first.id });
    expect(decide(book, fault('103')).get('a.detector-fault.state')).toEqual({ type: 'repeat', alertId: first.id });
    expect(book.size).toBe(1);
  });

  it('restores the alarm when the condition clears: a `restored` alert under 4.3.2 that names the first', () => {
    const book = new AlarmBook();
    const first = raised(decide(book, fault('101')), 'a.detector-fault.state');
    decide(book, fault('102'));
    const decisions = decide(book, normal('103'));
    expect(types(decisions)).toEqual({
      'fire.state': 'none',
      'a.detector-fault.state': 'restore',
      'fault.component-power': 'none',
    });
    const restore = restored(decisions, 'a.detector-fault.state');
    expect(restore).toMatchObject({
      kind: 'restored',
      clause: '4.3.2',
      deadlineMs: 10_000,
      restores: first.id,
      title: '恢复 Restored: 火灾探测器故障 Fire detector fault',
      item: 'a',
      ruleId: 'a.detector-fault.state',
      subject: first.subject,
      source: { table: 'raw_frames', rawId: '103' },
    });
    expect(restore.id).not.toBe(first.id);
    expect(book.isOpen(first.id)).toBe(false);
    expect(book.size).toBe(0);
    // Cleared and still clear: nothing more.
    expect(types(decide(book, normal('104')))).toEqual({
      'fire.state': 'none',
      'a.detector-fault.state': 'none',
      'fault.component-power': 'none',
    });
  });

  it('raises a new alert when the fault comes back after it was restored', () => {
    const book = new AlarmBook();
    const first = raised(decide(book, fault('101')), 'a.detector-fault.state');
    decide(book, normal('102'));
    const again = raised(decide(book, fault('103')), 'a.detector-fault.state');
    expect(again.id).not.toBe(first.id);
    expect(again.restores).toBeNull();
  });

  it('raises a fire alarm (4.3.1, 3 s) while a fault is open on the same subject, not a repeat', () => {
    const book = new AlarmBook();
    const faultAlert = raised(decide(book, fault('101')), 'a.detector-fault.state');
    const decisions = decide(book, componentState(SMOKE_DETECTOR, ['normal', 'fire-alarm', 'fault'], { rawId: '102' }));
    expect(decisions.get('a.detector-fault.state')).toEqual({ type: 'repeat', alertId: faultAlert.id });
    const fire = raised(decisions, 'fire.state');
    expect(fire).toMatchObject({
      kind: 'fire-alarm',
      clause: '4.3.1',
      deadlineMs: 3_000,
      item: null,
      value: 'fire-alarm',
    });
    expect(fire.title).toBe('火警 Fire alarm');
    expect(fire.id).not.toBe(faultAlert.id);
    expect(book.size).toBe(2);
  });

  it('raises a fire alarm even when the fire frame clears the fault, and restores the fault', () => {
    const book = new AlarmBook();
    const faultAlert = raised(decide(book, fault('101')), 'a.detector-fault.state');
    const decisions = decide(book, componentState(SMOKE_DETECTOR, ['normal', 'fire-alarm'], { rawId: '102' }));
    expect(raised(decisions, 'fire.state').kind).toBe('fire-alarm');
    expect(restored(decisions, 'a.detector-fault.state').restores).toBe(faultAlert.id);
  });

  it('keeps alarms of different subjects and devices apart', () => {
    const book = new AlarmBook();
    const a = raised(decide(book, fault('101')), 'a.detector-fault.state');
    const otherPoint = componentState(SMOKE_DETECTOR, ['fault'], { rawId: '102', subject: 'sys:1/1/comp:131083' });
    const otherDevice = componentState(SMOKE_DETECTOR, ['fault'], { rawId: '103', deviceKey: 'uitd:890' });
    const b = raised(decide(book, otherPoint), 'a.detector-fault.state');
    const c = raised(decide(book, otherDevice), 'a.detector-fault.state');
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);
    expect(book.size).toBe(3);
  });

  it('re-arms after close(): the next occurrence raises a new alert', () => {
    const book = new AlarmBook();
    const first = raised(decide(book, fault('101')), 'a.detector-fault.state');
    book.close(first.id);
    expect(book.isOpen(first.id)).toBe(false);
    expect(book.size).toBe(0);
    const next = raised(decide(book, fault('102')), 'a.detector-fault.state');
    expect(next.id).not.toBe(first.id);
  });

  it('does not restore an alarm a person closed (its clearing is nothing to report)', () => {
    const book = new AlarmBook();
    const first = raised(decide(book, fault('101')), 'a.detector-fault.state');
    book.close(first.id);
    expect(decide(book, normal('102')).get('a.detector-fault.state')).toEqual({ type: 'none' });
  });

  it('ignores close() of an alert it does not hold', () => {
    const book = new AlarmBook();
    const first = raised(decide(book, fault('101')), 'a.detector-fault.state');
    book.close('00000000-0000-8000-8000-000000000000');
    expect(book.isOpen(first.id)).toBe(true);
    expect(book.size).toBe(1);
  });

  describe('alert ids (deterministic: a replay finds the alert it already raised)', () => {
    it('gives the same id for the same source in another book (after a restart)', () => {
      const one = raised(decide(new AlarmBook(), fault('101')), 'a.detector-fault.state');
      const two = raised(decide(new AlarmBook(), fault('101')), 'a.detector-fault.state');
      expect(two.id).toBe(one.id);
      expect(one.id).toMatch(UUID_V8);
    });

    it('gives another id for another raw row, object index, table, rule or kind', () => {
      const ids = [
        raised(decide(new AlarmBook(), fault('101')), 'a.detector-fault.state').id,
        raised(decide(new AlarmBook(), fault('102')), 'a.detector-fault.state').id,
        raised(
          decide(new AlarmBook(), componentState(SMOKE_DETECTOR, ['fault'], { rawId: '101', index: 1 })),
          'a.detector-fault.state',
        ).id,
        raised(
          decide(new AlarmBook(), componentState(SMOKE_DETECTOR, ['fault'], { rawId: '101', table: 'raw_mqtt' })),
          'a.detector-fault.state',
        ).id,
        // same object, two rules active: fire alarm and detector fault
        raised(
          decide(new AlarmBook(), componentState(SMOKE_DETECTOR, ['fire-alarm', 'fault'], { rawId: '101' })),
          'fire.state',
        ).id,
      ];
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('gives a restore another id than a raise of the same row and rule (its kind differs)', () => {
      const open: OpenAlarm = {
        alertId: '11111111-1111-8111-8111-111111111111',
        deviceKey: 'uitd:889',
        subject: 'sys:1/1/comp:131082',
        ruleId: 'a.detector-fault.state',
        title: '火灾探测器故障 Fire detector fault',
      };
      const restore = restored(decide(new AlarmBook([open]), normal('101')), 'a.detector-fault.state');
      const raise = raised(decide(new AlarmBook(), fault('101')), 'a.detector-fault.state');
      expect(restore.id).not.toBe(raise.id);
    });
  });

  describe('open alarms loaded from storage', () => {
    const stored: OpenAlarm[] = [
      {
        alertId: '0b6f2d8e-1c7a-8d3e-9f00-5a1b2c3d4e5f',
        deviceKey: 'uitd:889',
        subject: 'sys:1/1/comp:131082',
        ruleId: 'a.detector-fault.state',
        title: '火灾探测器故障 Fire detector fault',
      },
      {
        alertId: '2c7a3e9f-2d8b-8e4f-a011-6b2c3d4e5f60',
        deviceKey: 'uitd:889',
        subject: 'uitd',
        ruleId: 'fire.state',
        title: '火警 Fire alarm',
      },
    ];

    it('takes a repeat of a stored alarm for a repeat', () => {
      const book = new AlarmBook(stored);
      expect(book.size).toBe(2);
      expect(decide(book, fault('500')).get('a.detector-fault.state')).toEqual({
        type: 'repeat',
        alertId: stored[0]?.alertId,
      });
      expect(decide(book, uitdState(['normal', 'fire-alarm'], { rawId: '501' })).get('fire.state')).toEqual({
        type: 'repeat',
        alertId: stored[1]?.alertId,
      });
    });

    it('restores a stored alarm with its stored title', () => {
      const book = new AlarmBook(stored);
      const restore = restored(decide(book, uitdState(['normal'], { rawId: '502' })), 'fire.state');
      expect(restore).toMatchObject({
        kind: 'restored',
        clause: '4.3.2',
        restores: stored[1]?.alertId,
        title: '恢复 Restored: 火警 Fire alarm',
      });
      expect(book.isOpen(stored[1]?.alertId ?? '')).toBe(false);
      expect(book.isOpen(stored[0]?.alertId ?? '')).toBe(true);
    });
  });

  it('treats an MQTT sensor the same way (subject `sensor`, source raw_mqtt)', () => {
    const book = new AlarmBook();
    const smoke = (rawId: string, state: string) => sensor('smoke-detector', { state }, { rawId });
    const fire = raised(decide(book, smoke('7', 'fire-alarm')), 'fire.sensor');
    expect(fire).toMatchObject({ subject: 'sensor', kind: 'fire-alarm', source: { table: 'raw_mqtt', rawId: '7' } });
    expect(decide(book, smoke('8', 'fire-alarm')).get('fire.sensor')).toEqual({ type: 'repeat', alertId: fire.id });
    expect(restored(decide(book, smoke('9', 'normal')), 'fire.sensor').restores).toBe(fire.id);
  });
});
