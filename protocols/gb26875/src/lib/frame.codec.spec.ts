import publicVectors from '../fixtures/gb26875-vectors.public.json';
import {
  buildConfirm,
  buildDeny,
  checkFraming,
  decodeAdu,
  decodeFrame,
  encodeFrame,
  frameChecksum,
  readFrameHeader,
} from './frame.codec';
import { GB26875_ERROR_CODES, Gb26875Error, type Gb26875ErrorCode } from './gb26875.error';
import { timeLabelFromDate, timeLabelToDate } from './time-label.codec';

const hexOf = (id: string): string => publicVectors.find((v) => v.id === id)?.hex ?? '';
const FM1 = Buffer.from(hexOf('FM-1'), 'hex');
const BS1 = Buffer.from(hexOf('BS-1'), 'hex');

/** A copy of `frame` with bytes changed and, unless told otherwise, the checksum fixed up. */
function patched(frame: Buffer, edits: Record<number, number>, fixChecksum = true): Buffer {
  const out = Buffer.from(frame);
  for (const [at, v] of Object.entries(edits)) out[Number(at)] = v;
  if (fixChecksum) {
    const length = out.readUInt16LE(24);
    out[27 + length] = frameChecksum(out, 0, length);
  }
  return out;
}

function errorOf(bytes: Buffer): Gb26875Error {
  const r = decodeFrame(bytes);
  if (r.ok) throw new Error('expected a rejection');
  return r.error;
}

describe(decodeFrame.name, () => {
  const heartbeat = BS1;
  const cases: Array<[Gb26875ErrorCode, Buffer]> = [
    ['frame-too-short', heartbeat.subarray(0, 29)],
    ['bad-start', patched(heartbeat, { 1: 0x41 }, false)],
    ['bad-end', patched(heartbeat, { 29: 0x24 }, false)],
    ['bad-checksum', patched(heartbeat, { 27: (heartbeat[27] ?? 0) ^ 0xff }, false)],
    ['length-mismatch', Buffer.concat([heartbeat, Buffer.from([0])])],
    ['adu-too-long', patched(heartbeat, { 24: 0x01, 25: 0x04 }, false)],
    ['unknown-command', patched(heartbeat, { 26: 7 })],
    // FM-1 says 1 object of type 2; announce 2 objects instead
    ['truncated-object', patched(FM1, { 28: 2 })],
    // FM-4 (type 21, 1 object of 7 bytes) announcing 0 objects leaves 7 bytes over
    ['trailing-bytes', patched(Buffer.from(hexOf('FM-4'), 'hex'), { 28: 0 })],
  ];

  it.each(cases)('rejects with %s, carrying the frame hex', (code, bytes) => {
    const error = errorOf(bytes);
    expect(error).toBeInstanceOf(Gb26875Error);
    expect(error.code).toBe(code);
    expect(error.hex).toBe(bytes.toString('hex'));
    expect(error.message.length).toBeGreaterThan(10);
  });

  it('every decoder error code is exercised above (invalid-value is the encoder’s)', () => {
    const covered = new Set(cases.map(([c]) => c));
    expect(GB26875_ERROR_CODES.filter((c) => !covered.has(c))).toEqual(['invalid-value']);
  });

  it('reports ADU errors at their offset in the frame, and decodeAdu at their offset in the ADU', () => {
    // FM-4 (type 21) announcing 2 objects: the ADU (9 bytes from offset 27) ends at frame offset 36
    const frame = patched(Buffer.from(hexOf('FM-4'), 'hex'), { 28: 2 });
    expect(errorOf(frame)).toMatchObject({ code: 'truncated-object', offset: 36 });
    const adu = decodeAdu(frame.subarray(27, 36));
    expect(!adu.ok && adu.error).toMatchObject({ code: 'truncated-object', offset: 9 });
    // a type-6 description announcing 10 bytes where 4 follow: it starts at ADU offset 5
    const short = decodeAdu(Buffer.from('060101010a41424344', 'hex'));
    expect(!short.ok && short.error).toMatchObject({ code: 'truncated-object', offset: 5 });
  });

  it('an empty ADU on its own has no type flag: truncated-object, not a typeless success', () => {
    const r = decodeAdu(Buffer.alloc(0));
    expect(!r.ok && r.error.code).toBe('truncated-object');
  });

  it('checkFraming agrees with the framing checks and passes sound frames', () => {
    expect(checkFraming(FM1)).toBeNull();
    expect(checkFraming(patched(FM1, { 0: 0 }, false))?.code).toBe('bad-start');
  });

  it('decodes a user-defined command with an opaque ADU, and reserved commands are refused', () => {
    const vendor = patched(FM1, { 26: 0x80 });
    const r = decodeFrame(vendor);
    expect(r.ok && r.frame.command).toEqual({ code: 128, name: 'user-defined' });
    expect(r.ok && r.frame.adu?.objects).toEqual([]);
    expect(r.ok && r.frame.adu?.raw).toBe(FM1.subarray(27, 75).toString('hex'));
    expect(errorOf(patched(FM1, { 26: 0 })).code).toBe('unknown-command');
  });

  it('accepts the version bytes vendors use (0.1, 1.16) without complaint', () => {
    for (const [major, minor] of [
      [0, 1],
      [1, 0x10],
    ] as const) {
      const r = decodeFrame(patched(BS1, { 4: major, 5: minor }));
      expect(r.ok && r.frame.version).toEqual({ major, minor });
    }
  });

  it('renders out-of-range time bytes as read instead of refusing the frame', () => {
    const r = decodeFrame(patched(BS1, { 6: 75, 10: 0 }));
    expect(r.ok && r.frame.sentAt).toBe('2017-00-27T12:59:75');
    if (r.ok) {
      expect(encodeFrame(r.frame)).toEqual(patched(BS1, { 6: 75, 10: 0 }));
      expect(timeLabelToDate(r.frame.sentAt)).toBeNull();
    }
  });

  it('decodes BCD time labels when the device is configured so', () => {
    const bcd = patched(BS1, { 6: 0x59, 7: 0x30, 8: 0x23, 9: 0x31, 10: 0x12, 11: 0x24 });
    const r = decodeFrame(bcd, { timeEncoding: 'bcd' });
    expect(r.ok && r.frame.sentAt).toBe('2024-12-31T23:30:59');
    if (r.ok) expect(encodeFrame(r.frame, { timeEncoding: 'bcd' })).toEqual(bcd);
  });
});

