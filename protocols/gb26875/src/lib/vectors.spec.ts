import extra from '../fixtures/gb26875-vectors.extra.json';
import publicVectors from '../fixtures/gb26875-vectors.public.json';
import { decodeFrame, encodeFrame } from './frame.codec';
import type { Frame } from './frame.model';

interface Vector {
  id: string;
  hex: string;
  valid: boolean;
  source: string;
  meaning: string;
}

const vectors: Vector[] = [...publicVectors, ...extra];

function decoded(id: string): Frame {
  const v = vectors.find((x) => x.id === id);
  if (!v) throw new Error(`no vector ${id}`);
  const r = decodeFrame(Buffer.from(v.hex, 'hex'));
  if (!r.ok) throw new Error(`${id}: ${r.error.code} ${r.error.message}`);
  return r.frame;
}

/** The JSON the CLI prints, parsed back: what encodeFrame receives from a user. */
function asJson(frame: Frame): unknown {
  return JSON.parse(JSON.stringify(frame)) as unknown;
}

describe('golden vectors', () => {
  describe.each(vectors.filter((v) => v.valid).map((v) => [v.id, v] as const))('%s', (_id, v) => {
    it('decodes and re-encodes byte-identical from its JSON', () => {
      const bytes = Buffer.from(v.hex, 'hex');
      const r = decodeFrame(bytes);
      if (!r.ok) throw new Error(r.error.message);
      expect(encodeFrame(asJson(r.frame) as Frame).toString('hex')).toBe(bytes.toString('hex'));
    });
  });

  it('FM-14 (ASCII digits for binary) is rejected: ADU too long, with the frame hex', () => {
    const v = publicVectors.find((x) => x.id === 'FM-14');
    const r = decodeFrame(Buffer.from(v?.hex ?? '', 'hex'));
    if (r.ok) throw new Error('FM-14 decoded; it must be rejected');
    expect(r.error.code).toBe('adu-too-long');
    expect(r.error.hex).toBe(v?.hex.toLowerCase());
    expect(r.error.message).toContain('12336');
  });
});

