import fc from 'fast-check';
import extra from '../fixtures/gb26875-vectors.extra.json';
import publicVectors from '../fixtures/gb26875-vectors.public.json';
import { checkFraming, decodeFrame, encodeFrame, frameChecksum, MAX_FRAME_LENGTH } from './frame.codec';
import { mulberry32 } from './mulberry32.test-util';
import { FrameReader, type FrameSink } from './frame.reader';
import type { Gb26875ErrorCode } from './gb26875.error';

// -------------------------------------------------------------------------------------------------
// Test data

interface Vector {
  id: string;
  hex: string;
  valid: boolean;
}

const golden: Buffer[] = ([...publicVectors, ...extra] as Vector[])
  .filter((v) => v.valid)
  .map((v) => Buffer.from(v.hex, 'hex'));

function vector(id: string): Buffer {
  const v = ([...publicVectors, ...extra] as Vector[]).find((x) => x.id === id);
  if (v === undefined) throw new Error(`no vector ${id}`);
  return Buffer.from(v.hex, 'hex');
}

const FM1 = vector('FM-1'); // 78 bytes, send-data, component fire alarm
const FM2 = vector('FM-2'); // 30 bytes, confirm
const FM4 = vector('FM-4'); // 39 bytes, UITD state

/** A user-defined command (200) with an opaque ADU of type 200: any bytes, any length up to 1024. */
function opaque(body: Buffer, serial = 7): Buffer {
  return encodeFrame({
    serial,
    sentAt: '2024-01-02T03:04:05',
    source: { value: '889' },
    destination: { value: '88888' },
    command: 200,
    adu: { type: 200, raw: Buffer.concat([Buffer.from([200]), body]).toString('hex') },
  });
}

/** ADU bytes full of start and end characters, ending with "##" right before the checksum. */
function startEndRich(length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = [0x40, 0x40, 0x23, 0x23, 0x40, 0x00, 0x23][i % 7] as number;
  if (length >= 2) b.writeUInt16LE(0x2323, length - 2);
  return b;
}

/** The first serial for which the frame's checksum byte is `cs` (so the frame ends "@##" or "###"). */
function withChecksum(cs: number, build: (serial: number) => Buffer): Buffer {
  for (let serial = 0; serial < 256; serial++) {
    const f = build(serial);
    if (f[f.length - 3] === cs) return f;
  }
  throw new Error(`no serial gives checksum ${cs}`);
}

/** Frames built by the encoder whose bodies hold `@@` and `##` (and nested frames) everywhere. */
const built: Buffer[] = [
  // Header full of 0x40 / 0x23: serial 0x4040, time label bytes 64 and 35, addresses "@@##@@".
  encodeFrame({
    serial: 0x4040,
    version: { major: 1, minor: 0x40 },
    sentAt: '2064-35-35T64:64:64',
    source: { hex: '404023234040' },
    destination: { hex: '232340404040' },
    command: 'send-data',
    adu: {
      type: 'component-state',
      objects: [
        {
          systemType: 0x40,
          systemAddress: 0x40,
          componentType: 0x23,
          componentAddress: { hex: '40402323' },
          state: { raw: 0x4040 },
          descriptionRaw: '40402323'.repeat(7) + '404023',
          occurredAt: '2035-64-64T35:35:64',
        },
      ],
    },
  }),
  // The longest frame (ADU of 1024 bytes), its ADU holding a whole valid frame and "@@##" runs.
  opaque(Buffer.concat([FM1, startEndRich(1023 - FM1.length)])),
  // Lengths whose length field is itself "@" or "#": 0x40 = 64, 0x0240 = 576, 0x0323 = 803, 0x2323 is too long.
  opaque(startEndRich(63)),
  opaque(startEndRich(575)),
  opaque(startEndRich(802)),
  // An ADU that is exactly a valid frame (FM-2) after the type byte, and a frame ending "###" / "@##".
  opaque(FM2),
  withChecksum(0x23, (serial) => opaque(startEndRich(20), serial)),
  withChecksum(0x40, (serial) => opaque(startEndRich(21), serial)),
  // UITD state 0x40 with a time label of "@" and "#" bytes.
  encodeFrame({
    serial: 0x2323,
    sentAt: '2035-35-35T35:35:35',
    source: { hex: '404040404040' },
    destination: { hex: '232323232323' },
    command: 'send-data',
    adu: { type: 'uitd-state', objects: [{ state: { raw: 0x40 }, occurredAt: '2064-64-64T64:64:64' }] },
  }),
];

