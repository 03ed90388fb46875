import { ALERT_LIFECYCLE_TYPES, alertLifecycleSchema, rearmsAlarm, stopsEscalation } from './alert.events';

const message = {
  alertId: '6f1c1b1e-7d4a-4b8e-9a57-0c2f6a0f4d11',
  unitId: null,
  at: '2025-11-22T03:14:10.000001Z',
  actor: '0b3c8f7e-2a51-4c0e-8f3d-5c7e9a1b2d44',
  note: null,
};

describe(stopsEscalation.name, () => {
  it('stops escalation on a confirmation or a close, never on a handling step (4.3.3)', () => {
    expect(ALERT_LIFECYCLE_TYPES.filter(stopsEscalation)).toEqual(['confirmed', 'closed']);
  });
});

describe(rearmsAlarm.name, () => {
  it('re-arms the alarm on a close only', () => {
    expect(ALERT_LIFECYCLE_TYPES.filter(rearmsAlarm)).toEqual(['closed']);
  });

  it('carries the handling steps of the register (5.4.1 e) on the lifecycle topic', () => {
    for (const type of ['confirmed', 'closed', 'received', 'verified', 'notified']) {
      expect(alertLifecycleSchema.safeParse({ ...message, type }).success).toBe(true);
    }
    expect(alertLifecycleSchema.safeParse({ ...message, type: 'escalated' }).success).toBe(false);
  });
});
