import { eventually } from '@fireiot/testing';
import { randomUUID } from 'node:crypto';
import { LoggerService } from '@nestjs/common';
import { DevicePresence, FrameReceived } from '@fireiot/events';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { describeBusContract, ownMessages, sampleFrame } from './bus-contract.test-util';
import { BusError } from './bus.error';
import { KafkaBus, KafkaBusOptions } from './kafka.bus';
import { MockKafkaCluster, startMockKafkaCluster } from './kafka-mock-cluster.test-util';

// A consumer group's first join waits librdkafka's mock's fixed 3 s initial rebalance delay.
jest.setTimeout(30_000);

const PARTITIONS = 3;

/** Keeps log entries for assertions; prints them with BUS_SPEC_LOGS=1. */
class CapturingLogger implements LoggerService {
  readonly entries: { level: string; entry: unknown }[] = [];
  log(entry: unknown): void {
    this.push('log', entry);
  }
  warn(entry: unknown): void {
    this.push('warn', entry);
  }
  error(entry: unknown): void {
    this.push('error', entry);
  }
  debug(entry: unknown): void {
    this.push('debug', entry);
  }
  private push(level: string, entry: unknown): void {
    this.entries.push({ level, entry });
    if (process.env['BUS_SPEC_LOGS']) console.log(level, JSON.stringify(entry));
  }
}

let cluster: MockKafkaCluster;
const topicPrefix = `t${randomUUID().slice(0, 8)}.`;

beforeAll(async () => {
  cluster = await startMockKafkaCluster({ topicPrefix, brokers: 3, partitions: PARTITIONS });
});
afterAll(async () => {
  await cluster?.stop();
});

/** Options for the mock cluster: short timeouts and the mock's quirks (see infra/kafka-mock/README.md). */
function testOptions(brokers: string[], logger: LoggerService = new CapturingLogger()): KafkaBusOptions {
  return {
    brokers,
    clientId: 'bus-spec',
    topicPrefix,
    logger,
    connectionTimeoutMs: 1_000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    producer: { idempotent: false },
    consumer: {
      // > the mock's 3 s initial rebalance delay, or members time out while they wait to join.
      sessionTimeoutMs: 5_000,
      heartbeatIntervalMs: 500,
      rebalanceTimeoutMs: 5_000,
      // The mock answers an empty fetch only after the full wait, so this is the delivery latency.
      maxWaitTimeMs: 50,
      leaderAssignmentDelayMs: 300,
      handlerBackoffMs: 20,
      joinTimeoutMs: 20_000,
    },
  };
}

async function startedBus(logger?: LoggerService): Promise<KafkaBus> {
  const bus = new KafkaBus(testOptions(cluster.brokers, logger));
  await bus.start();
  return bus;
}

function presence(gatewayId: string, deviceKey: string): DevicePresence {
  return { deviceKey, deviceId: null, event: 'heartbeat', at: '2026-11-22T03:00:00.000000Z', gatewayId };
}

describeBusContract(
  KafkaBus.name,
  async () => {
    const bus = await startedBus();
    return { bus, publishRaw: (topic, key, json) => bus.publishRaw(topic, key, json), ready: () => bus.whenJoined() };
  },
  { timeoutMs: 15_000 },
);

