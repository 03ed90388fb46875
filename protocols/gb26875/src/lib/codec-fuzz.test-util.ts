import extra from '../fixtures/gb26875-vectors.extra.json';
import publicVectors from '../fixtures/gb26875-vectors.public.json';
import { OBJECT_CODECS } from './adu-object.codec';
import {
  checkFraming,
  type DecodeResult,
  decodeFrame,
  encodeFrame,
  frameChecksum,
  type FrameInput,
  MAX_ADU_LENGTH,
  MAX_FRAME_LENGTH,
} from './frame.codec';
import { FrameReader, type FrameReaderStats } from './frame.reader';
import { mulberry32 } from './mulberry32.test-util';
import { GB26875_ERROR_CODES, Gb26875Error, type Gb26875ErrorCode } from './gb26875.error';

/*
 * The seeded fuzz of the decoder, the encoder and the stream reader behind codec.fuzz.spec.ts.
 *
 * A plain module, free of jest, so that the spec can run it in child processes: in jest's VM
 * context every global lookup the library makes (Buffer, Number, JSON, …) costs ~0.4 µs, which
 * made the same work about 1.7 times slower. It does not throw when a property fails: it counts,
 * and keeps the first failures as plain (JSON) data for the caller to assert on.
 *
 * Most of the time goes to the library itself: a failed decode builds an error carrying the hex of
 * the whole input (~1 µs for the Error, ~4 ns a byte for the hex), a success is decoded, turned to
 * JSON and back and encoded again (~45 µs). Inputs per phase are weighed accordingly.
 */

/** Inputs per phase at scale 1 (2,000,000 in all). */
export const FUZZ_INPUTS_PER_SCALE = { random: 1_700_000, framed: 40_000, mutated: 260_000 } as const;

/** Every outcome the fuzz must reach: success and each error code the decoder can return. */
/** Every decoder outcome; `invalid-value` is the encoder's alone. */
export const FUZZ_EXPECTED_OUTCOMES: ReadonlyArray<Gb26875ErrorCode | 'ok'> = [
  'ok',
  ...GB26875_ERROR_CODES.filter((code) => code !== 'invalid-value'),
];

/** Module-scoped, so the hot loops do not look it up on `Math`. */
const imul = Math.imul;

/**
 * mulberry32 (small, fast, the same sequence on every machine for a given seed), plus a pool of
 * its output that `fill` copies from at random offsets: filling byte by byte would dominate the run.
 */
export class Rng {
  private readonly next: () => number;
  private readonly pool: Buffer;
  private readonly poolBytes: Uint8Array;

  constructor(seed: number) {
    this.next = mulberry32(seed);
    this.pool = Buffer.alloc(1 << 22);
    for (let i = 0; i < this.pool.length; i += 4) this.pool.writeUInt32LE(this.u32(), i);
    this.poolBytes = new Uint8Array(this.pool.buffer, this.pool.byteOffset, this.pool.length);
  }

  u32(): number {
    return this.next();
  }

  /** 0 … n-1 */
  int(n: number): number {
    return this.u32() % n;
  }