describe(readFrameHeader.name, () => {
  it('reads serial and addresses from a frame whose body is broken, for a deny', () => {
    const broken = Buffer.concat([FM1.subarray(0, 40), Buffer.from('garbage')]);
    expect(readFrameHeader(broken)).toMatchObject({
      serial: 1,
      source: { value: '889' },
      destination: { value: '88888' },
      aduLength: 48,
      command: { code: 2, name: 'send-data' },
    });
    expect(readFrameHeader(FM1.subarray(0, 25))).toBeNull();
    expect(readFrameHeader(Buffer.from('not a frame at all, no'))).toBeNull();
  });
});

describe('reply builders', () => {
  it('buildConfirm(FM-1) is exactly FireMaster’s confirm FM-2: serial echoed, addresses swapped', () => {
    expect(buildConfirm(FM1, '2012-09-26T09:58:35').toString('hex')).toBe(hexOf('FM-2').toLowerCase());
  });

  it('buildDeny answers with command 6 and the same serial, even for a broken frame', () => {
    const deny = buildDeny(FM1.subarray(0, 30), '2012-09-26T09:58:35');
    expect(deny.toString('hex').toUpperCase()).toBe('404001000101233A091A090C385B01000000790300000000000006AE2323');
    const r = decodeFrame(deny);
    expect(r.ok && r.frame).toMatchObject({ serial: 1, command: { name: 'deny' }, adu: null });
  });

  it('refuses to reply to something without a header', () => {
    expect(() => buildConfirm(Buffer.from('4040', 'hex'), '2012-09-26T09:58:35')).toThrow(Gb26875Error);
  });
});

describe(encodeFrame.name, () => {
  const minimal = {
    serial: 7,
    sentAt: '2024-01-02T03:04:05',
    source: { value: '889' },
    destination: '88888',
    command: 'send-data',
    adu: {
      type: { name: 'component-state' },
      objects: [
        {
          systemType: 1,
          systemAddress: 1,
          componentType: { name: 'smoke-detector' },
          componentAddress: { low16: 10, high16: 2 },
          state: { flags: ['normal', 'fire-alarm'] },
          description: '厨房',
          occurredAt: '2024-01-02T03:04:00',
        },
      ],
    },
  };

  it('builds a frame from hand-written JSON (names, bare codes, halves) that decodes to its meaning', () => {
    const bytes = encodeFrame(minimal);
    expect(bytes.length).toBe(78);
    const r = decodeFrame(bytes);
    expect(r.ok && r.frame).toMatchObject({
      serial: 7,
      version: { major: 1, minor: 1 },
      source: { value: '889' },
      destination: { value: '88888' },
      command: { code: 2 },
    });
    expect(r.ok && r.frame.adu?.objects[0]).toMatchObject({
      componentAddress: { value: 131082 },
      state: { raw: 3, flags: ['normal', 'fire-alarm'] },
      description: '厨房',
    });
  });

  it.each([
    ['serial', { ...minimal, serial: 65536 }, 'frame.serial'],
    ['command', { ...minimal, command: 9 }, 'command'],
    ['address', { ...minimal, source: { value: '889', hex: '000000000000' } }, 'source'],
    ['adu type name', { ...minimal, adu: { type: { code: 2, name: 'uitd-state' }, objects: [] } }, 'adu.type'],
    ['raw without its type byte', { ...minimal, adu: { type: 200, raw: 'c9' } }, 'adu.raw'],
  ])('refuses a bad %s with invalid-value naming the field', (_what, input, path) => {
    let error: unknown;
    try {
      encodeFrame(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Gb26875Error);
    expect((error as Gb26875Error).code).toBe('invalid-value');
    expect((error as Gb26875Error).message).toContain(path);
  });

  it('refuses an ADU over 1024 bytes', () => {
    const objects = Array.from({ length: 23 }, () => minimal.adu.objects[0]);
    expect(() => encodeFrame({ ...minimal, adu: { type: 2, objects } })).toThrow(
      expect.objectContaining({ code: 'adu-too-long' }) as Error,
    );
  });
});

describe('time labels', () => {
  it('convert between instants and Asia/Shanghai labels', () => {
    const at = new Date('2012-09-26T01:58:35Z');
    expect(timeLabelFromDate(at)).toBe('2012-09-26T09:58:35');
    expect(timeLabelToDate('2012-09-26T09:58:35')?.toISOString()).toBe('2012-09-26T01:58:35.000Z');
    expect(timeLabelToDate('2023-02-31T00:00:00')).toBeNull();
  });
});
