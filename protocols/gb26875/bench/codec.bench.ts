/*
 * GB/T 26875.3 codec benchmark: framing + checksum (FrameReader), full decode (decodeFrame) and
 * encode (encodeFrame) over a realistic traffic mix, single-threaded, fixed time per operation.
 *
 *   npm run bench                                   (all benches, via bench/run.js)
 *   node bench/run-ts.js protocols/gb26875/bench/codec.bench.ts [--frames=100000] [--seconds=2.5]
 *   node --cpu-prof bench/run-ts.js protocols/gb26875/bench/codec.bench.ts --only=decode
 *
 * Targets (issue): framing ≥ 1,000,000 frames/s, decode ≥ 300,000 frames/s, encode ≥ 300,000
 * frames/s, each on one core. Benchmarks print; a missed target does not fail the run. A failed
 * sanity check (wrong frame count, a frame that does not re-encode byte for byte) does.
 */
import { appendFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
// The bench measures the package as its consumers import it (and checks run-ts resolves the alias).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { decodeFrame, encodeFrame, type Frame, type FrameInput, FrameReader } from '@fireiot/gb26875';
import { mulberry32 } from '../src/lib/mulberry32.test-util';

// ---------------------------------------------------------------------------------------------
// Options

function option(name: string, dflt: number): number {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  const v = arg === undefined ? NaN : Number(arg.slice(name.length + 3));
  return Number.isFinite(v) && v > 0 ? v : dflt;
}
const onlyArg = process.argv.slice(2).find((a) => a.startsWith('--only='));
const ONLY = onlyArg === undefined ? null : onlyArg.slice('--only='.length).split(',');

/** Frames in the wire buffer (framing and decode run over all of them). */
const FRAME_COUNT = option('frames', 100_000);
/** Encode inputs are held as objects; a subset keeps the live heap realistic (decoded frames are ~1 KB each). */
const ENCODE_SET = Math.min(FRAME_COUNT, option('encode-set', 25_000));
/** Frames per decode or encode batch; a timed round runs whole batches. */
const BATCH = 5_000;
/** Chunks per framing batch (1 MiB, about 19k frames). */
const CHUNKS_PER_BATCH = 16;
const CHUNK_SIZE = 64 * 1024;
const MEASURE_MS = option('seconds', 2.5) * 1000;
const WARMUP_MS = option('warmup', 0.6) * 1000;
const MIN_ROUNDS = 5;
/** Each timed round repeats passes until it lasts at least this long (a pass can be ~30 ms). */
const ROUND_MS = 150;

// ---------------------------------------------------------------------------------------------
// GC access and observation (for stable heap numbers and GC time per operation)

let gc: (() => void) | null = null;
try {
  setFlagsFromString('--expose-gc');
  gc = runInNewContext('gc') as () => void;
} catch {
  gc = null;
}
/** GC pauses on the main thread, by start time (performance.now()); entries arrive asynchronously. */
const gcEntries: { start: number; duration: number }[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcEntries.push({ start: e.startTime, duration: e.duration });
});
gcObserver.observe({ entryTypes: ['gc'] });
const flushObservers = () => new Promise<void>((resolve) => setTimeout(resolve, 20));

// ---------------------------------------------------------------------------------------------
// The realistic mix, built with encodeFrame from hand-written value objects

/** Deterministic, so every run measures the same bytes. */
const next = mulberry32(26875);
const rnd = (): number => next() / 4294967296;
const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
const pad2 = (n: number) => String(n).padStart(2, '0');
const timeLabel = () =>
  `2025-${pad2(int(1, 12))}-${pad2(int(1, 28))}T${pad2(int(0, 23))}:${pad2(int(0, 59))}:${pad2(int(0, 59))}`;

const ASCII_DESCRIPTIONS = [
  'B1 pump room smoke 017',
  'Zone 3 L2 corridor',
  'Bldg A 5F east stair MCP',
  'Loop 2 pt 10',
  'Kitchen heat det 04',
  'Parking P2 beam 3',
];
/** At most 15 CJK characters: GB18030 spends two bytes on each and the field holds 31. */
const CHINESE_DESCRIPTIONS = [
  'Ａ区１层呷哺走廊',
  '3号楼2层走廊烟感',
  '地下车库B区手报',
  '1号楼消防泵房',
  '五层东侧楼梯间温感',
  '厨房可燃气体探测器',
  '配电室电气火灾监控',
];
const SYSTEM_TYPES = [1, 1, 1, 10, 11, 12];
const COMPONENT_TYPES = [40, 42, 23, 31, 11, 17];
const ANALOG_TYPES = [3, 4, 5, 6, 8, 9]; // temperature, pressure, gas concentration, voltage, current