describe(KafkaBus.name, () => {
  it('writes the device key as message key and the JSON as value to the prefixed topic, one key to one partition', async () => {
    const run = randomUUID();
    const bus = await startedBus();
    // A plain kafkajs consumer reads the Kafka topic itself; only this test writes presence.
    const kafka = new Kafka({ clientId: 'bus-spec-raw', brokers: cluster.brokers, logLevel: logLevel.NOTHING });
    const raw = kafka.consumer({
      groupId: `raw-${run}`,
      sessionTimeout: 5_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 50,
    });
    const rawSeen: { key: string | undefined; value: unknown; partition: number }[] = [];
    const busSeen: { key: string; partition: number; deviceKey: string }[] = [];
    try {
      await raw.connect();
      await raw.subscribe({ topic: `${topicPrefix}fireiot.device.presence.v1`, fromBeginning: true });
      // Not awaited: `run` resolves after the join, and both groups can join at once.
      const rawRunning = raw.run({
        eachMessage: async ({ message, partition }) => {
          rawSeen.push({ key: message.key?.toString(), value: JSON.parse(String(message.value)), partition });
        },
      });
      await bus.subscribe('fireiot.device.presence.v1', `bus-${run}`, async (m, meta) => {
        if (m.gatewayId === run) busSeen.push({ key: meta.key, partition: meta.partition, deviceKey: m.deviceKey });
      });
      await bus.whenJoined();
      await rawRunning;

      const keys = Array.from({ length: 12 }, (_, i) => `uitd:${100 + i}`);
      for (let round = 0; round < 3; round++) {
        await Promise.all(keys.map((key) => bus.publish('fireiot.device.presence.v1', key, presence(run, key))));
      }
      await eventually(() => busSeen.length === 36 && rawSeen.length === 36, 'all 36 messages, twice');

      const partitioner = Partitioners.DefaultPartitioner();
      const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
        partitionId,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      const expected = (key: string) =>
        partitioner({
          topic: `${topicPrefix}fireiot.device.presence.v1`,
          partitionMetadata,
          message: { key, value: null },
        });
      for (const seen of rawSeen) {
        expect(seen.value).toEqual(presence(run, seen.key ?? ''));
        expect(seen.partition).toBe(expected(seen.key ?? ''));
      }
      for (const seen of busSeen) {
        expect(seen.key).toBe(seen.deviceKey);
        expect(seen.partition).toBe(expected(seen.key));
      }
      expect(new Set(busSeen.map((s) => s.partition)).size).toBeGreaterThan(1);
      expect(bus.stats()).toMatchObject({ published: 36, delivered: 36, rejected: 0 });
    } finally {
      await raw.disconnect();
      await bus.close();
    }
  });

  it('tells each member of a group which keys it owns: every key exactly once, where its messages go', async () => {
    const run = randomUUID();
    const group = `owners-${run}`;
    const [a, b] = [await startedBus(), await startedBus()];
    const seen = new Map<KafkaBus, string[]>([
      [a, []],
      [b, []],
    ]);
    try {
      for (const bus of [a, b]) {
        await bus.subscribe('fireiot.device.presence.v1', group, async (m) => {
          if (m.gatewayId === run) seen.get(bus)?.push(m.deviceKey);
        });
      }
      const [ownedByA, ownedByB] = [a, b].map((bus) => bus.ownership('fireiot.device.presence.v1', group));
      const changes: string[] = [];
      ownedByA?.onChange(() => changes.push('a'));
      await Promise.all([a.whenJoined(), b.whenJoined()]);
      const keys = Array.from({ length: 60 }, (_, i) => `uitd:${5000 + i}`);
      // Both members have their final assignment: every key is owned by exactly one of them.
      await eventually(
        () => keys.every((k) => Number(ownedByA?.owns(k)) + Number(ownedByB?.owns(k)) === 1),
        'each key owned once',
      );
      expect(keys.some((k) => ownedByA?.owns(k))).toBe(true);
      expect(keys.some((k) => ownedByB?.owns(k))).toBe(true);
      expect(changes.length).toBeGreaterThan(0);

      await Promise.all(keys.map((key) => a.publish('fireiot.device.presence.v1', key, presence(run, key))));
      await eventually(() => (seen.get(a)?.length ?? 0) + (seen.get(b)?.length ?? 0) === keys.length, 'all 60');
      expect(seen.get(a)?.every((k) => ownedByA?.owns(k))).toBe(true);
      expect(seen.get(b)?.every((k) => ownedByB?.owns(k))).toBe(true);
      expect(() => a.ownership('fireiot.device.presence.v1', 'nobody')).toThrow(BusError);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('retries a failing handler, then skips the message; rejects invalid ones; the partition goes on', async () => {
    const run = randomUUID();
    const logger = new CapturingLogger();
    const bus = await startedBus(logger);
    const handled: number[] = [];
    const calls = new Map<number, number>();
    try {
      await bus.subscribe(
        'fireiot.ingest.frames.v1',
        `retry-${run}`,
        ownMessages(run, async (m: FrameReceived) => {
          const n = m.frame.serial;
          calls.set(n, (calls.get(n) ?? 0) + 1);
          if (n === 1) throw new Error('always fails');
          if (n === 2 && calls.get(n) === 1) throw new Error('fails once');
          handled.push(n);
        }),
      );
      await bus.whenJoined();
      const before = bus.stats();
      const key = 'uitd:42';
      await bus.publish('fireiot.ingest.frames.v1', key, sampleFrame(run, key, 1));
      await bus.publishRaw('fireiot.ingest.frames.v1', key, '{"no":"frame"}');
      await bus.publish('fireiot.ingest.frames.v1', key, sampleFrame(run, key, 2));
      await bus.publish('fireiot.ingest.frames.v1', key, sampleFrame(run, key, 3));
      await eventually(() => handled.length === 2, 'the messages after the failing one');

      expect(handled).toEqual([2, 3]);
      expect(calls.get(1)).toBe(3);
      const after = bus.stats();
      expect(after.handlerErrors - before.handlerErrors).toBe(4); // 3 of message 1, 1 of message 2
      expect(after.skipped - before.skipped).toBe(1);
      expect(after.rejected - before.rejected).toBe(1);
      expect(logger.entries).toContainEqual({
        level: 'warn',
        entry: expect.objectContaining({
          msg: 'rejected an invalid message',
          topic: 'fireiot.ingest.frames.v1',
          key,
          reason: expect.stringContaining('rawId') as unknown,
        }) as unknown,
      });
      expect(logger.entries).toContainEqual({
        level: 'error',
        entry: expect.objectContaining({ msg: 'handler failed, message skipped', key, attempt: 3 }) as unknown,
      });
    } finally {
      await bus.close();
    }
  });

  it('starts subscriptions made before start(); close waits for the in-flight handler and flushes publishes', async () => {
    const run = randomUUID();
    const bus = new KafkaBus(testOptions(cluster.brokers));
    let handlerDone = false;
    let started: () => void = () => undefined;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    await bus.subscribe(
      'fireiot.ingest.fire-alarms.v1',
      `close-${run}`,
      ownMessages(run, async () => {
        started();
        await new Promise((resolve) => setTimeout(resolve, 300));
        handlerDone = true;
      }),
    );
    await bus.start();
    await bus.whenJoined();
    await bus.publish('fireiot.ingest.fire-alarms.v1', 'uitd:1', sampleFrame(run, 'uitd:1', 1, true));
    await handlerStarted;
    let lateAcked = false;
    const late = bus
      .publish('fireiot.ingest.frames.v1', 'uitd:1', sampleFrame(run, 'uitd:1', 2))
      .then(() => (lateAcked = true));
    await bus.close();
    expect(handlerDone).toBe(true);
    expect(lateAcked).toBe(true);
    await late;
    expect(bus.stats()).toMatchObject({ published: 2, delivered: 1 });
    await expect(bus.subscribe('fireiot.ingest.frames.v1', 'g', async () => undefined)).rejects.toMatchObject({
      code: 'closed',
    });
  });

  it('restarts a consumer that kafkajs gave up on after a non-retriable error', async () => {
    const run = randomUUID();
    const logger = new CapturingLogger();
    const bus = await startedBus(logger);
    const got: string[] = [];
    try {
      await cluster.command('push-errors 11 42'); // the next JoinGroup (11) fails: INVALID_REQUEST (42)
      await bus.subscribe('fireiot.ingest.fire-alarms.v1', `crash-${run}`, async (m) => {
        if (m.gatewayId === run) got.push(m.rawId);
      });
      await bus.whenJoined();
      await bus.publish('fireiot.ingest.fire-alarms.v1', 'uitd:9', sampleFrame(run, 'uitd:9', 0, true));
      await eventually(() => got.length === 1, 'the fire alarm');
      expect(logger.entries).toContainEqual({
        level: 'warn',
        entry: expect.objectContaining({ msg: 'consumer crashed', restartInMs: 100 }) as unknown,
      });
    } finally {
      await bus.close();
    }
  });

  it('refuses to publish before start, and unknown topics', async () => {
    const bus = new KafkaBus(testOptions(cluster.brokers));
    await expect(
      bus.publish('fireiot.ingest.frames.v1', 'uitd:1', sampleFrame('g', 'uitd:1', 1)),
    ).rejects.toMatchObject({ code: 'not-started' });
    await bus.start();
    await expect(bus.publishRaw('no.such.topic' as 'fireiot.ingest.frames.v1', 'k', '{}')).rejects.toMatchObject({
      code: 'unknown-topic',
    });
    await bus.close();
  });

  it('fails start with broker-error, in bounded time, when no broker is reachable', async () => {
    const bus = new KafkaBus(testOptions(['127.0.0.1:1']));
    const t0 = Date.now();
    const error = await bus.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BusError);
    expect(error).toMatchObject({ code: 'broker-error' });
    expect(Date.now() - t0).toBeLessThan(5_000);
    await bus.close();
  });

  it('fails publish with broker-error, in bounded time, when the cluster goes away', async () => {
    const own = await startMockKafkaCluster({ topicPrefix, brokers: 1, partitions: 1 });
    const bus = new KafkaBus(testOptions(own.brokers));
    try {
      await bus.start();
      await bus.publish('fireiot.ingest.fire-alarms.v1', 'uitd:1', sampleFrame('g', 'uitd:1', 1, true));
      await own.stop();
      const t0 = Date.now();
      await expect(
        bus.publish('fireiot.ingest.fire-alarms.v1', 'uitd:1', sampleFrame('g', 'uitd:1', 2, true)),
      ).rejects.toMatchObject({ code: 'broker-error' });
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await own.stop();
      await bus.close();
    }
  });
});