/** All valid golden vectors three times, with the built frames between them. */
const frames: Buffer[] = [...golden, ...built, ...golden, ...built, ...golden];
const stream = Buffer.concat(frames);

// -------------------------------------------------------------------------------------------------
// Helpers

type Event =
  | { kind: 'frame'; bytes: Buffer }
  | { kind: 'invalid'; bytes: Buffer; code: Gb26875ErrorCode; hex: string }
  | { kind: 'garbage'; bytes: Buffer };

/** A sink that records every event, keeping the Buffers it is handed (no copies). */
class Recorder implements FrameSink {
  readonly events: Event[] = [];

  frame(bytes: Buffer): void {
    this.events.push({ kind: 'frame', bytes });
  }

  invalid(bytes: Buffer, error: { code: Gb26875ErrorCode; hex: string }): void {
    this.events.push({ kind: 'invalid', bytes, code: error.code, hex: error.hex });
  }

  garbage(bytes: Buffer): void {
    this.events.push({ kind: 'garbage', bytes });
  }

  get frames(): Buffer[] {
    return this.events.flatMap((e) => (e.kind === 'frame' ? [e.bytes] : []));
  }

  get invalids(): Array<{ code: Gb26875ErrorCode; bytes: Buffer; hex: string }> {
    return this.events.flatMap((e) => (e.kind === 'invalid' ? [e] : []));
  }

  get garbageBytes(): Buffer {
    return Buffer.concat(this.events.flatMap((e) => (e.kind === 'garbage' ? [e.bytes] : [])));
  }

  /** The events as short strings, e.g. ['garbage 25', 'invalid adu-too-long 26', 'frame 78']. */
  get summary(): string[] {
    return this.events.map((e) =>
      e.kind === 'invalid' ? `invalid ${e.code} ${e.bytes.length}` : `${e.kind} ${e.bytes.length}`,
    );
  }
}

function hexes(buffers: readonly Buffer[]): string[] {
  return buffers.map((b) => b.toString('hex'));
}

/** Splits `data` at the given cut points (any order, duplicates and out-of-range ones ignored). */
function chunked(data: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < data.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, data.length]) {
    out.push(data.subarray(from, p));
    from = p;
  }
  return out;
}

/** Feeds chunks to a fresh reader, checking the memory bound after every push. */
function feed(chunks: readonly Uint8Array[], sink: FrameSink = new Recorder()): FrameReader {
  const reader = new FrameReader(sink);
  for (const c of chunks) {
    reader.push(c);
    if (reader.stats.buffered > MAX_FRAME_LENGTH) throw new Error(`buffered ${reader.stats.buffered} bytes`);
  }
  return reader;
}

/** Bytes accounted for: frames, garbage, one byte per false start, a whole bad-checksum candidate. */
function accounted(rec: Recorder, reader: FrameReader): number {
  let n = reader.stats.garbageBytes + reader.stats.buffered;
  for (const e of rec.events) {
    if (e.kind === 'frame') n += e.bytes.length;
    else if (e.kind === 'invalid') n += e.code === 'bad-checksum' ? e.bytes.length : 1;
  }
  return n;
}

/** A false start: "@@", 22 bytes of header (no "@"), then the given ADU length field. */
function falseStart(aduLength: number): Buffer {
  const b = Buffer.alloc(26, 0x11);
  b[0] = 0x40;
  b[1] = 0x40;
  b.writeUInt16LE(aduLength, 24);
  return b;
}

/** Random bytes with no 0x40, so none of them can start a frame. */
const junk = (maxLength: number) =>
  fc.uint8Array({ maxLength }).map((a) => Buffer.from(a.map((x) => (x === 0x40 ? 0x41 : x))));

/** A deterministic byte generator for the bulk tests. */
const prng = mulberry32;

// -------------------------------------------------------------------------------------------------