  chance(p: number): boolean {
    return this.u32() < p * 0x1_0000_0000;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** `n` random bytes, as a view of the pool (do not write to it). */
  bytes(n: number): Buffer {
    const at = this.int(this.pool.length - n + 1);
    return this.pool.subarray(at, at + n);
  }

  fill(buf: Buffer, from = 0, to = buf.length): Buffer {
    if (to > from) {
      // TypedArray set from a plain Uint8Array view: cheaper than Buffer#copy for a few bytes.
      const at = this.int(this.pool.length - (to - from) + 1);
      buf.set(this.poolBytes.subarray(at, at + to - from), from);
    }
    return buf;
  }
}

interface Vector {
  hex: string;
  valid: boolean;
}

const CODES: ReadonlySet<string> = new Set(GB26875_ERROR_CODES);
const KNOWN_TYPES: readonly number[] = Object.keys(OBJECT_CODECS).map(Number);
const ALL_COMMANDS: readonly number[] = Array.from({ length: 256 }, (_, i) => i);
const golden: readonly Buffer[] = ([...publicVectors, ...extra] as Vector[])
  .filter((v) => v.valid)
  .map((v) => Buffer.from(v.hex, 'hex'));

/** Sets length field, checksum and end characters so the framing of `b` (≥ 30 bytes) is sound. */
function seal(b: Buffer): Buffer {
  const aduLength = b.length - 30;
  b.writeUInt16LE(aduLength, 24);
  b[b.length - 3] = frameChecksum(b, 0, aduLength);
  b[b.length - 2] = 0x23;
  b[b.length - 1] = 0x23;
  return b;
}

/** Where `randomFramed` shapes an ADU before copying it into the frame. */
const ADU_SCRATCH = Buffer.alloc(MAX_ADU_LENGTH);

/**
 * A frame with sound framing (start, length, checksum, end) and a random header, command, type
 * and body. Bodies are mostly shaped for the type (count × object size, with or without time
 * labels, length-prefixed descriptions) so the object decoders succeed as often as they fail.
 */
export function randomFramed(rng: Rng): Buffer {
  const adu = ADU_SCRATCH;
  let length = 0;
  if (!rng.chance(0.06)) {
    const type = rng.chance(0.8) ? rng.pick(KNOWN_TYPES) : rng.int(256);
    const codec = (OBJECT_CODECS as Partial<Record<number, (typeof OBJECT_CODECS)[1]>>)[type];
    const small = () => (rng.chance(0.995) ? rng.int(4) : rng.int(256));
    const text = (at: number, n: number) => {
      rng.fill(adu, at, at + n);
      if (rng.chance(0.5))
        for (let i = at; i < at + n; i++) adu[i] = 0x20 + ((adu[i] as number) % 0x60); // ASCII
      else if (rng.chance(0.3)) adu.fill(rng.pick([0x00, 0x20]), at + rng.int(n + 1), at + n); // padded
    };
    if (codec === undefined) {
      length = 1 + (rng.chance(0.9) ? rng.int(64) : rng.int(MAX_ADU_LENGTH));
      rng.fill(adu, 1, length);
    } else if (codec.bodySize !== null) {
      const unit = codec.timed && rng.chance(0.25) ? codec.bodySize : codec.bodySize + (codec.timed ? 6 : 0);
      const count = Math.min(small(), Math.floor((MAX_ADU_LENGTH - 2) / unit));
      length = 2 + count * unit;
      rng.fill(adu, 2, length);
      if (codec.bodySize >= 38) {
        // Types 2 and 7: the 31-byte description ends each object's body.
        for (let o = 2; o + unit <= length; o += unit) text(o + codec.bodySize - 31, 31);
      }
      adu[1] = count;
    } else {
      // Types 6 and 26: [sysType sysAddr] descLen desc.
      const head = type === 6 ? 2 : 0;
      const count = small();
      length = 2;
      let n = 0;
      for (; n < count; n++) {
        const descLength = rng.chance(0.9) ? rng.int(40) : rng.int(256);
        if (length + head + 1 + descLength > MAX_ADU_LENGTH) break;
        rng.fill(adu, length, length + head);
        adu[length + head] = descLength;
        text(length + head + 1, descLength);
        length += head + 1 + descLength;
      }
      adu[1] = n;
    }
    adu[0] = type;
    if (rng.chance(0.15)) {
      // Off by a little, or anything: truncated objects and trailing (zero) bytes.
      const shaped = length;
      length = rng.chance(0.7) ? length + rng.pick([-3, -2, -1, 1, 2, 3]) : rng.int(MAX_ADU_LENGTH + 1);
      length = Math.max(1, Math.min(MAX_ADU_LENGTH, length));
      if (length > shaped) adu.fill(0, shaped, length);
    }
    if (rng.chance(0.05)) adu[1] = rng.int(256);
  }
  const frame = Buffer.allocUnsafe(30 + length); // every byte is written below
  frame[0] = 0x40;
  frame[1] = 0x40;
  rng.fill(frame, 2, 24);
  frame[26] = rng.chance(0.6) ? 1 + rng.int(6) : rng.chance(0.5) ? 128 + rng.int(128) : rng.pick(ALL_COMMANDS);
  adu.copy(frame, 27, 0, length);
  return seal(frame);
}

/**
 * Where `mutate` builds its result: a frame (≤ 1054 bytes) plus at most five 64-byte insertions
 * fits in either. Reusing them spares an allocation and a copy per edit.
 */
const MUTATE_ROOM = 4096;
const MUTATE_SCRATCH = Buffer.allocUnsafe(MUTATE_ROOM);
const RESIZE_SCRATCH = Buffer.allocUnsafe(MUTATE_ROOM);

/**
 * A mutated copy of a valid frame. Half of the time the framing is sealed again afterwards
 * (length field, checksum, end), so the mutation gets past the framing checks to the ADU.
 *
 * The result is a view of a scratch buffer that the next call overwrites: copy it to keep it.
 */
export function mutate(rng: Rng, base: Buffer): Buffer {
  let b = MUTATE_SCRATCH;
  b.set(base);
  let n = base.length;
  let lengthEdit = -1;
  const ops = rng.chance(0.7) ? 1 : 2 + rng.int(4);
  for (let k = 0; k < ops; k++) {
    const p = rng.int(Math.max(1, n));
    switch (rng.int(8)) {
      case 0: // bit flip
        if (n > 0) b[p] = (b[p] as number) ^ (1 << rng.int(8));
        break;
      case 1: // byte replacement
        if (n > 0) b[p] = rng.chance(0.5) ? rng.int(256) : rng.pick([0x00, 0x01, 0x23, 0x40, 0x7f, 0x80, 0xff]);
        break;
      case 2: {
        // insertion
        const d = 1 + rng.int(rng.chance(0.8) ? 8 : 64);
        b.copyWithin(p + d, p, n);
        rng.fill(b, p, p + d);
        n += d;
        break;
      }
      case 3: {
        // deletion
        const end = Math.min(n, p + 1 + rng.int(rng.chance(0.8) ? 8 : 64));
        b.copyWithin(p, end, n);
        n -= end - p;
        break;
      }
      case 4: // truncation
        n = rng.int(n + 1);
        break;
      case 5: // length field
        if (n >= 26) {
          const was = b.readUInt16LE(24);
          lengthEdit = rng.chance(0.6)
            ? Math.max(0, was + rng.pick([-4, -3, -2, -1, 1, 2, 3, 4]))
            : rng.pick([0, 1, 2, rng.int(MAX_ADU_LENGTH + 1), 1024, 1025, 0x2323, 0x4040, 0xffff]);
          b.writeUInt16LE(lengthEdit & 0xffff, 24);
        }
        break;
      case 6: // the ADU's type flag or object count
        if (n > 29) {
          const at = 27 + rng.int(2);
          b[at] = rng.chance(0.5) ? rng.int(256) : ((b[at] as number) + rng.pick([-1, 1])) & 0xff;
        }
        break;
      default: // the command byte
        if (n > 26) b[26] = rng.chance(0.5) ? rng.int(256) : rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 127, 128, 255]);
    }
  }
  if (rng.chance(0.5)) {
    if (lengthEdit >= 0 && lengthEdit <= MAX_ADU_LENGTH && n >= 27) {
      // Keep the edited length: cut or extend the ADU to match it.
      const total = 30 + lengthEdit;
      rng.fill(RESIZE_SCRATCH, 0, total);
      b.copy(RESIZE_SCRATCH, 0, 0, Math.min(n - 3, total - 3));
      b = RESIZE_SCRATCH;
      n = total;
    }
    if (n >= 30 && n <= MAX_FRAME_LENGTH) seal(b.subarray(0, n));
  }
  return b.subarray(0, n);
}

