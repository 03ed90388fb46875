import { ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TOPIC_NAMES } from '@fireiot/events';

/**
 * librdkafka's mock Kafka cluster (`infra/kafka-mock`) as a child process: a real Kafka
 * wire-protocol peer for the Kafka adapter's tests. The C program is built on first use (and
 * whenever its source is newer than the binary); it needs `librdkafka-dev` and `gcc`.
 */
export interface MockKafkaCluster {
  /** `host:port` of every broker. */
  readonly brokers: string[];
  /** The prefix the registry topics were created with. */
  readonly topicPrefix: string;
  /**
   * Fault injection, e.g. `push-errors 11 42` (the next JoinGroup fails with INVALID_REQUEST),
   * `broker-down 2`; see infra/kafka-mock/kafka-mock-cluster.c. Resolves once applied.
   */
  command(line: string): Promise<void>;
  /** Kills the cluster (closes its stdin, then SIGKILL if it lingers). */
  stop(): Promise<void>;
}

export interface MockKafkaClusterOptions {
  /** Registry topics are created as `topicPrefix + name`. */
  topicPrefix: string;
  /** Default 3. */
  brokers?: number;
  /** Per topic; default 3. */
  partitions?: number;
  /** librdkafka's mock debug log on stderr (passed through to this process's stderr). */
  debug?: boolean;
}

const MOCK_DIR = resolve(__dirname, '../../../../infra/kafka-mock');
const SOURCE = join(MOCK_DIR, 'kafka-mock-cluster.c');
const BUILD_SCRIPT = join(MOCK_DIR, 'build.sh');
const BINARY = join(MOCK_DIR, '.build', 'kafka-mock-cluster');
const INSTALL_HINT = 'apt-get install -y librdkafka-dev gcc';

/** Builds the mock cluster unless an up-to-date binary exists; throws with the install hint. */
export function ensureMockKafkaClusterBuilt(): string {
  const builtAt = existsSync(BINARY) ? statSync(BINARY).mtimeMs : -1;
  const sourcesAt = Math.max(statSync(SOURCE).mtimeMs, statSync(BUILD_SCRIPT).mtimeMs);
  if (builtAt >= sourcesAt) return BINARY;
  if (!existsSync('/usr/include/librdkafka/rdkafka_mock.h')) {
    throw new Error(
      `The Kafka adapter's tests need librdkafka's mock cluster, and librdkafka-dev is not installed. ` +
        `Install it with: ${INSTALL_HINT}`,
    );
  }
  try {
    execFileSync('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    throw new Error(`Building ${SOURCE} failed (needs: ${INSTALL_HINT}):\n${stderr}`);
  }
  return BINARY;
}

/** Starts a mock cluster with every registry topic created under `topicPrefix`. */
export async function startMockKafkaCluster(options: MockKafkaClusterOptions): Promise<MockKafkaCluster> {
  const binary = ensureMockKafkaClusterBuilt();
  const args = [
    '--brokers',
    String(options.brokers ?? 3),
    '--partitions',
    String(options.partitions ?? 3),
    ...(options.debug ? ['--debug'] : []),
    ...TOPIC_NAMES.map((name) => options.topicPrefix + name),
  ];
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  if (options.debug) child.stderr.pipe(process.stderr);
  const lines = new LineReader(child);
  const brokers = await readBootstrapLine(child, lines);
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.on('error', () => undefined); // a failed kill of an exited process; `exited` covers the rest
  let commands = Promise.resolve();
  return {
    brokers,
    topicPrefix: options.topicPrefix,
    command(line: string) {
      const answered = commands.then(async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error('kafka-mock-cluster has exited');
        const answer = lines.next();
        child.stdin.write(`${line}\n`);
        let timer: NodeJS.Timeout | undefined;
        const reply = await Promise.race([
          answer,
          new Promise<string>(
            (resolveTimeout) => (timer = setTimeout(() => resolveTimeout('no answer in 5 s'), 5_000)),
          ),
        ]);
        clearTimeout(timer);
        if (reply !== 'ok') throw new Error(`kafka-mock-cluster: ${line}: ${reply}`);
      });
      commands = answered.catch(() => undefined);
      return answered;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The child's stdout, line by line. */
class LineReader {
  private buffer = '';
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string) => void)[] = [];

  constructor(child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString();
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline).trim();
        this.buffer = this.buffer.slice(newline + 1);
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      }
    });
  }

  next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolveLine) => this.waiters.push(resolveLine));
  }
}

function readBootstrapLine(child: ChildProcessWithoutNullStreams, lines: LineReader): Promise<string[]> {
  return new Promise((resolveLine, reject) => {
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`kafka-mock-cluster ${why}${stderr ? `; stderr:\n${stderr}` : ''} (needs: ${INSTALL_HINT})`));
    };
    const timer = setTimeout(() => fail('printed no bootstrap servers within 10 s'), 10_000);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) => fail(`could not be started: ${error.message}`));
    child.once('exit', (code, signal) => fail(`exited early (code ${String(code)}, signal ${String(signal)})`));
    void lines.next().then((line) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      resolveLine(line.split(','));
    });
  });
}