describe(FrameReader.name, () => {
  it('the test stream is what it claims: sound frames with "@@" and "##" inside their bodies', () => {
    for (const f of frames) expect(checkFraming(f)).toBeNull();
    for (const f of built) {
      const r = decodeFrame(f);
      expect(r.ok).toBe(true);
      const inner = f.subarray(2, f.length - 3);
      expect(inner.includes(Buffer.from('@@'))).toBe(true);
      expect(inner.includes(Buffer.from('##'))).toBe(true);
    }
    expect(built[1]?.length).toBe(MAX_FRAME_LENGTH);
    expect(built.some((f) => f[f.length - 3] === 0x23)).toBe(true);
    expect(built.some((f) => f.readUInt16LE(24) === 0x40)).toBe(true);
  });

  describe('chunking never changes the frames', () => {
    it('one push of the whole stream', () => {
      const rec = new Recorder();
      const reader = feed([stream], rec);
      expect(hexes(rec.frames)).toEqual(hexes(frames));
      expect(reader.stats).toEqual({ frames: frames.length, invalid: 0, garbageBytes: 0, buffered: 0 });
    });

    it('split in two at every possible boundary', () => {
      const expected = hexes(frames);
      for (let cut = 0; cut <= stream.length; cut++) {
        const rec = new Recorder();
        const reader = feed([stream.subarray(0, cut), stream.subarray(cut)], rec);
        const got = rec.frames;
        if (got.length !== frames.length || got.some((f, i) => !f.equals(frames[i] as Buffer))) {
          expect({ cut, frames: hexes(got) }).toEqual({ cut, frames: expected });
        }
        if (rec.events.length !== frames.length || reader.stats.buffered !== 0) {
          expect({ cut, events: rec.summary, stats: reader.stats }).toEqual({
            cut,
            events: frames.map((f) => `frame ${f.length}`),
            stats: { frames: frames.length, invalid: 0, garbageBytes: 0, buffered: 0 },
          });
        }
      }
    });

    it('one byte at a time, and the frames handed over earlier are unchanged at the end', () => {
      const rec = new Recorder();
      const reader = new FrameReader(rec);
      for (let i = 0; i < stream.length; i++) {
        reader.push(stream.subarray(i, i + 1));
        expect(reader.stats.buffered).toBeLessThanOrEqual(MAX_FRAME_LENGTH);
      }
      expect(hexes(rec.frames)).toEqual(hexes(frames));
      expect(reader.stats).toEqual({ frames: frames.length, invalid: 0, garbageBytes: 0, buffered: 0 });
    });

    it('plain Uint8Array chunks (not Buffers) work the same', () => {
      const rec = new Recorder();
      const chunks = chunked(stream, [5, 100, 101, 1500, 3000]).map((b) => new Uint8Array(b));
      feed(chunks, rec);
      expect(hexes(rec.frames)).toEqual(hexes(frames));
    });

    it('random chunkings (fast-check)', () => {
      const expected = hexes(frames);
      fc.assert(
        fc.property(fc.array(fc.nat({ max: stream.length }), { maxLength: 200 }), (cuts) => {
          const rec = new Recorder();
          const reader = feed(chunked(stream, cuts), rec);
          expect(hexes(rec.frames)).toEqual(expected);
          expect(reader.stats).toEqual({ frames: frames.length, invalid: 0, garbageBytes: 0, buffered: 0 });
        }),
        { numRuns: 300 },
      );
    });

    it('random chunkings of a stream that ends inside a frame: the rest is held, then end() reports it', () => {
      fc.assert(
        fc.property(
          fc.array(fc.nat({ max: stream.length }), { maxLength: 50 }),
          fc.integer({ min: 1, max: 29 }),
          (cuts, cutOff) => {
            const last = frames[frames.length - 1] as Buffer;
            const truncated = stream.subarray(0, stream.length - cutOff);
            const rec = new Recorder();
            const reader = feed(chunked(truncated, cuts), rec);
            expect(hexes(rec.frames)).toEqual(hexes(frames.slice(0, -1)));
            expect(reader.stats.buffered).toBe(last.length - cutOff);
            reader.end();
            expect(reader.stats.buffered).toBe(0);
            expect(hexes(rec.frames)).toEqual(hexes(frames.slice(0, -1)));
            const held = last.subarray(0, last.length - cutOff);
            if (held.length >= 26) {
              // A readable header: the cut frame is evidence of a length mismatch, then rescanned.
              expect(rec.invalids.map((e) => e.code)).toEqual(['length-mismatch']);
              expect(rec.invalids[0]?.bytes.toString('hex')).toBe(held.toString('hex'));
              expect(rec.garbageBytes.toString('hex')).toBe(held.subarray(1).toString('hex'));
            } else {
              expect(rec.invalids).toEqual([]);
              expect(rec.garbageBytes.toString('hex')).toBe(held.toString('hex'));
            }
            expect(accounted(rec, reader)).toBe(truncated.length);
          },
        ),
        { numRuns: 100 },
      );
    });
  });

  describe('garbage between frames', () => {
    it('is skipped and counted exactly, whatever the chunking (fast-check)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(junk(300), fc.nat({ max: frames.length - 1 })), { minLength: 1, maxLength: 12 }),
          junk(300),
          fc.array(fc.nat({ max: 1 << 16 }), { maxLength: 40 }),
          (pieces, tail, rawCuts) => {
            const expectedFrames = pieces.map(([, k]) => frames[k] as Buffer);
            const expectedJunk = Buffer.concat([...pieces.map(([g]) => g), tail]);
            const data = Buffer.concat([...pieces.flatMap(([g, k]) => [g, frames[k] as Buffer]), tail]);
            const rec = new Recorder();
            const reader = feed(
              chunked(
                data,
                rawCuts.map((c) => c % (data.length + 1)),
              ),
              rec,
            );
            expect(hexes(rec.frames)).toEqual(hexes(expectedFrames));
            expect(rec.garbageBytes.toString('hex')).toBe(expectedJunk.toString('hex'));
            expect(reader.stats).toEqual({
              frames: expectedFrames.length,
              invalid: 0,
              garbageBytes: expectedJunk.length,
              buffered: 0,
            });
          },
        ),
        { numRuns: 300 },
      );
    });

    it('an "@" followed by anything but "@" is garbage, also when split right after it; a final "@" waits', () => {
      const data = Buffer.concat([FM2, Buffer.from('@z'), FM4, Buffer.from('@x@y'), FM2, Buffer.from('@')]);
      for (let cut = 0; cut <= data.length; cut++) {
        const rec = new Recorder();
        const reader = feed([data.subarray(0, cut), data.subarray(cut)], rec);
        expect(hexes(rec.frames)).toEqual(hexes([FM2, FM4, FM2]));
        expect(reader.stats.garbageBytes).toBe(6);
        expect(reader.stats.buffered).toBe(1); // the final '@' might start a frame
        reader.end();
        expect(rec.garbageBytes.toString()).toBe('@z@x@y@');
        expect(reader.stats).toEqual({ frames: 3, invalid: 0, garbageBytes: 7, buffered: 0 });
      }
    });
  });

  describe('resynchronisation', () => {
    it('a false "@@" whose length field is over 1024: one adu-too-long, then the real frame', () => {
      for (const aduLength of [1025, 0x2323, 0xffff]) {
        const bogus = falseStart(aduLength);
        const data = Buffer.concat([bogus, FM1, FM2]);
        for (let cut = 0; cut <= data.length; cut++) {
          const rec = new Recorder();
          const reader = feed([data.subarray(0, cut), data.subarray(cut)], rec);
          expect(rec.summary).toEqual(['invalid adu-too-long 26', 'garbage 25', 'frame 78', 'frame 30']);
          expect(rec.invalids[0]?.bytes.toString('hex')).toBe(bogus.toString('hex'));
          expect(rec.invalids[0]?.hex).toBe(bogus.toString('hex'));
          expect(hexes(rec.frames)).toEqual(hexes([FM1, FM2]));
          expect(reader.stats).toEqual({ frames: 2, invalid: 1, garbageBytes: 25, buffered: 0 });
        }
      }
    });

    it('a length field of exactly 1024 is plausible: the reader waits for 1054 bytes', () => {
      const rec = new Recorder();
      const reader = feed([falseStart(1024), FM1], rec);
      expect(rec.events).toEqual([]);
      expect(reader.stats.buffered).toBe(26 + FM1.length);
    });

    it('a false "@@" with a plausible length but no "##" there: bad-end, and the frame behind it comes out', () => {
      // The false candidate is 26 + 14 = 40 bytes: it ends inside FM-1, where there is no "##".
      const bogus = falseStart(10);
      const data = Buffer.concat([FM2, bogus, FM1, FM4]);
      for (let cut = 0; cut <= data.length; cut++) {
        const rec = new Recorder();
        const reader = feed([data.subarray(0, cut), data.subarray(cut)], rec);
        expect(rec.summary).toEqual(['frame 30', 'invalid bad-end 40', 'garbage 25', 'frame 78', 'frame 39']);
        expect(rec.invalids[0]?.bytes.toString('hex')).toBe(
          Buffer.concat([bogus, FM1.subarray(0, 14)]).toString('hex'),
        );
        expect(rec.garbageBytes.toString('hex')).toBe(bogus.subarray(1).toString('hex'));
        expect(hexes(rec.frames)).toEqual(hexes([FM2, FM1, FM4]));
        expect(reader.stats).toEqual({ frames: 3, invalid: 1, garbageBytes: 25, buffered: 0 });
      }
    });

    it('an "@" right before a frame makes a false "@@" overlapping the real one: the frame is still found', () => {
      const data = Buffer.concat([Buffer.from('@'), FM1, FM2]);
      const rec = new Recorder();
      const reader = feed([data], rec);
      // "@@" at 0 reads FM-1's bytes 23..24 (00 30) as its length: 0x3000, too long; FM-1 starts at the next byte.
      expect(rec.summary).toEqual(['invalid adu-too-long 26', 'frame 78', 'frame 30']);
      expect(reader.stats).toEqual({ frames: 2, invalid: 1, garbageBytes: 0, buffered: 0 });
    });

    it('a corrupted checksum: bad-checksum, the candidate consumed whole, the next frame fine', () => {
      for (const delta of [1, 0x80, 0xff]) {
        const broken = Buffer.from(FM1);
        broken[broken.length - 3] = ((broken[broken.length - 3] as number) + delta) & 0xff;
        const data = Buffer.concat([FM2, broken, FM4, FM2]);
        for (let cut = 0; cut <= data.length; cut++) {
          const rec = new Recorder();
          const reader = feed([data.subarray(0, cut), data.subarray(cut)], rec);
          expect(rec.summary).toEqual(['frame 30', 'invalid bad-checksum 78', 'frame 39', 'frame 30']);
          expect(rec.invalids[0]?.bytes.toString('hex')).toBe(broken.toString('hex'));
          expect(rec.invalids[0]?.hex).toBe(broken.toString('hex'));
          expect(reader.stats).toEqual({ frames: 3, invalid: 1, garbageBytes: 0, buffered: 0 });
        }
      }
    });

    it('a bad-checksum candidate is consumed whole, even when a valid frame lies inside its ADU', () => {
      const outer = Buffer.from(opaque(FM2)); // its ADU is 0xC8 followed by the 30 bytes of FM-2
      outer[outer.length - 3] = ((outer[outer.length - 3] as number) + 1) & 0xff;
      const rec = new Recorder();
      const reader = feed([outer, FM4], rec);
      expect(rec.summary).toEqual([`invalid bad-checksum ${outer.length}`, 'frame 39']);
      expect(reader.stats).toEqual({ frames: 1, invalid: 1, garbageBytes: 0, buffered: 0 });
    });

    it('a body byte flipped (checksum now wrong) is bad-checksum, not a frame', () => {
      const broken = Buffer.from(FM1);
      broken[40] = (broken[40] as number) ^ 0x01;
      expect(frameChecksum(broken, 0, 48)).not.toBe(broken[75]);
      const rec = new Recorder();
      feed([broken, FM2], rec);
      expect(rec.summary).toEqual(['invalid bad-checksum 78', 'frame 30']);
    });

    it('stall: a false "@@" with length 1000, a real frame, then silence: nothing until resync()', () => {
      const bogus = falseStart(1000);
      const data = Buffer.concat([bogus, FM1]);
      for (let cut = 0; cut <= data.length; cut++) {
        const rec = new Recorder();
        const reader = feed([data.subarray(0, cut), data.subarray(cut)], rec);
        expect(rec.events).toEqual([]);
        expect(reader.stats).toEqual({ frames: 0, invalid: 0, garbageBytes: 0, buffered: data.length });

        reader.resync();
        expect(rec.summary).toEqual([`invalid length-mismatch ${data.length}`, 'garbage 25', 'frame 78']);
        expect(rec.invalids[0]?.bytes.toString('hex')).toBe(data.toString('hex'));
        expect(hexes(rec.frames)).toEqual(hexes([FM1]));
        expect(reader.stats).toEqual({ frames: 1, invalid: 1, garbageBytes: 25, buffered: 0 });

        reader.resync(); // nothing held: a no-op
        reader.end();
        expect(rec.events).toHaveLength(3);
        expect(reader.stats.buffered).toBe(0);
      }
    });

    it('stall then resync with a partial frame behind: the rest stays held, end() empties the reader', () => {
      const bogus = falseStart(1000);
      const partial = FM1.subarray(0, 50);
      const rec = new Recorder();
      const reader = feed([bogus, FM2, partial], rec);
      expect(reader.stats.buffered).toBe(26 + 30 + 50);
      reader.resync();
      expect(rec.summary).toEqual(['invalid length-mismatch 106', 'garbage 25', 'frame 30']);
      expect(reader.stats.buffered).toBe(50);
      reader.end();
      expect(rec.summary).toEqual([
        'invalid length-mismatch 106',
        'garbage 25',
        'frame 30',
        'invalid length-mismatch 50',
        'garbage 49',
      ]);
      expect(reader.stats).toEqual({ frames: 1, invalid: 2, garbageBytes: 74, buffered: 0 });
      expect(accounted(rec, reader)).toBe(26 + 30 + 50);

      // The reader is usable again afterwards.
      reader.push(FM4);
      expect(hexes(rec.frames)).toEqual(hexes([FM2, FM4]));
    });

    it('end() on a short held start ("@@" and less than a header) reports it as garbage', () => {
      const rec = new Recorder();
      const reader = feed([FM2, FM1.subarray(0, 20)], rec);
      expect(reader.stats.buffered).toBe(20);
      reader.end();
      expect(rec.summary).toEqual(['frame 30', 'garbage 1', 'garbage 19']);
      expect(reader.stats).toEqual({ frames: 1, invalid: 0, garbageBytes: 20, buffered: 0 });
    });

    it('without resync, a stalled false start is decided once its 1030 bytes are in, and the frames behind it come out', () => {
      const bogus = falseStart(1000);
      const behind: Buffer[] = [];
      for (let i = 0; behind.reduce((n, f) => n + f.length, 0) < 1200; i++)
        behind.push(golden[i % golden.length] as Buffer);
      const data = Buffer.concat([bogus, ...behind]);
      expect(data.subarray(1028, 1030).toString()).not.toBe('##'); // else it would be a bad-checksum candidate
      fc.assert(
        fc.property(fc.array(fc.nat({ max: data.length }), { maxLength: 30 }), (cuts) => {
          const rec = new Recorder();
          const reader = feed(chunked(data, cuts), rec);
          expect(rec.summary.slice(0, 2)).toEqual(['invalid bad-end 1030', 'garbage 25']);
          expect(hexes(rec.frames)).toEqual(hexes(behind));
          expect(reader.stats).toEqual({ frames: behind.length, invalid: 1, garbageBytes: 25, buffered: 0 });
        }),
        { numRuns: 100 },
      );
    });

    it('every byte is accounted for in a stream of frames, broken frames and junk (fast-check)', () => {
      const piece = fc.oneof(
        fc.nat({ max: frames.length - 1 }).map((k) => frames[k] as Buffer),
        fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a)),
        fc.constantFrom(Buffer.from('@@'), Buffer.from('@'), falseStart(1025), falseStart(4), falseStart(900)),
        fc.tuple(fc.nat({ max: frames.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([k, at, x]) => {
          const f = Buffer.from(frames[k] as Buffer);
          const p = at % f.length;
          f[p] = ((f[p] as number) + x) & 0xff;
          return f;
        }),
      );
      fc.assert(
        fc.property(
          fc.array(piece, { maxLength: 30 }),
          fc.array(fc.nat({ max: 1 << 16 }), { maxLength: 30 }),
          (pieces, rawCuts) => {
            const data = Buffer.concat(pieces);
            const rec = new Recorder();
            const reader = feed(
              chunked(
                data,
                rawCuts.map((c) => c % (data.length + 1)),
              ),
              rec,
            );
            expect(accounted(rec, reader)).toBe(data.length);
            reader.end();
            expect(reader.stats.buffered).toBe(0);
            expect(accounted(rec, reader)).toBe(data.length);
            for (const f of rec.frames) expect(checkFraming(f)).toBeNull();
            for (const e of rec.invalids) expect(e.hex).toBe(e.bytes.toString('hex'));
            expect(reader.stats.frames).toBe(rec.frames.length);
            expect(reader.stats.invalid).toBe(rec.invalids.length);
            expect(reader.stats.garbageBytes).toBe(rec.garbageBytes.length);
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('bounded memory', () => {
    const MB = 1 << 20;

    /** Pushes `data` in chunks of random size, tracking the most ever buffered and the time taken. */
    function pushAll(data: Buffer, seed: number, maxChunk: number) {
      const rnd = prng(seed);
      let consumed = 0;
      const reader = new FrameReader({
        frame: (b) => void (consumed += b.length),
        invalid: (b, e) => void (consumed += e.code === 'bad-checksum' ? b.length : 1),
        garbage: () => undefined,
      });
      let maxBuffered = 0;
      const t0 = performance.now();
      for (let off = 0; off < data.length;) {
        const n = 1 + (rnd() % maxChunk);
        reader.push(data.subarray(off, off + n));
        off += n;
        maxBuffered = Math.max(maxBuffered, reader.stats.buffered);
      }
      reader.end();
      const ms = performance.now() - t0;
      // Every byte was reported exactly once: in a frame, as garbage, or as the start of an invalid.
      expect(consumed + reader.stats.garbageBytes).toBe(data.length);
      expect(reader.stats.buffered).toBe(0);
      return { stats: reader.stats, maxBuffered, ms };
    }

    function randomBytes(n: number, seed: number): Buffer {
      const rnd = prng(seed);
      const data = Buffer.alloc(n);
      for (let i = 0; i + 4 <= n; i += 4) data.writeUInt32LE(rnd(), i);
      return data;
    }

    function repeated(unit: readonly number[], n: number): Buffer {
      const data = Buffer.alloc(n);
      for (let i = 0; i < n; i++) data[i] = unit[i % unit.length] as number;
      return data;
    }

    it('4 MB of random junk, in random chunks of 1 byte … 64 KB and of 1 … 64 bytes', () => {
      const data = randomBytes(4 * MB, 1);
      for (const maxChunk of [65536, 64]) {
        const { maxBuffered, ms } = pushAll(data.subarray(0, maxChunk === 64 ? MB : data.length), 2, maxChunk);
        expect(maxBuffered).toBeLessThanOrEqual(MAX_FRAME_LENGTH);
        expect(ms).toBeLessThan(5000);
      }
    });

    it('2 MB of "@@" with a plausible length field (0x03ff) every 26 bytes: every candidate fails at the end', () => {
      // "@@" at 26k reads (FF, 03) at 26k+24 as its length, 1023: a 1053-byte candidate, never with "##" there.
      const unit = Array.from({ length: 26 }, (_, i) => (i < 2 ? 0x40 : i === 24 ? 0xff : i === 25 ? 0x03 : 0x00));
      const data = repeated(unit, 2 * MB);
      const { stats, maxBuffered, ms } = pushAll(data, 3, 3000);
      expect(maxBuffered).toBeLessThanOrEqual(MAX_FRAME_LENGTH);
      expect(stats.frames).toBe(0);
      expect(stats.invalid).toBe(Math.floor((data.length - 26) / 26) + 1); // every "@@" with a readable header
      expect(ms).toBeLessThan(5000);
    });

    it('512 KB of "@@" with a plausible length every 7 bytes (a 1053-byte invalid every 7 bytes)', () => {
      // Period 7: the "@@" at 7k reads bytes 7k+24, 7k+25 = (FF, 03) as its length.
      const data = repeated([0x40, 0x40, 0x00, 0xff, 0x03, 0x00, 0x00], MB / 2);
      const { stats, maxBuffered, ms } = pushAll(data, 4, 4096);
      expect(maxBuffered).toBeLessThanOrEqual(MAX_FRAME_LENGTH);
      expect(stats.frames).toBe(0);
      expect(stats.invalid).toBe(Math.floor((data.length - 26) / 7) + 1); // every "@@" with a readable header
      expect(ms).toBeLessThan(5000);
    });

    it('256 KB of "@": an adu-too-long per byte (0x4040 > 1024), the last 25 bytes garbage at end()', () => {
      const data = Buffer.alloc(MB / 4, 0x40);
      const { stats, maxBuffered, ms } = pushAll(data, 5, 3000);
      expect(maxBuffered).toBeLessThanOrEqual(MAX_FRAME_LENGTH);
      expect(stats).toEqual({ frames: 0, invalid: data.length - 25, garbageBytes: 25, buffered: 0 });
      expect(ms).toBeLessThan(5000);
    });

    it('a real frame after a megabyte of junk still comes out', () => {
      const rec = new Recorder();
      const reader = new FrameReader(rec);
      reader.push(randomBytes(MB, 6));
      reader.end(); // a false candidate at the very end may be waiting
      reader.push(FM1);
      expect(hexes(rec.frames)).toEqual(hexes([FM1]));
    });
  });

  describe('what the sink is handed stays valid', () => {
    it('frames assembled across pushes are not overwritten by later pushes', () => {
      // Each frame is split in the middle, so every one is assembled in the reader's work buffer.
      const rec = new Recorder();
      const reader = new FrameReader(rec);
      const order = [...frames, ...frames];
      let carry = Buffer.alloc(0);
      for (const f of order) {
        const half = f.length >> 1;
        reader.push(Buffer.concat([carry, f.subarray(0, half)]));
        carry = Buffer.from(f.subarray(half));
      }
      reader.push(carry);
      // Then more traffic that goes through the same buffers: junk, false starts, more frames.
      for (let i = 0; i < 50; i++) {
        reader.push(falseStart(900));
        reader.push(Buffer.from([0x40]));
        reader.push(FM1.subarray(0, 40));
        reader.resync();
        reader.end();
      }
      const got = rec.frames.slice(0, order.length);
      expect(hexes(got)).toEqual(hexes(order));
    });

    it('frames, invalid evidence and garbage from 1-byte pushes keep their bytes', () => {
      const bogus = falseStart(1025);
      const broken = Buffer.from(FM4);
      broken[30] = (broken[30] as number) ^ 0xff;
      const data = Buffer.concat([stream, Buffer.from('xyz@a'), bogus, FM2, broken, FM1, falseStart(8), FM2]);
      const once = new Recorder();
      feed([Buffer.from(data)], once);
      const expected = once.events.map((e) => `${e.kind} ${e.bytes.toString('hex')}`);

      const rec = new Recorder();
      const reader = new FrameReader(rec);
      for (let i = 0; i < data.length; i++) reader.push(Buffer.from(data.subarray(i, i + 1)));
      reader.end();
      const handed = rec.events.length;
      for (let i = 0; i < 2000; i++) reader.push(Buffer.from([0x40, 0x40, i & 0xff])); // churn
      reader.end();
      const got = rec.events.slice(0, handed).map((e) => `${e.kind} ${e.bytes.toString('hex')}`);
      // Garbage may be reported in different pieces byte by byte: compare it as one stream.
      const squash = (xs: string[]) =>
        xs.reduce<string[]>((out, x) => {
          const prev = out[out.length - 1];
          if (x.startsWith('garbage ') && prev?.startsWith('garbage ')) out[out.length - 1] = prev + x.slice(8);
          else out.push(x);
          return out;
        }, []);
      expect(squash(got)).toEqual(squash(expected));
    });
  });
});