type Kind = 'heartbeat' | 'component-state' | 'component-state-zh' | 'uitd-state' | 'analog';
const KINDS: readonly Kind[] = ['heartbeat', 'component-state', 'component-state-zh', 'uitd-state', 'analog'];

interface Device {
  source: number;
  destination: number;
  serial: number;
}
const devices: Device[] = Array.from({ length: 500 }, () => ({
  source: int(1, 0xffff_ffff) + int(0, 0xffff) * 0x1_0000_0000,
  destination: 88888,
  serial: int(0, 0xffff),
}));

function valueObject(kind: Kind): FrameInput {
  const d = pick(devices);
  d.serial = (d.serial + 1) & 0xffff;
  const header = {
    serial: d.serial,
    version: { major: 1, minor: 1 },
    sentAt: timeLabel(),
    source: { value: d.source },
    destination: { value: d.destination },
    command: 2,
  };
  const component = () => ({
    systemType: pick(SYSTEM_TYPES),
    systemAddress: int(1, 8),
    componentType: pick(COMPONENT_TYPES),
    componentAddress: { value: int(0, 0xffff) + int(0, 15) * 0x10000 },
  });
  switch (kind) {
    case 'heartbeat':
      return { ...header, adu: null };
    case 'component-state':
    case 'component-state-zh':
      return {
        ...header,
        adu: {
          type: 2,
          objects: [
            {
              ...component(),
              state: { raw: pick([0x0001, 0x0002, 0x0004, 0x0003, 0x0101]) },
              description: pick(kind === 'component-state' ? ASCII_DESCRIPTIONS : CHINESE_DESCRIPTIONS),
              occurredAt: timeLabel(),
            },
          ],
        },
      };
    case 'uitd-state':
      return {
        ...header,
        adu: { type: 21, objects: [{ state: { raw: pick([0x01, 0x01, 0x08, 0x20]) }, occurredAt: timeLabel() }] },
      };
    case 'analog':
      return {
        ...header,
        adu: {
          type: 3,
          objects: Array.from({ length: int(2, 4) }, () => ({
            ...component(),
            analogType: pick(ANALOG_TYPES),
            rawValue: int(-200, 3000),
            occurredAt: timeLabel(),
          })),
        },
      };
  }
}

function chooseKind(): Kind {
  const r = rnd();
  if (r < 0.3) return 'heartbeat';
  if (r < 0.5) return 'component-state';
  if (r < 0.65) return 'component-state-zh';
  if (r < 0.85) return 'uitd-state';
  return 'analog';
}

// ---------------------------------------------------------------------------------------------
// Measurement

interface PassResult {
  frames: number;
  bytes: number;
}

interface Measurement {
  name: string;
  target: number | null;
  rounds: number[]; // frames/s per round (wall clock)
  best: number;
  median: number;
  bestMBps: number; // of the round with the most bytes per second
  gcCount: number;
  gcMs: number;
  measuredMs: number;
  heapAfter: number;
  rssAfter: number;
}

const MB = 1024 * 1024;
const ms = (ns: bigint) => Number(ns) / 1e6;

