import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { FuzzFailure, FuzzOptions, FuzzSummary } from './codec-fuzz.test-util';
import { MAX_FRAME_LENGTH } from './frame.codec';

/*
 * A seeded fuzz of the decoder, the encoder and the stream reader, two million inputs: random byte
 * strings, frames with sound framing and random contents, mutations of valid frames (see
 * codec-fuzz.test-util.ts). decodeFrame never throws and its errors are well formed; every success
 * re-encodes byte for byte from its JSON; a FrameReader fed everything never throws, holds at most
 * one maximum frame and accounts for every byte; the heap does not grow.
 *
 * The fuzz runs in child processes, not in this spec: jest runs a spec in a VM context where every
 * global lookup the library makes (Buffer, Number, JSON, …) costs ~0.4 µs. Processes, not worker
 * threads: a process can always be killed, so a hang fails this spec after HANG_MS instead of
 * keeping jest's process alive, and each gets --expose-gc and its own heap limit from the start.
 * The run is cut into shards (2, or GB26875_FUZZ_WORKERS if more) that run on
 * GB26875_FUZZ_WORKERS processes (default 2, or 1 on one core); the inputs depend on the seed,
 * the scale and the number of shards only.
 *
 * Reproduce a failure with the seed it prints:
 *   GB26875_FUZZ_SEED=<seed> npx jest -c protocols/gb26875/jest.config.js codec.fuzz
 * GB26875_FUZZ_SCALE multiplies the number of inputs. A long fuzz (100 million inputs, a new seed):
 *   GB26875_FUZZ_SCALE=50 GB26875_FUZZ_SEED=$RANDOM GB26875_FUZZ_VERBOSE=1 npx jest -c protocols/gb26875/jest.config.js codec.fuzz
 * GB26875_FUZZ_VERBOSE=1 prints the outcomes, the time of each phase and the heap.
 */
const SEED = Number(process.env['GB26875_FUZZ_SEED'] ?? 0x26875) >>> 0;
const SCALE = Number(process.env['GB26875_FUZZ_SCALE'] ?? 1);
/** Processes to run the shards on, in parallel. */
const WORKERS = Math.max(
  1,
  Math.floor(Number(process.env['GB26875_FUZZ_WORKERS'] ?? Math.min(2, availableParallelism()))) || 1,
);
/** Parts of the run, each from its own stretch of the PRNG's sequence. */
const SHARDS = Math.max(2, WORKERS);
const VERBOSE = Boolean(process.env['GB26875_FUZZ_VERBOSE']);
/** Past this a process is taken to hang, and killed. */
const HANG_MS = 60_000 * Math.max(1, SCALE);
/** The heap may hold this much more garbage at its fullest than at the start, and keep this much. */
const HEAP_PEAK_GROWTH = 64 * 2 ** 20;
const HEAP_RETAINED_GROWTH = 8 * 2 ** 20;
const MB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** Processes still running; killed after the tests (one may outlive another's failure). */
const running = new Set<ChildProcess>();

/**
 * Runs the shards one after the other in a new Node process, which compiles the TypeScript itself
 * (@swc-node/register, with the workspace tsconfig for the `@fireiot/*` paths) and sends back the
 * summaries.
 */
function runInProcess(shards: FuzzOptions[]): Promise<FuzzSummary[]> {
  return new Promise<FuzzSummary[]>((done, reject) => {
    const child = fork(resolve(__dirname, 'codec-fuzz.test-util.ts'), [JSON.stringify(shards)], {
      // --max-old-space-size: a hard bound besides the sampled one; a leak ends the process.
      execArgv: ['--expose-gc', '--max-old-space-size=512', '-r', require.resolve('@swc-node/register')],
      env: { ...process.env, SWC_NODE_PROJECT: resolve(__dirname, '../../../../tsconfig.base.json') },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    running.add(child);
    const what = `the fuzz process for shard(s) ${shards.map((o) => o.shard).join(', ')} (seed ${SEED})`;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() => reject(new Error(`${what} did not finish within ${HANG_MS / 1000} s: a hang? Killed.`)));
    }, HANG_MS);
    child.once('message', (summaries) => settle(() => done(summaries as FuzzSummary[])));
    child.once('error', (e) => {
      child.kill('SIGKILL');
      settle(() => reject(new Error(`${what} failed: ${e.stack ?? String(e)}`)));
    });
    child.once('close', (code, signal) => {
      running.delete(child);
      settle(() => reject(new Error(`${what} ended (code ${code}, signal ${signal}) without a summary`)));
    });
  });
}

const add = (a: Record<string, number>, b: Record<string, number>) => {
  const sum = { ...a };
  for (const [k, v] of Object.entries(b)) sum[k] = (sum[k] ?? 0) + v;
  return sum;
};

/** The shards' summaries as one (counts added up, maxima taken). */
function merge(parts: FuzzSummary[]): FuzzSummary {
  return parts.reduce((a, b) => ({
    ...a,
    planned: {
      random: a.planned.random + b.planned.random,
      framed: a.planned.framed + b.planned.framed,
      mutated: a.planned.mutated + b.planned.mutated,
      total: a.planned.total + b.planned.total,
    },
    inputs: a.inputs + b.inputs,
    ms: Math.max(a.ms, b.ms),
    decoded: add(a.decoded, b.decoded),
    outcomes: add(a.outcomes, b.outcomes),
    missingOutcomes: a.missingOutcomes.filter((c) => b.missingOutcomes.includes(c)),
    failureCount: a.failureCount + b.failureCount,
    problems: add(a.problems, b.problems),
    failures: [...a.failures, ...b.failures],
    reader: {
      stats: {
        frames: a.reader.stats.frames + b.reader.stats.frames,
        invalid: a.reader.stats.invalid + b.reader.stats.invalid,
        garbageBytes: a.reader.stats.garbageBytes + b.reader.stats.garbageBytes,
        buffered: a.reader.stats.buffered + b.reader.stats.buffered,
      },
      maxBuffered: Math.max(a.reader.maxBuffered, b.reader.maxBuffered),
      pushed: a.reader.pushed + b.reader.pushed,
      consumed: a.reader.consumed + b.reader.consumed,
    },
  }));
}

