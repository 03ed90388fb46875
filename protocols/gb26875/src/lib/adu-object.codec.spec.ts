import { OBJECT_CODECS } from './adu-object.codec';
import { ADU_TYPES } from './code.table';
import { decodeAdu, encodeAdu } from './frame.codec';
import type { Adu } from './frame.model';
import { encodeGb18030 } from './gb18030.util';

/** ADU-level vectors from public unit tests (notes §6). The time label 04 00 09 02 07 15 is 2021-07-02 09:00:04. */
const T4 = '040009020715';
const T5 = '050009020715';

function adu(hex: string): Adu {
  const r = decodeAdu(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.frame;
}

function reencode(hex: string): string {
  return encodeAdu(JSON.parse(JSON.stringify(adu(hex))) as Adu).toString('hex');
}

describe('ADU objects (notes §6 vectors)', () => {
  it('type 3: two analog values, 80.0 °C and 204.81 m, int16 LE scaled by the table resolution', () => {
    const hex = `03 02 01 02 28 01020304 03 2003 ${T4} 0D 03 79 03040506 02 0150 ${T5}`;
    expect(adu(hex).objects).toEqual([
      {
        systemType: { code: 1, name: 'fire-alarm-system' },
        systemAddress: 2,
        componentType: { code: 40, name: 'smoke-detector' },
        componentAddress: { hex: '01020304', value: 0x04030201, low16: 0x0201, high16: 0x0403 },
        analogType: { code: 3, name: 'temperature', unit: '°C', decimals: 1 },
        rawValue: 800,
        value: 80,
        occurredAt: '2021-07-02T09:00:04',
      },
      {
        systemType: { code: 13, name: 'gas-extinguishing-system' },
        systemAddress: 3,
        componentType: { code: 121, name: 'alarm-device' },
        componentAddress: { hex: '03040506', value: 0x06050403, low16: 0x0403, high16: 0x0605 },
        analogType: { code: 2, name: 'height', unit: 'm', decimals: 2 },
        rawValue: 20481,
        value: 204.81,
        occurredAt: '2021-07-02T09:00:05',
      },
    ]);
    expect(reencode(hex)).toBe(hex.replace(/\s+/g, '').toLowerCase());
  });

  it('type 3: a negative temperature is a signed int16', () => {
    const o = adu(`03 01 01 01 1e 00000000 03 38ff ${T4}`).objects[0];
    expect(o).toMatchObject({ rawValue: -200, value: -20 });
  });

  // The notes (§6) call 0x0204 "fault + bus fault"; by the standard's table (§8.2.1.1: bit 9 backup
  // power, bit 10 bus) 0x0204 sets bits 2 and 9. The table wins.
  it('type 1: system state 0x0204 is fault + backup power fault (bits 2 and 9)', () => {
    const hex = `01 01 01 02 0402 ${T4}`;
    expect(adu(hex).objects).toEqual([
      {
        systemType: { code: 1, name: 'fire-alarm-system' },
        systemAddress: 2,
        state: { raw: 0x0204, flags: ['fault', 'backup-power-fault'] },
        occurredAt: '2021-07-02T09:00:04',
      },
    ]);
    expect(reencode(hex)).toBe(hex.replace(/\s+/g, ''));
  });

  it('type 1: bit 0 = 1 is normal operation, not test (the bit some implementations invert)', () => {
    expect(adu(`01 01 01 02 0100 ${T4}`).objects[0]).toMatchObject({ state: { raw: 1, flags: ['normal'] } });
    expect(adu(`01 01 01 02 0000 ${T4}`).objects[0]).toMatchObject({ state: { raw: 0, flags: [] } });
  });

  it('type 4: operation flags 0x84 (reserved bit 7 kept in the raw value), operator 250', () => {
    const hex = `04 01 01 02 84 fa ${T4}`;
    expect(adu(hex).objects[0]).toEqual({
      systemType: { code: 1, name: 'fire-alarm-system' },
      systemAddress: 2,
      operations: ['manual-alarm'],
      operationsRaw: 0x84,
      operator: 250,
      occurredAt: '2021-07-02T09:00:04',
    });
    expect(reencode(hex)).toBe(hex.replace(/\s+/g, ''));
  });

  it('type 21: UITD state 0x08 is main power fault', () => {
    expect(adu(`15 01 08 ${T4}`).objects).toEqual([
      { state: { raw: 8, flags: ['main-power-fault'] }, occurredAt: '2021-07-02T09:00:04' },
    ]);
  });

  it('type 24: UITD operation 0x31 is reset + self-check + duty-check answer', () => {
    expect(adu(`18 01 31 fa ${T4}`).objects[0]).toMatchObject({
      operations: ['reset', 'self-check', 'duty-check-answer'],
      operationsRaw: 0x31,
      operator: 250,
    });
  });

  it('type 6: variable-length GB18030 system description, NUL padding trimmed', () => {
    const text = encodeGb18030('这是一个转码测试');
    const hex = `06 01 01 02 1e ${text.toString('hex')}${'00'.repeat(30 - text.length)}`;
    const objects = adu(hex).objects;
    expect(objects).toEqual([
      {
        systemType: { code: 1, name: 'fire-alarm-system' },
        systemAddress: 2,
        description: '这是一个转码测试',
        descriptionRaw: hex.replace(/\s+/g, '').slice(10),
      },
    ]);
    expect(reencode(hex)).toBe(hex.replace(/\s+/g, ''));
  });

  it('type 6: objects of different lengths follow each other (never (L-2)/n)', () => {
    const a = encodeGb18030('一号机');
    const hex = `06 02 01 01 ${a.length.toString(16).padStart(2, '0')} ${a.toString('hex')} 0c 02 02 41 42`;
    expect(adu(hex).objects.map((o) => ('description' in o ? o.description : null))).toEqual(['一号机', 'AB']);
  });

  it('type 7: component configuration, 38 bytes, no time label', () => {
    const desc = Buffer.alloc(31, 0x20);
    encodeGb18030('2号楼3层').copy(desc);
    const hex = `07 01 01 02 28 01020304 ${desc.toString('hex')}`;
    expect(adu(hex).objects[0]).toMatchObject({
      componentType: { code: 40 },
      componentAddress: { value: 0x04030201 },
      description: '2号楼3层',
    });
    expect(reencode(hex)).toBe(hex.replace(/\s+/g, ''));
  });

  it('descriptions: leading NULs and junk after the terminator are trimmed, bytes kept', () => {
    const field = Buffer.alloc(31, 0);
    encodeGb18030('厨房').copy(field, 3);
    field.write('\xff\xfejunk', 12, 'latin1');
    const o = adu(`02 01 01 01 28 0a000200 0200 ${field.toString('hex')} ${T4}`).objects[0];
    expect(o).toMatchObject({ description: '厨房', descriptionRaw: field.toString('hex') });
  });
});

describe('description text the encoder refuses rather than alter', () => {
  it.each([
    ['a leading space', ' 厨房'],
    ['a NUL inside', 'a\u0000b'],
    ['a lone surrogate', '\ud800x'],
    ['an ideographic space at the edge', '\u3000x'],
    ['U+E5E5, which iconv-lite does not map back', '\ue5e5'],
  ])('%s', (_what, description) => {
    expect(() => encodeAdu({ type: 26, objects: [{ description }] })).toThrow(
      expect.objectContaining({
        code: 'invalid-value',
        message: expect.stringContaining('adu.objects[0].description') as string,
      }) as Error,
    );
  });

  it('text that survives encodes as before', () => {
    expect(adu(encodeAdu({ type: 26, objects: [{ description: '一号楼 B1 泵房' }] }).toString('hex')).objects).toEqual([
      { description: '一号楼 B1 泵房', descriptionRaw: encodeGb18030('一号楼 B1 泵房').toString('hex') },
    ]);
  });
});

describe('download builders (notes §6 expected outputs)', () => {
  it('type 61: read system state of system 1/1', () => {
    const hex = encodeAdu({ type: { code: 61 }, objects: [{ systemType: 1, systemAddress: 1 }] }).toString('hex');
    expect(hex).toBe('3d010101');
  });

  it('type 62: two components, addresses little-endian', () => {
    const hex = encodeAdu({
      type: { name: 'read-component-state' },
      objects: [
        { systemType: 1, systemAddress: 1, componentAddress: { value: 0x01110203 } },
        { systemType: 13, systemAddress: 3, componentAddress: { hex: '78563412' } },
      ],
    }).toString('hex');
    expect(hex).toBe('3e02010103021101' + '0d0378563412');
  });

  it('type 64: read 10 operation records from a start time', () => {
    const hex = encodeAdu({
      type: { code: 64 },
      objects: [{ systemType: 1, systemAddress: 1, recordCount: 10, startTime: '2021-07-02T09:00:04' }],
    }).toString('hex');
    expect(hex).toBe(`400101010a${T4}`);
  });

  it('type 81 patrol query defaults its reserved byte to 0: 51 01 00', () => {
    expect(encodeAdu({ type: { name: 'read-uitd-state' }, objects: [{}] }).toString('hex')).toBe('510100');
  });

  it('type 91 duty check with a 10-minute answer timeout: 5b 01 0a', () => {
    expect(encodeAdu({ type: 91, objects: [{ answerTimeoutMinutes: 10 }] }).toString('hex')).toBe('5b010a');
  });
});

describe('the type registry', () => {
  it('covers every type the standard defines, and only those', () => {
    const defined = ADU_TYPES.byCode
      .filter((t) => t.name !== 'reserved' && t.name !== 'user-defined')
      .map((t) => t.code);
    expect(Object.keys(OBJECT_CODECS).map(Number)).toEqual(defined);
    expect(defined).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 21, 24, 25, 26, 28, 61, 62, 63, 64, 65, 66, 67, 68, 81, 84, 85, 86, 88, 89, 90, 91,
    ]);
  });

  it('timed objects sent without time labels decode, without occurredAt, and re-encode the same', () => {
    const hex = '0102' + '01020402' + '0a0b0100';
    expect(adu(hex).objects).toEqual([
      {
        systemType: { code: 1, name: 'fire-alarm-system' },
        systemAddress: 2,
        state: { raw: 0x0204, flags: ['fault', 'backup-power-fault'] },
      },
      {
        systemType: { code: 10, name: 'fire-linkage-controller' },
        systemAddress: 11,
        state: { raw: 1, flags: ['normal'] },
      },
    ]);
    expect(reencode(hex)).toBe(hex);
  });

  it.each([
    ['user-defined 204 (FireMaster switch inputs)', 'cc0201000100'],
    ['user-defined 150 (Fubei switch records)', '9601ffffffff'],
    ['reserved 30', '1e'],
  ])('%s comes back raw, never an error', (_name, hex) => {
    const a = adu(hex);
    expect(a.objects).toEqual([]);
    expect(a.raw).toBe(hex);
    expect(reencode(hex)).toBe(hex);
  });
});