async function measure(name: string, target: number | null, pass: () => PassResult): Promise<Measurement> {
  // Warm-up: at least one pass, then until WARMUP_MS, so the JIT has settled.
  pass();
  let spent = 0;
  let passMs = Infinity;
  while (spent < WARMUP_MS) {
    const t0 = process.hrtime.bigint();
    pass();
    const dt = ms(process.hrtime.bigint() - t0);
    spent += dt;
    passMs = Math.min(passMs, dt);
  }
  const passesPerRound = Math.max(1, Math.ceil(ROUND_MS / Math.max(passMs, 0.001)));
  gc?.();
  await flushObservers();
  const windowStart = performance.now();

  const rounds: number[] = [];
  let bestMBps = 0;
  let total = 0;
  while (total < MEASURE_MS || rounds.length < MIN_ROUNDS) {
    let frames = 0;
    let bytes = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < passesPerRound; i++) {
      const r = pass();
      frames += r.frames;
      bytes += r.bytes;
    }
    const dt = ms(process.hrtime.bigint() - t0);
    total += dt;
    rounds.push(frames / (dt / 1000));
    bestMBps = Math.max(bestMBps, bytes / MB / (dt / 1000));
  }
  const windowEnd = performance.now();
  await flushObservers();
  const inWindow = gcEntries.filter((e) => e.start >= windowStart && e.start < windowEnd);
  const gcCount = inWindow.length;
  const gcMs = inWindow.reduce((s, e) => s + e.duration, 0);
  const best = Math.max(...rounds);
  const median = medianOf(rounds);
  const mem = process.memoryUsage();
  return {
    name,
    target,
    rounds,
    best,
    median,
    bestMBps,
    gcCount,
    gcMs,
    measuredMs: total,
    heapAfter: mem.heapUsed,
    rssAfter: mem.rss,
  };
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return ((s[Math.floor((s.length - 1) / 2)] as number) + (s[Math.ceil((s.length - 1) / 2)] as number)) / 2;
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`sanity check failed: ${what}`);
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  gc?.();
  const mem0 = process.memoryUsage();

  // Build the wire buffer.
  const kinds: Kind[] = [];
  const parts: Buffer[] = [];
  const counts = new Map<Kind, number>(KINDS.map((k) => [k, 0]));
  const encodeValues: FrameInput[] = [];
  for (let i = 0; i < FRAME_COUNT; i++) {
    const kind = chooseKind();
    const input = valueObject(kind);
    const frame = encodeFrame(input);
    kinds.push(kind);
    parts.push(frame);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    if (i < ENCODE_SET) encodeValues.push(input);
  }
  const wire = Buffer.concat(parts);
  // Views into `wire`: decode reads what a FrameReader hands over (views of one big buffer).
  const frameViews: Buffer[] = [];
  for (let i = 0, off = 0; i < parts.length; i++) {
    const len = (parts[i] as Buffer).length;
    frameViews.push(wire.subarray(off, off + len));
    off += len;
  }
  parts.length = 0;
  const chunks: Buffer[] = [];
  for (let off = 0; off < wire.length; off += CHUNK_SIZE) chunks.push(wire.subarray(off, off + CHUNK_SIZE));

  const byKind = (k: Kind) => frameViews.filter((_, i) => kinds[i] === k);
  const sizeOf = (k: Kind) => {
    const fs = byKind(k);
    const lens = fs.map((f) => f.length);
    return fs.length === 0
      ? '-'
      : `${Math.min(...lens)}${Math.max(...lens) > Math.min(...lens) ? `–${Math.max(...lens)}` : ''} B`;
  };

  // Sanity: every frame decodes. Nothing decoded is kept until the decode measurements are done:
  // holding on to decoder output here would teach V8 to allocate it straight into old space
  // (allocation-site pretenuring), and the decode numbers would then measure that instead.
  let objectCount = 0;
  for (let i = 0; i < frameViews.length; i++) {
    const r = decodeFrame(frameViews[i] as Buffer);
    if (!r.ok)
      throw new Error(
        `sanity check failed: frame ${i} (${kinds[i]}) does not decode: ${r.error.code} ${r.error.message}`,
      );
    objectCount += r.frame.adu?.objects.length ?? 0;
  }
  const zh = decodeFrame(byKind('component-state-zh')[0] as Buffer);
  check(
    zh.ok &&
      zh.frame.adu !== null &&
      CHINESE_DESCRIPTIONS.includes((zh.frame.adu.objects[0] as { description: string }).description),
    'a Chinese GB18030 description decodes back to its text',
  );

  gc?.();
  const mem1 = process.memoryUsage();
  const setupMs = ms(process.hrtime.bigint() - started);

  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  console.log(`GB/T 26875.3 codec benchmark: node ${process.version}, ${cpu}, ${cpus().length} CPU(s); one thread`);
  console.log(
    `wire buffer: ${FRAME_COUNT.toLocaleString('en-US')} frames, ${(wire.length / MB).toFixed(2)} MB ` +
      `(avg ${(wire.length / FRAME_COUNT).toFixed(1)} B/frame, ${objectCount.toLocaleString('en-US')} ADU objects), ` +
      `pushed in ${chunks.length} chunks of ${CHUNK_SIZE / 1024} KiB`,
  );
  const pct = (k: Kind) => `${(((counts.get(k) ?? 0) / FRAME_COUNT) * 100).toFixed(1)}%`;
  console.log(
    `mix: heartbeat cmd 2 L=0 ${pct('heartbeat')} (${sizeOf('heartbeat')}), ` +
      `component state type 2 ${pct('component-state')} ASCII + ${pct('component-state-zh')} GB18030 Chinese (${sizeOf('component-state')}), ` +
      `UITD state type 21 ${pct('uitd-state')} (${sizeOf('uitd-state')}), ` +
      `analog type 3 ×2–4 ${pct('analog')} (${sizeOf('analog')})`,
  );
  console.log(
    `encode inputs: the first ${ENCODE_SET.toLocaleString('en-US')} frames (same mix), as decoded Frame objects and as hand-written value objects`,
  );
  console.log(
    `timing: ${WARMUP_MS / 1000} s warm-up, then ≥ ${MEASURE_MS / 1000} s of rounds ≥ ${ROUND_MS} ms each per operation; ` +
      `setup ${(setupMs / 1000).toFixed(1)} s${gc ? '' : ' (no gc(): heap figures include garbage)'}`,
  );
  console.log('');

  // --- operations ---
  const results: Measurement[] = [];
  let readerFound: number | null = null;
  const want = (key: string) => ONLY === null || ONLY.includes(key);

  // Every operation works in batches that cycle through its data set, so a timed round is a few
  // batches whatever the speed. The wire buffer ends on a frame boundary, so a reader that wraps
  // from the last chunk to the first sees one continuous stream.
  if (want('framing')) {
    let invalid = 0;
    let garbage = 0;
    let frames = 0;
    let bytes = 0;
    const sink = {
      frame(b: Buffer) {
        frames++;
        bytes += b.length;
      },
      invalid() {
        invalid++;
      },
      garbage() {
        garbage++;
      },
    };
    // Sanity, on one full pass with a fresh reader.
    const fresh = new FrameReader(sink);
    for (const c of chunks) fresh.push(c);
    check(frames === FRAME_COUNT, `the reader found ${frames} frames, expected ${FRAME_COUNT}`);
    check(bytes === wire.length, `the reader's frames cover ${bytes} bytes, expected ${wire.length}`);
    check(invalid === 0 && garbage === 0, `the reader reported ${invalid} invalid and ${garbage} garbage`);
    check(
      fresh.stats.buffered === 0 && fresh.stats.frames === FRAME_COUNT,
      'reader stats agree, nothing held at the end',
    );
    readerFound = frames;

    const reader = new FrameReader(sink);
    let next = 0;
    const m = await measure('framing + checksum (FrameReader, 64 KiB chunks)', 1_000_000, () => {
      frames = 0;
      bytes = 0;
      for (let k = 0; k < CHUNKS_PER_BATCH; k++) {
        reader.push(chunks[next] as Buffer);
        next = next + 1 === chunks.length ? 0 : next + 1;
      }
      return { frames, bytes };
    });
    check(invalid === 0 && garbage === 0, `the reader reported ${invalid} invalid and ${garbage} garbage while timed`);
    results.push(m);
  }

  if (want('decode')) {
    let next = 0;
    const m = await measure('decode (decodeFrame → Frame objects)', 300_000, () => {
      let ok = 0;
      let bytes = 0;
      for (let k = 0; k < BATCH; k++) {
        const f = frameViews[next] as Buffer;
        next = next + 1 === frameViews.length ? 0 : next + 1;
        if (decodeFrame(f).ok) ok++;
        bytes += f.length;
      }
      check(ok === BATCH, `decodeFrame refused ${BATCH - ok} of ${BATCH} frames`);
      return { frames: ok, bytes };
    });
    results.push(m);
  }

  if (want('pipeline')) {
    let decoded = 0;
    let refused = 0;
    const sink = {
      frame(b: Buffer) {
        if (decodeFrame(b).ok) decoded++;
        else refused++;
      },
      invalid() {
        refused++;
      },
      garbage() {
        refused++;
      },
    };
    const reader = new FrameReader(sink);
    let next = 0;
    const m = await measure('pipeline (FrameReader + decodeFrame), info', null, () => {
      decoded = 0;
      let bytes = 0;
      for (let k = 0; k < 4; k++) {
        const c = chunks[next] as Buffer;
        reader.push(c);
        bytes += c.length;
        next = next + 1 === chunks.length ? 0 : next + 1;
      }
      return { frames: decoded, bytes };
    });
    check(refused === 0, `the pipeline refused ${refused} frames`);
    results.push(m);
  }

  // Encode inputs: decoded Frames are kept only from here on (see the note on pretenuring above).
  // Sanity: each frame re-encodes byte for byte from its decoded object and from its value object.
  const encodeDecoded: Frame[] = [];
  for (let i = 0; i < ENCODE_SET; i++) {
    const bytes = frameViews[i] as Buffer;
    const r = decodeFrame(bytes);
    if (!r.ok) throw new Error(`sanity check failed: frame ${i} does not decode`);
    encodeDecoded.push(r.frame);
    check(
      encodeFrame(r.frame).equals(bytes),
      `frame ${i} (${kinds[i]}) re-encodes byte for byte from its decoded object`,
    );
    check(
      encodeFrame(encodeValues[i] as FrameInput).equals(bytes),
      `frame ${i} (${kinds[i]}) re-encodes from its value object`,
    );
  }
  if (want('encode')) {
    const encodeFrom = (inputs: readonly FrameInput[]) => {
      let next = 0;
      return () => {
        let bytes = 0;
        for (let k = 0; k < BATCH; k++) {
          bytes += encodeFrame(inputs[next] as FrameInput).length;
          next = next + 1 === inputs.length ? 0 : next + 1;
        }
        return { frames: BATCH, bytes };
      };
    };
    results.push(await measure('encode (encodeFrame ← value objects)', 300_000, encodeFrom(encodeValues)));
    results.push(await measure('encode (encodeFrame ← decoded Frames)', 300_000, encodeFrom(encodeDecoded)));
  }

  // --- report ---
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const rows: string[][] = [
    [
      'operation',
      'frames/s best',
      'median',
      'spread',
      'MB/s best',
      'target',
      'status',
      'rounds',
      'GC pauses',
      'heap / rss after',
    ],
  ];
  for (const m of results) {
    const min = Math.min(...m.rounds);
    rows.push([
      m.name,
      n(m.best),
      n(m.median),
      `${(((m.best - min) / m.best) * 100).toFixed(0)}%`,
      m.bestMBps.toFixed(1),
      m.target === null ? '-' : `≥ ${n(m.target)}`,
      m.target === null ? 'info' : m.best >= m.target ? 'PASS' : 'MISS',
      String(m.rounds.length),
      `${m.gcCount}× ${m.gcMs.toFixed(0)} ms = ${((m.gcMs / m.measuredMs) * 100).toFixed(0)}%`,
      `${(m.heapAfter / MB).toFixed(0)} / ${(m.rssAfter / MB).toFixed(0)} MB`,
    ]);
  }
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  const right = new Set([1, 2, 3, 4, 5, 7]);
  const line = (r: string[]) =>
    r
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c] as number) : cell.padEnd(widths[c] as number)))
      .join('  ');
  console.log(line(rows[0] as string[]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log(
    'frames/s = wall clock, best and median round; spread = (best − worst round) / best; PASS/MISS judged on the best round.\n' +
      'GC pauses = main-thread pauses in the timed window; heap / rss sampled right after the operation (before gc).',
  );

  gc?.();
  const mem2 = process.memoryUsage();
  const mb = (v: number) => `${(v / MB).toFixed(1)} MB`;
  console.log('');
  console.log(
    `memory: heap used ${mb(mem0.heapUsed)} at start → ${mb(mem1.heapUsed)} with the wire buffer and value objects → ${mb(mem2.heapUsed)} at the end` +
      ` (after gc, holding the decoded encode inputs); rss ${mb(mem0.rss)} → ${mb(mem1.rss)} → ${mb(mem2.rss)};` +
      ` peak rss ${mb(process.resourceUsage().maxRSS * 1024)}`,
  );
  console.log(
    `sanity: ${readerFound === null ? '' : `the reader found ${n(readerFound)} of ${n(FRAME_COUNT)} frames (0 invalid, 0 garbage); `}` +
      `all ${n(FRAME_COUNT)} frames decode; ${n(ENCODE_SET)} re-encode byte for byte from decoded and value objects; ` +
      `total ${(ms(process.hrtime.bigint() - started) / 1000).toFixed(1)} s`,
  );

  const report = process.env['FIREIOT_BENCH_REPORT'];
  if (report) {
    for (const m of results) {
      if (m.target === null) continue;
      appendFileSync(
        report,
        `${JSON.stringify({ name: m.name, value: m.best, unit: 'frames/s', target: m.target, pass: m.best >= m.target })}\n`,
      );
    }
  }
  gcObserver.disconnect();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