/** Fails the test with `what`, the seed to reproduce it with, and `details`. */
function expectThat(holds: boolean, what: string, details: () => unknown): void {
  if (holds) return; // the common case: nothing to report
  const more = details();
  throw new Error(
    `${what}\n` +
      `seed ${SEED}, scale ${SCALE}; reproduce with\n` +
      `  GB26875_FUZZ_SEED=${SEED} GB26875_FUZZ_SCALE=${SCALE}${SHARDS > 2 ? ` GB26875_FUZZ_WORKERS=${WORKERS}` : ''} ` +
      `npx jest -c protocols/gb26875/jest.config.js codec.fuzz\n` +
      (typeof more === 'string' ? more : JSON.stringify(more, null, 2)),
  );
}

function describeFailures(s: FuzzSummary): string {
  const shown = s.failures.slice(0, 5);
  return [
    `${s.failureCount} failure(s), by problem: ${JSON.stringify(s.problems, null, 2)}`,
    `the first ${shown.length}:`,
    ...shown.map(
      (f: FuzzFailure) =>
        `- ${f.phase} input #${f.index} (shard ${f.shard}): ${f.problem}\n  input: ${f.hex || '(none)'}`,
    ),
  ].join('\n');
}

describe(`codec fuzz (seed ${SEED})`, () => {
  let shards: FuzzSummary[] = [];
  let run: FuzzSummary;

  beforeAll(async () => {
    // Shard k runs in process k mod WORKERS, after the shards before it there.
    const perWorker = Array.from({ length: WORKERS }, () => [] as FuzzOptions[]);
    for (let shard = 0; shard < SHARDS; shard++) {
      perWorker[shard % WORKERS]?.push({ seed: SEED, scale: SCALE, shard, shards: SHARDS });
    }
    shards = (await Promise.all(perWorker.filter((s) => s.length > 0).map(runInProcess))).flat();
    run = merge(shards);
    if (VERBOSE) {
      console.log(
        JSON.stringify(
          {
            ...run,
            failures: run.failures.length,
            shards: shards.map(({ phases, heap, ms }) => ({ ms, phases, heap })),
          },
          null,
          1,
        ),
      );
    }
  }, HANG_MS + 10_000);

  afterAll(() => {
    for (const child of running) child.kill('SIGKILL');
  });

  it('runs every input', () => {
    expectThat(run.inputs === run.planned.total, `ran ${run.inputs} of ${run.planned.total} inputs`, () => run.planned);
  });

  it('decodeFrame never throws, its errors are well formed, every success re-encodes byte for byte from its JSON, and the FrameReader never throws nor hands over a frame with broken framing', () => {
    expectThat(run.failureCount === 0, `${run.failureCount} of ${run.inputs} inputs broke a property`, () =>
      describeFailures(run),
    );
  });

  it('reaches every outcome, success included', () => {
    expectThat(run.missingOutcomes.length === 0, `never reached ${run.missingOutcomes.join(', ')}`, () => run.outcomes);
  });

  it('keeps the FrameReader within one maximum frame, accounting for every byte', () => {
    const r = run.reader;
    expectThat(
      r.maxBuffered <= MAX_FRAME_LENGTH,
      `the reader buffered ${r.maxBuffered} bytes (> ${MAX_FRAME_LENGTH})`,
      () => r,
    );
    expectThat(
      r.consumed + r.stats.garbageBytes === r.pushed && r.stats.buffered === 0,
      `the reader accounted for ${r.consumed + r.stats.garbageBytes} of ${r.pushed} bytes and still holds ${r.stats.buffered}`,
      () => r,
    );
    expectThat(r.stats.frames > run.planned.framed / 2, `the reader found only ${r.stats.frames} frames`, () => r);
  });

  it('allocates within bounds', () => {
    for (const { shard, heap } of shards) {
      const peak = heap.maxBytes - heap.startBytes;
      const retained = heap.endBytes - heap.startBytes;
      expectThat(
        peak < HEAP_PEAK_GROWTH,
        `shard ${shard}: the heap grew by ${MB(peak)} at its fullest (limit ${MB(HEAP_PEAK_GROWTH)})`,
        () => heap,
      );
      expectThat(
        !heap.afterGc || retained < HEAP_RETAINED_GROWTH,
        `shard ${shard}: the heap kept ${MB(retained)} after the run (limit ${MB(HEAP_RETAINED_GROWTH)})`,
        () => heap,
      );
      const buffers = heap.maxArrayBuffersBytes - heap.startArrayBuffersBytes;
      expectThat(
        buffers < HEAP_PEAK_GROWTH,
        `shard ${shard}: buffers grew by ${MB(buffers)} (limit ${MB(HEAP_PEAK_GROWTH)})`,
        () => heap,
      );
    }
  });
});
