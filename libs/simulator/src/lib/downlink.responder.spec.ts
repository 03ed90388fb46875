import { decodeFrame, encodeFrame, type Frame } from '@fireiot/gb26875';
import { type DownlinkDevice, planDownlink } from './downlink.responder';

const DEVICE: DownlinkDevice = {
  address: 889,
  userVersion: 1,
  now: '2024-05-01T08:00:00',
  uitdState: 1,
  answerPatrols: true,
  answerDutyChecks: true,
};

function request(command: number, adu: Record<string, unknown> | null, serial = 300): Buffer {
  return encodeFrame({ serial, sentAt: '2024-05-01T07:59:59', source: '88888', destination: '889', command, adu });
}

function decoded(bytes: Buffer | null): Frame {
  if (bytes === null) throw new Error('no reply');
  const r = decodeFrame(bytes);
  if (!r.ok) throw r.error;
  return r.frame;
}

const SYSTEM = { systemType: 1, systemAddress: 3 };
const COMPONENT = { ...SYSTEM, componentAddress: { value: 0x20005 } };

describe(planDownlink.name, () => {
  it.each([
    [61, [SYSTEM], 1],
    [62, [COMPONENT], 2],
    [63, [COMPONENT], 3],
    [64, [{ ...SYSTEM, recordCount: 5, startTime: '2024-05-01T00:00:00' }], 4],
    [65, [SYSTEM], 5],
    [66, [SYSTEM], 6],
    [67, [COMPONENT], 7],
    [68, [SYSTEM], 8],
    [81, [{ reserved: 0 }], 21],
    [84, [{ recordCount: 5, startTime: '2024-05-01T00:00:00' }], 24],
    [85, [{ reserved: 0 }], 25],
    [86, [{ reserved: 0 }], 26],
    [88, [{ reserved: 0 }], 28],
    [89, [{ reserved: 0 }], 21],
    [90, [{ systemTime: '2024-05-01T08:00:30' }], 28],
    [91, [{ answerTimeoutMinutes: 10 }], 24],
  ])('answers a request of type %i with a response of type %j', (type, objects, responseType) => {
    const plan = planDownlink(request(4, { type, objects }), DEVICE);
    const reply = decoded(plan.reply);
    expect(reply).toMatchObject({
      serial: 300,
      command: { code: 5 },
      source: { value: '889' },
      destination: { value: '88888' },
      adu: { type: { code: responseType } },
    });
    expect(plan.outcome).not.toBe('denied');
  });

  it('echoes the systems and components asked for', () => {
    const reply = decoded(planDownlink(request(4, { type: 62, objects: [COMPONENT, COMPONENT] }), DEVICE).reply);
    expect(reply.adu?.objects).toHaveLength(2);
    expect(reply.adu?.objects[0]).toMatchObject({
      systemType: { code: 1 },
      systemAddress: 3,
      componentType: { code: 40 },
      componentAddress: { value: 0x20005 },
      state: { flags: ['normal'] },
    });
  });

  it.each([
    [89, [{ reserved: 0 }], 'init'],
    [90, [{ systemTime: '2030-01-01T00:00:00' }], 'clock-sync'],
    [91, [{ answerTimeoutMinutes: 10 }], 'duty-check'],
  ])('confirms the control command of type %i', (type, objects, outcome) => {
    const plan = planDownlink(request(1, { type, objects }), DEVICE);
    expect(plan.outcome).toBe(outcome);
    expect(decoded(plan.reply)).toMatchObject({
      serial: 300,
      command: { code: 3 },
      source: { value: '889' },
      adu: null,
    });
  });

  it('carries the clock to set and the duty-check answer to upload', () => {
    expect(
      planDownlink(request(1, { type: 90, objects: [{ systemTime: '2030-01-01T00:00:00' }] }), DEVICE),
    ).toMatchObject({
      setClockTo: '2030-01-01T00:00:00',
    });
    expect(planDownlink(request(1, { type: 91, objects: [{ answerTimeoutMinutes: 1 }] }), DEVICE)).toMatchObject({
      uploadDutyCheckAnswer: true,
    });
    const unanswered = planDownlink(request(1, { type: 91, objects: [{ answerTimeoutMinutes: 1 }] }), {
      ...DEVICE,
      answerDutyChecks: false,
    });
    expect(unanswered).toMatchObject({ outcome: 'duty-check-ignored', uploadDutyCheckAnswer: false });
  });

  it('withholds patrol and duty-check answers when told to', () => {
    const quiet = { ...DEVICE, answerPatrols: false, answerDutyChecks: false };
    expect(planDownlink(request(4, { type: 81, objects: [{ reserved: 0 }] }), quiet)).toEqual({
      outcome: 'patrol-ignored',
      reply: null,
    });
    expect(planDownlink(request(4, { type: 91, objects: [{ answerTimeoutMinutes: 1 }] }), quiet)).toEqual({
      outcome: 'duty-check-ignored',
      reply: null,
    });
  });

  it.each([
    ['a control command of a read type', request(1, { type: 81, objects: [{ reserved: 0 }] })],
    ['a request of an upload type', request(4, { type: 2, raw: '0200' })],
    ['a request of a user-defined type', request(4, { type: 200, raw: 'c8' })],
    ['a request without ADU', request(4, null)],
    ['a user-defined command', request(130, { type: 130, raw: '82' })],
    ['a clock sync to an impossible time', request(1, { type: 90, raw: '5a01003c0c1f0218' })],
    ['a request whose objects are truncated', request(4, { type: 62, raw: '3e0201010500' })],
  ])('denies %s', (_what, frame) => {
    const plan = planDownlink(frame, DEVICE);
    expect(plan.outcome).toBe('denied');
    expect(decoded(plan.reply)).toMatchObject({ serial: 300, command: { code: 6 }, destination: { value: '88888' } });
  });

  it('ignores uploads and responses sent to a device', () => {
    expect(planDownlink(request(2, null), DEVICE)).toEqual({ outcome: 'ignored', reply: null });
    expect(planDownlink(request(5, null), DEVICE)).toEqual({ outcome: 'ignored', reply: null });
  });
});