// ---------------------------------------------------------------------------------------------
// The run

export interface FuzzOptions {
  seed: number;
  /** Multiplies FUZZ_INPUTS_PER_SCALE. */
  scale: number;
  /**
   * Splits the run into `shards` parts (default 1) and runs part `shard` (0-based) of each phase,
   * from its own stretch of the PRNG's sequence, so workers can share a run.
   */
  shard?: number;
  shards?: number;
  /** How many failures to keep in full; all of them are counted. Default 25. */
  maxFailures?: number;
  /** Inputs between two samples of the heap. Default 32768. */
  heapSampleEvery?: number;
}

/** One input for which a property did not hold. */
export interface FuzzFailure {
  /** The run's seed: the same seed, scale and shards give the same inputs. */
  seed: number;
  shard: number;
  phase: 'random' | 'framed' | 'mutated';
  /** The input's index within its phase. */
  index: number;
  /** What went wrong (for the reader, the input being pushed when it did). */
  problem: string;
  /** The input (or the bytes the reader handed over), hex. */
  hex: string;
}

export interface FuzzSummary {
  seed: number;
  scale: number;
  shard: number;
  shards: number;
  planned: { random: number; framed: number; mutated: number; total: number };
  /** Inputs checked. */
  inputs: number;
  /** Wall time of the run, ms. */
  ms: number;
  /** Each phase's inputs, wall time and CPU time (of the whole process, all threads). */
  phases: Record<string, { inputs: number; ms: number; cpuMs: number }>;
  /** Successful decodes, by phase. */
  decoded: Record<string, number>;
  /** decodeFrame's outcomes: 'ok' or an error code, with their counts (largest first). */
  outcomes: Record<string, number>;
  /** FUZZ_EXPECTED_OUTCOMES never reached. */
  missingOutcomes: string[];
  /** Every failure, kept or not. */
  failureCount: number;
  /** Failures by kind of problem (long hex runs elided), with their counts. */
  problems: Record<string, number>;
  /** The first `maxFailures` failures. */
  failures: FuzzFailure[];
  reader: {
    stats: FrameReaderStats;
    /** The most `stats.buffered` seen after any push. */
    maxBuffered: number;
    /** Bytes pushed. */
    pushed: number;
    /** Bytes the reader accounted for as frames or invalid candidates (its garbage is in `stats`). */
    consumed: number;
  };
  heap: {
    /** Whether start and end were measured after a full GC (--expose-gc could be set). */
    afterGc: boolean;
    /** heapUsed before the first input, and after the last (bytes). */
    startBytes: number;
    endBytes: number;
    /** The largest heapUsed and arrayBuffers sampled during the run (bytes). */
    maxBytes: number;
    maxArrayBuffersBytes: number;
    startArrayBuffersBytes: number;
    samples: number;
  };
}