describe('the fields each vector states', () => {
  it('FM-1: component fire alarm from a smoke detector, loop 2 point 10', () => {
    const f = decoded('FM-1');
    expect(f).toMatchObject({
      serial: 1,
      version: { major: 1, minor: 1 },
      sentAt: '2012-09-26T09:58:32',
      source: { hex: '790300000000', value: '889' },
      destination: { hex: '385b01000000', value: '88888' },
      command: { code: 2, name: 'send-data' },
      adu: { type: { code: 2, name: 'component-state' } },
    });
    expect(f.adu?.objects).toEqual([
      {
        systemType: { code: 1, name: 'fire-alarm-system' },
        systemAddress: 1,
        componentType: { code: 40, name: 'smoke-detector' },
        componentAddress: { hex: '0a000200', value: 131082, low16: 10, high16: 2 },
        state: { raw: 2, flags: ['fire-alarm'] },
        description: '',
        descriptionRaw: '20'.repeat(30) + '00',
        occurredAt: '2012-09-26T09:58:02',
      },
    ]);
  });

  it('FM-2: the centre confirm, empty ADU, addresses swapped', () => {
    expect(decoded('FM-2')).toEqual({
      serial: 1,
      version: { major: 1, minor: 1 },
      sentAt: '2012-09-26T09:58:35',
      source: { hex: '385b01000000', value: '88888' },
      destination: { hex: '790300000000', value: '889' },
      command: { code: 3, name: 'confirm' },
      adu: null,
    });
  });

  it('FM-4: UITD state, main power fault', () => {
    const f = decoded('FM-4');
    expect(f.adu?.type).toEqual({ code: 21, name: 'uitd-state' });
    expect(f.adu?.objects).toEqual([
      { state: { raw: 8, flags: ['main-power-fault'] }, occurredAt: '2012-09-26T09:58:02' },
    ]);
  });

  it('FM-5: UITD operation, duty-check answer by operator 1', () => {
    const f = decoded('FM-5');
    expect(f.adu?.type).toEqual({ code: 24, name: 'uitd-operation' });
    expect(f.adu?.objects).toEqual([
      { operations: ['duty-check-answer'], operationsRaw: 0x20, operator: 1, occurredAt: '2012-09-26T09:58:02' },
    ]);
  });

  it('SF-1: GB18030 description, 48-bit destination address', () => {
    const f = decoded('SF-1');
    expect(f).toMatchObject({
      serial: 0,
      sentAt: '2020-10-22T17:13:24',
      source: { value: '0' },
      destination: { hex: '060504030201', value: '1108152157446' },
    });
    expect(f.adu?.objects[0]).toMatchObject({
      systemType: { code: 1 },
      systemAddress: 3,
      componentType: { code: 0, name: 'generic' },
      componentAddress: { value: 393433 },
      state: { raw: 2, flags: ['fire-alarm'] },
      description: 'Ａ区１层呷哺走廊',
      occurredAt: '2020-08-01T19:18:48',
    });
  });

  it('SF-2: version 0.1, init UITD (type 89) sent as a request', () => {
    const f = decoded('SF-2');
    expect(f).toMatchObject({
      serial: 1,
      version: { major: 0, minor: 1 },
      sentAt: '2021-07-02T09:00:05',
      source: { value: '4328719365' },
      destination: { value: '6627269347851' },
      command: { code: 4, name: 'request' },
    });
    expect(f.adu?.type).toEqual({ code: 89, name: 'init-uitd' });
    expect(f.adu?.objects).toEqual([{ reserved: 0 }]);
  });

  it('GO-1: UITD software version 1.0', () => {
    const f = decoded('GO-1');
    expect(f).toMatchObject({ sentAt: '2021-12-08T22:30:01', source: { value: '3456' }, destination: { value: '0' } });
    expect(f.adu?.type).toEqual({ code: 25, name: 'uitd-software-version' });
    expect(f.adu?.objects).toEqual([{ softwareVersion: { major: 1, minor: 0 } }]);
  });

  it('BS-1: empty send-data frame (a heartbeat)', () => {
    expect(decoded('BS-1')).toMatchObject({
      serial: 0,
      sentAt: '2017-12-27T12:59:12',
      source: { value: '11111' },
      destination: { value: '88888' },
      command: { name: 'send-data' },
      adu: null,
    });
  });

  it('JV-1: a confirm to device 654321', () => {
    expect(decoded('JV-1')).toMatchObject({
      sentAt: '2020-03-31T16:26:45',
      destination: { hex: 'f1fb09000000', value: '654321' },
      command: { name: 'confirm' },
      adu: null,
    });
  });

  it('AL-6: a patrol query (type 81) answered by a response carrying type 21', () => {
    const q = decoded('AL-6a');
    expect(q.command.name).toBe('request');
    expect(q.adu?.type).toEqual({ code: 81, name: 'read-uitd-state' });
    expect(q.adu?.objects).toEqual([{ reserved: 0 }]);
    const a = decoded('AL-6b');
    expect(a.command.name).toBe('response');
    expect(a.serial).toBe(q.serial);
    expect(a.adu?.objects).toEqual([
      { state: { raw: 8, flags: ['main-power-fault'] }, occurredAt: '2012-09-26T09:58:02' },
    ]);
  });

  it('AL-5 / AL-8b: UITD system time, uploaded and as a response', () => {
    for (const id of ['AL-5', 'AL-8b']) {
      expect(decoded(id).adu?.objects).toEqual([{ systemTime: '2012-09-26T09:58:02' }]);
    }
    expect(decoded('AL-8a').adu?.type.name).toBe('read-uitd-time');
  });

  it('AL-4 / AL-7: UITD software version 1.1, and the query for it', () => {
    expect(decoded('AL-4').adu?.objects).toEqual([{ softwareVersion: { major: 1, minor: 1 } }]);
    expect(decoded('AL-7b').command.name).toBe('response');
    expect(decoded('AL-7a').adu?.type.name).toBe('read-uitd-software-version');
  });

  it('AL-9 / AL-10 / AL-11: control commands init, clock sync and duty check', () => {
    const init = decoded('AL-9a');
    expect(init.command.name).toBe('control');
    expect(init.adu?.type.name).toBe('init-uitd');
    const sync = decoded('AL-10');
    expect(sync.adu?.type).toEqual({ code: 90, name: 'sync-uitd-clock' });
    expect(sync.adu?.objects).toEqual([{ systemTime: '2012-09-26T09:58:02' }]);
    const duty = decoded('AL-11');
    expect(duty.adu?.type).toEqual({ code: 91, name: 'duty-check' });
    expect(duty.adu?.objects).toEqual([{ answerTimeoutMinutes: 10 }]);
  });

  it('AL-1 / AL-6c: confirms and denies in both directions have empty ADUs', () => {
    expect(decoded('AL-1a').command.name).toBe('confirm');
    expect(decoded('AL-1b').command.name).toBe('deny');
    expect(decoded('AL-6c')).toMatchObject({ command: { name: 'deny' }, adu: null, source: { value: '889' } });
  });
});