/**
 * A full GC, when the process was started with --expose-gc (codec.fuzz.spec.ts starts it so);
 * null otherwise. Never set at run time with v8.setFlagsFromString: V8's flags are process-wide
 * and changing them in a running process is undefined behaviour.
 */
function exposedGc(): (() => void) | null {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as () => void) : null;
}

/**
 * Runs the fuzz: `scale` × 2,000,000 inputs (random byte strings, frames with sound framing and
 * random contents, mutations of valid frames) through decodeFrame, encodeFrame (every success,
 * via JSON) and one FrameReader (random chunking). Returns what it saw; never throws for a
 * property that fails.
 */
export function runFuzz(options: FuzzOptions): FuzzSummary {
  const seed = options.seed >>> 0;
  const scale = options.scale;
  const shards = Math.max(1, Math.floor(options.shards ?? 1));
  const shard = Math.min(shards - 1, Math.max(0, Math.floor(options.shard ?? 0)));
  const maxFailures = options.maxFailures ?? 25;
  const sampleMask = Math.max(1, 2 ** Math.round(Math.log2(options.heapSampleEvery ?? 32_768))) - 1;
  /** This shard's part of `perScale × scale` inputs (the parts add up to the whole). */
  const part = (perScale: number) => {
    const total = Math.round(perScale * scale);
    return Math.floor((total * (shard + 1)) / shards) - Math.floor((total * shard) / shards);
  };
  const planned = {
    random: part(FUZZ_INPUTS_PER_SCALE.random),
    framed: part(FUZZ_INPUTS_PER_SCALE.framed),
    mutated: part(FUZZ_INPUTS_PER_SCALE.mutated),
    total: 0,
  };
  planned.total = planned.random + planned.framed + planned.mutated;

  const t0 = performance.now();
  // mulberry32 walks one cycle of 2^32 states; a seed is a place on it. Shards start 2^32/shards
  // steps apart (each step adds 0x6d2b79f5), so their sequences cannot overlap within a run.
  const rng = new Rng(seed + imul(0x6d2b79f5, Math.floor(0x1_0000_0000 / shards) * shard));
  const failures: FuzzFailure[] = [];
  let failureCount = 0;
  const problems = new Map<string, number>();
  const outcomes = new Map<string, number>();
  const decoded = new Map<string, number>();
  let inputs = 0;

  const fail = (phase: FuzzFailure['phase'], index: number, problem: string, input: Uint8Array) => {
    failureCount++;
    const key = problem.replace(/[0-9a-f]{16,}/g, '…').slice(0, 120);
    problems.set(key, (problems.get(key) ?? 0) + 1);
    if (failures.length < maxFailures) {
      failures.push({ seed, shard, phase, index, problem, hex: Buffer.from(input).toString('hex') });
    }
  };

  // The heap: measured after a full GC before and after the run, sampled in between. The baseline
  // is taken after a warm-up, so it holds what the first decodes build once and keep (compiled
  // code, the GB18030 tables).
  for (const frame of golden) {
    try {
      const r = decodeFrame(frame);
      if (r.ok) encodeFrame(JSON.parse(JSON.stringify(r.frame)) as FrameInput);
    } catch {
      // Not this warm-up's business: vectors.spec.ts checks the vectors.
    }
  }
  const gc = exposedGc();
  gc?.();
  const start = process.memoryUsage();
  const heap = {
    afterGc: gc !== null,
    startBytes: start.heapUsed,
    endBytes: 0,
    maxBytes: start.heapUsed,
    maxArrayBuffersBytes: start.arrayBuffers,
    startArrayBuffersBytes: start.arrayBuffers,
    samples: 1,
  };
  const sampleHeap = () => {
    const m = process.memoryUsage();
    heap.samples++;
    if (m.heapUsed > heap.maxBytes) heap.maxBytes = m.heapUsed;
    if (m.arrayBuffers > heap.maxArrayBuffersBytes) heap.maxArrayBuffersBytes = m.arrayBuffers;
  };

  // One reader for the whole run: every input is also pushed to it, in 1–3 chunks.
  let phaseName: FuzzFailure['phase'] = 'random';
  let phaseIndex = 0;
  let consumed = 0;
  let pushed = 0;
  let maxBuffered = 0;
  let invalids = 0;
  const reader = new FrameReader({
    frame(bytes) {
      consumed += bytes.length;
      const e = checkFraming(bytes);
      if (e !== null) fail(phaseName, phaseIndex, `reader handed a frame that fails checkFraming: ${e.code}`, bytes);
    },
    invalid(bytes, error) {
      consumed += error.code === 'bad-checksum' ? bytes.length : 1;
      const hexOk =
        error.hex.length === bytes.length * 2 && (++invalids & 15 ? true : error.hex === bytes.toString('hex'));
      if (!(error instanceof Gb26875Error) || !CODES.has(error.code) || !hexOk) {
        fail(
          phaseName,
          phaseIndex,
          `reader reported invalid with code ${error.code}, hex ${error.hex.slice(0, 20)}…`,
          bytes,
        );
      }
    },
    garbage: () => undefined,
  });
  const feedReader = (input: Buffer, phase: FuzzFailure['phase'], index: number) => {
    phaseName = phase;
    phaseIndex = index;
    try {
      let off = 0;
      for (let pieces = 1 + rng.int(3); off < input.length; pieces--) {
        const n = pieces <= 1 ? input.length - off : rng.int(input.length - off + 1);
        reader.push(input.subarray(off, off + n));
        off += n;
        const buffered = reader.stats.buffered;
        if (buffered > maxBuffered) maxBuffered = buffered;
      }
      pushed += input.length;
      if (rng.int(2000) === 0) reader.resync();
    } catch (e) {
      fail(phase, index, `FrameReader threw ${String(e)}`, input);
    }
  };

  /** Checks one input; true when it decoded. */
  const check = (phase: FuzzFailure['phase'], index: number, input: Buffer): boolean => {
    if ((++inputs & sampleMask) === 0) sampleHeap();
    // Now and then a plain Uint8Array rather than a Buffer (and most inputs are views at an offset).
    const given: Uint8Array = (index & 63) === 0 ? new Uint8Array(input) : input;
    let r: DecodeResult;
    try {
      r = decodeFrame(given);
    } catch (e) {
      fail(phase, index, `decodeFrame threw ${String(e)}`, input);
      return false;
    }
    if (!r.ok) {
      const e = r.error;
      const code = e.code as string;
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      if (!(e instanceof Gb26875Error)) fail(phase, index, 'error is not a Gb26875Error', input);
      else if (!CODES.has(code)) fail(phase, index, `unknown error code ${code}`, input);
      else if (typeof e.hex !== 'string' || e.hex.length !== input.length * 2)
        fail(phase, index, `error hex has ${e.hex.length} digits, not ${input.length * 2}`, input);
      else if ((index & 15) === 0 && e.hex !== input.toString('hex'))
        fail(phase, index, 'error hex is not the input', input);
      else if (e.offset !== undefined && !(e.offset >= 0 && e.offset <= input.length))
        fail(phase, index, `error offset ${e.offset}`, input);
      return false;
    }
    outcomes.set('ok', (outcomes.get('ok') ?? 0) + 1);
    decoded.set(phase, (decoded.get(phase) ?? 0) + 1);
    let out: Buffer;
    try {
      out = encodeFrame(JSON.parse(JSON.stringify(r.frame)) as FrameInput);
    } catch (e) {
      const why = e instanceof Gb26875Error ? `${e.code}: ${e.message}` : String(e);
      fail(phase, index, `re-encoding the decoded JSON threw ${why}`, input);
      return true;
    }
    if (!out.equals(input)) fail(phase, index, `re-encoded to ${out.toString('hex')}`, input);
    return true;
  };

  // The decoder returns errors as values, one per bad input: capturing a stack trace for each
  // would take a good part of the run. Failures are reported by input instead.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const phases: FuzzSummary['phases'] = {};
  const phase = (name: FuzzFailure['phase'], count: number, one: (i: number) => void) => {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    for (let i = 0; i < count; i++) one(i);
    const used = process.cpuUsage(cpu);
    phases[name] = {
      inputs: count,
      ms: Math.round(performance.now() - wall),
      cpuMs: Math.round((used.user + used.system) / 1000),
    };
  };
  try {
    // 1. Purely random byte strings (views into the random pool, at odd offsets): seven in eight
    //    of 0–128 bytes, one in eight of up to 1100. The decoder puts the hex of the whole input
    //    in its error, so long ones, no more telling than short ones, are kept to a share.
    phase('random', planned.random, (i) => {
      const input = rng.bytes(rng.int(8) === 0 ? rng.int(1101) : rng.int(129));
      check('random', i, input);
      if ((i & 7) === 0) feedReader(input, 'random', i);
    });

    // 2. Random frames with sound framing: random command, type and body.
    const bases: Buffer[] = [...golden];
    phase('framed', planned.framed, (i) => {
      const input = randomFramed(rng);
      if (check('framed', i, input) && bases.length < 2000 && (i & 3) === 0) bases.push(input);
      feedReader(input, 'framed', i);
    });

    // 3. Mutations of valid frames (the golden vectors and decodable random frames).
    phase('mutated', planned.mutated, (i) => {
      const input = mutate(rng, rng.chance(0.3) ? rng.pick(golden) : rng.pick(bases));
      check('mutated', i, input);
      feedReader(input, 'mutated', i);
    });

    try {
      reader.end();
    } catch (e) {
      fail('mutated', planned.mutated, `FrameReader.end threw ${String(e)}`, new Uint8Array(0));
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  sampleHeap();
  const ms = performance.now() - t0;
  gc?.();
  heap.endBytes = process.memoryUsage().heapUsed;

  return {
    seed,
    scale,
    shard,
    shards,
    planned,
    inputs,
    ms: Math.round(ms),
    phases,
    decoded: Object.fromEntries(decoded),
    outcomes: Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])),
    missingOutcomes: FUZZ_EXPECTED_OUTCOMES.filter((c) => !outcomes.has(c)),
    failureCount,
    problems: Object.fromEntries(problems),
    failures,
    reader: { stats: reader.stats, maxBuffered, pushed, consumed },
    heap,
  };
}

/*
 * Run as a child process by codec.fuzz.spec.ts:
 *   node --expose-gc -r @swc-node/register codec-fuzz.test-util.ts '<FuzzOptions[] as JSON>'
 * fuzzes the shards one after the other and sends the summaries back over the IPC channel.
 */
if (require.main === module) {
  const shards = JSON.parse(process.argv[2] ?? '[]') as FuzzOptions[];
  const summaries = shards.map((options) => runFuzz(options));
  process.send?.(summaries, () => process.disconnect());
}
