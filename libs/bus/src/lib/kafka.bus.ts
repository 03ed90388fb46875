import { setTimeout as sleep } from 'node:timers/promises';
import { Logger, LoggerService } from '@nestjs/common';
import { isTopicName, Lane, parseTopicMessage, TopicMessage, TopicName, TOPICS } from '@fireiot/events';
import {
  Consumer,
  EachMessagePayload,
  Kafka,
  LogEntry,
  logLevel,
  PartitionAssigner,
  PartitionAssigners,
  PartitionMetadata,
  Partitioners,
  RetryOptions,
} from 'kafkajs';
import { BusError } from './bus.error';
import { BusHandler, BusStats, DeliveryMeta, EventBus, PartitionOwnership } from './event-bus.port';
import { LaneProducer } from './kafka-lane-producer';
import { parseWireMessage } from './wire-message';

export type KafkaClientLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export interface KafkaBusProducerOptions {
  /**
   * Idempotent producer: a retried produce request is not written twice. Default true. Needs a
   * broker that answers InitProducerId from its controller (librdkafka's mock cluster 2.0.2
   * reports controller id 0, which is no broker, so its tests set false). Retries stay bounded
   * (`KafkaBusOptions.retry`) so a publish fails with `broker-error` instead of hanging.
   */
  readonly idempotent?: boolean;
  /** How long a publish may wait for others to share its produce request. Default 0 (same turn). */
  readonly lingerMs?: number;
  /** Messages per produce request. Default 500. */
  readonly maxBatchMessages?: number;
  /** Broker-side limit for the acknowledgement by all in-sync replicas. Default 30 000 ms. */
  readonly ackTimeoutMs?: number;
  /** Default false: topics are created by the deployment, with their partition counts. */
  readonly allowAutoTopicCreation?: boolean;
}

export interface KafkaBusConsumerOptions {
  /** Default 30 000 ms. */
  readonly sessionTimeoutMs?: number;
  /** Default 3 000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** Default 60 000 ms. */
  readonly rebalanceTimeoutMs?: number;
  /** Longest wait of a fetch for new messages (a real broker answers as soon as some arrive). Default 5 000 ms. */
  readonly maxWaitTimeMs?: number;
  /** Partitions of one subscription handled concurrently (order stays per partition). Default 1. */
  readonly partitionsConsumedConcurrently?: number;
  /** Where a group without committed offsets starts: false = new messages only (default). */
  readonly fromBeginning?: boolean;
  /**
   * The group leader waits this long before sending the partition assignment. Default 0. A
   * workaround for librdkafka's mock cluster, which refuses a follower's SyncGroup that
   * arrives after the leader's; real brokers need none.
   */
  readonly leaderAssignmentDelayMs?: number;
  /** Handler invocations per message before it is skipped (counted, logged). Default 3. */
  readonly handlerAttempts?: number;
  /** Wait before the first handler retry; doubles per retry. Default 200 ms. */
  readonly handlerBackoffMs?: number;
  /** Default 5 000 ms. */
  readonly handlerMaxBackoffMs?: number;
  /** Default for `whenJoined`. Default 60 000 ms. */
  readonly joinTimeoutMs?: number;
}

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Prepended to every registry topic name (per environment, per test run). Default ''. */
  readonly topicPrefix?: string;
  /** Prepended to every consumer group id. Default: `topicPrefix`. */
  readonly groupPrefix?: string;
  /** Default: Nest `Logger` with this class's name. */
  readonly logger?: LoggerService;
  /** kafkajs's own messages routed to `logger` from this level up. Default 'warn'. */
  readonly clientLogLevel?: KafkaClientLogLevel;
  /** Default 3 000 ms. */
  readonly connectionTimeoutMs?: number;
  /** Default 30 000 ms. */
  readonly requestTimeoutMs?: number;
  /** Retries of failed connections and requests, producer included. Default: kafkajs's (5 retries from 300 ms). */
  readonly retry?: Pick<RetryOptions, 'retries' | 'initialRetryTime' | 'maxRetryTime' | 'factor' | 'multiplier'>;
  readonly producer?: KafkaBusProducerOptions;
  readonly consumer?: KafkaBusConsumerOptions;
}

export interface KafkaBusStats extends BusStats {
  /** Messages given up after `handlerAttempts` failed handler invocations (their offsets are committed). */
  skipped: number;
}

/** Where a subscription's consumer is on its way to receiving new messages. */
type JoinState = 'idle' | 'joining' | 'joined' | 'fetching' | 'steady';

interface Subscription {
  readonly topic: TopicName;
  readonly kafkaTopic: string;
  readonly groupId: string;
  readonly consumer: Consumer;
  readonly eachMessage: (payload: EachMessagePayload) => Promise<void>;
  state: JoinState;
  running?: Promise<void>;
  /** Restarts after crashes kafkajs does not recover from itself; reset by a join. */
  restarts: number;
  restartTimer?: NodeJS.Timeout;
  /** Partitions of `kafkaTopic` this consumer is assigned (set at each group join). */
  assigned: ReadonlySet<number>;
  /** Partitions of `kafkaTopic` (read once, at the first join). */
  partitions: number;
  readonly ownershipListeners: (() => void)[];
}

interface JoinWaiter {
  readonly resolve: () => void;
  readonly reject: (error: BusError) => void;
  readonly timer: NodeJS.Timeout;
}

type ResolvedConsumerOptions = Required<KafkaBusConsumerOptions>;

const LANES: readonly Lane[] = ['priority', 'bulk'];

/**
 * The distributed mode's bus, on Kafka (kafkajs). Topic = `topicPrefix` + registry name,
 * message key = device key, value = the message's JSON.
 *
 * - Publishing: one producer per lane, so a fire alarm never queues behind a telemetry batch;
 *   messages of one turn share a produce request; `publish` resolves once all in-sync replicas
 *   have acknowledged (acks = all). Keys are partitioned with murmur2 (Java-compatible).
 * - Consuming: one consumer (own connections, own fetch loop) per subscription, so a
 *   priority-lane topic is fetched and handled apart from bulk ones. Messages are validated on
 *   the way in; an invalid one is counted, logged and committed. A failing handler is retried
 *   with backoff, then the message is skipped and counted, so one bad message never blocks its
 *   partition.
 */
export class KafkaBus implements EventBus {
  readonly adapter = 'kafka' as const;
  private readonly logger: LoggerService;
  private readonly kafka: Kafka;
  private readonly topicPrefix: string;
  private readonly groupPrefix: string;
  private readonly consumerOptions: ResolvedConsumerOptions;
  private readonly restartBackoff: { readonly initialMs: number; readonly maxMs: number };
  private readonly lanes: Record<Lane, LaneProducer>;
  private readonly subscriptions: Subscription[] = [];
  private readonly joinWaiters: JoinWaiter[] = [];
  private readonly counters: KafkaBusStats = { published: 0, delivered: 0, rejected: 0, handlerErrors: 0, skipped: 0 };
  private starting?: Promise<void>;
  private started = false;
  private closing?: Promise<void>;
  private closed = false;

  constructor(options: KafkaBusOptions) {
    this.logger = options.logger ?? new Logger(KafkaBus.name);
    this.topicPrefix = options.topicPrefix ?? '';
    this.groupPrefix = options.groupPrefix ?? this.topicPrefix;
    const c = options.consumer ?? {};
    this.consumerOptions = {
      sessionTimeoutMs: c.sessionTimeoutMs ?? 30_000,
      heartbeatIntervalMs: c.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeoutMs: c.rebalanceTimeoutMs ?? 60_000,
      maxWaitTimeMs: c.maxWaitTimeMs ?? 5_000,
      partitionsConsumedConcurrently: c.partitionsConsumedConcurrently ?? 1,
      fromBeginning: c.fromBeginning ?? false,
      leaderAssignmentDelayMs: c.leaderAssignmentDelayMs ?? 0,
      handlerAttempts: Math.max(1, c.handlerAttempts ?? 3),
      handlerBackoffMs: c.handlerBackoffMs ?? 200,
      handlerMaxBackoffMs: c.handlerMaxBackoffMs ?? 5_000,
      joinTimeoutMs: c.joinTimeoutMs ?? 60_000,
    };
    const retry = { retries: 5, initialRetryTime: 300, maxRetryTime: 30_000, ...options.retry };
    this.restartBackoff = { initialMs: retry.initialRetryTime, maxMs: retry.maxRetryTime };
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      connectionTimeout: options.connectionTimeoutMs ?? 3_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      retry,
      logLevel: toKafkaLogLevel(options.clientLogLevel ?? 'warn'),
      logCreator: () => (entry) => this.logClientEntry(entry),
    });
    const p = options.producer ?? {};
    const laneOptions = {
      lingerMs: p.lingerMs ?? 0,
      maxBatchMessages: p.maxBatchMessages ?? 500,
      ackTimeoutMs: p.ackTimeoutMs ?? 30_000,
    };
    const producerFor = () =>
      new LaneProducer(
        this.kafka.producer({
          createPartitioner: Partitioners.DefaultPartitioner,
          idempotent: p.idempotent ?? true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: p.allowAutoTopicCreation ?? false,
        }),
        laneOptions,
        (what, error) => brokerError(what, error),
      );
    this.lanes = { priority: producerFor(), bulk: producerFor() };
  }

  /** Connects the producers and starts the consumers of subscriptions made before. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new BusError('closed', 'bus is closed'));
    this.starting ??= this.connect().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  async publish<T extends TopicName>(topic: T, key: string, message: TopicMessage<T>): Promise<void> {
    this.assertOpen(topic);
    const parsed = parseTopicMessage(topic, message);
    if (!parsed.ok) throw new BusError('invalid-message', `invalid ${topic} message: ${parsed.reason}`);
    await this.send(topic, key, JSON.stringify(parsed.message));
  }

  /** Puts bytes on a topic without validating them (tests of the consumer side). */
  async publishRaw(topic: TopicName, key: string, json: string): Promise<void> {
    this.assertOpen(topic);
    await this.send(topic, key, json);
  }

  async subscribe<T extends TopicName>(topic: T, group: string, handler: BusHandler<T>): Promise<void> {
    if (this.closed) throw new BusError('closed', 'bus is closed');
    if (!isTopicName(topic)) throw new BusError('unknown-topic', `unknown topic ${String(topic)}`);
    const groupId = this.groupPrefix + group;
    const o = this.consumerOptions;
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      rebalanceTimeout: o.rebalanceTimeoutMs,
      maxWaitTimeInMs: o.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      partitionAssigners: [delayedRoundRobin(o.leaderAssignmentDelayMs)],
      retry: { restartOnFailure: async () => !this.closed },
    });
    const subscription: Subscription = {
      topic,
      kafkaTopic: this.topicPrefix + topic,
      groupId,
      consumer,
      state: 'idle',
      restarts: 0,
      assigned: new Set(),
      partitions: 0,
      ownershipListeners: [],
      eachMessage: (payload) => this.consume(topic, groupId, handler, payload),
    };
    this.watch(subscription);
    this.subscriptions.push(subscription);
    if (!this.started) return;
    try {
      await this.startConsumer(subscription);
    } catch (error) {
      this.subscriptions.splice(this.subscriptions.indexOf(subscription), 1);
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Resolves once every subscription's consumer has joined its group, got its partitions and
   * fixed its start offsets, so a message published from now on reaches it. Rejects with
   * `broker-error` after `timeoutMs`.
   */
  whenJoined(timeoutMs = this.consumerOptions.joinTimeoutMs): Promise<void> {
    if (this.closed) return Promise.reject(new BusError('closed', 'bus is closed'));
    if (!this.started) return Promise.reject(new BusError('not-started', 'bus is not started'));
    if (this.allJoined()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: JoinWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.joinWaiters.splice(this.joinWaiters.indexOf(waiter), 1);
          const waiting = this.subscriptions.filter((s) => s.state !== 'steady').map((s) => `${s.groupId}: ${s.state}`);
          reject(new BusError('broker-error', `consumers did not join within ${timeoutMs} ms (${waiting.join(', ')})`));
        }, timeoutMs),
      };
      this.joinWaiters.push(waiter);
    });
  }

  /**
   * The keys this process consumes in `group`: those whose partition (kafkajs's default
   * partitioner, murmur2 of the key like the producers here) its consumer is assigned. Empty until
   * the consumer has joined; listeners hear of every new assignment.
   */
  ownership(topic: TopicName, group: string): PartitionOwnership {
    const groupId = this.groupPrefix + group;
    const s = this.subscriptions.find((x) => x.topic === topic && x.groupId === groupId);
    if (!s) throw new BusError('not-started', `no subscription of ${groupId} to ${topic}`);
    const partitioner = Partitioners.DefaultPartitioner();
    let metadata: PartitionMetadata[] = [];
    return {
      owns: (key) => {
        if (s.assigned.size === 0 || s.partitions === 0) return false;
        if (metadata.length !== s.partitions) {
          metadata = Array.from({ length: s.partitions }, (_, partitionId) => ({
            partitionErrorCode: 0,
            partitionId,
            leader: 0,
            replicas: [0],
            isr: [0],
          }));
        }
        return s.assigned.has(
          partitioner({ topic: s.kafkaTopic, partitionMetadata: metadata, message: { key, value: null } }),
        );
      },
      onChange: (listener) => void s.ownershipListeners.push(listener),
    };
  }

  stats(): KafkaBusStats {
    return { ...this.counters };
  }

  /** Flushes what was published, stops consuming after in-flight handlers, disconnects. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async connect(): Promise<void> {
    try {
      await Promise.all(LANES.map((lane) => this.lanes[lane].producer.connect()));
    } catch (error) {
      await Promise.all(LANES.map((lane) => this.lanes[lane].producer.disconnect().catch(() => undefined)));
      throw brokerError('connecting the producer', error);
    }
    this.started = true;
    await Promise.all(this.subscriptions.map((s) => this.startConsumer(s)));
  }

  private assertOpen(topic: TopicName): void {
    if (this.closed) throw new BusError('closed', 'bus is closed');
    if (!isTopicName(topic)) throw new BusError('unknown-topic', `unknown topic ${String(topic)}`);
    if (!this.started) throw new BusError('not-started', 'bus is not started');
  }

  private async send(topic: TopicName, key: string, json: string): Promise<void> {
    await this.lanes[TOPICS[topic].lane].send(this.topicPrefix + topic, { key, value: json });
    this.counters.published++;
  }

  private async startConsumer(s: Subscription): Promise<void> {
    try {
      await s.consumer.connect();
      await s.consumer.subscribe({ topics: [s.kafkaTopic], fromBeginning: this.consumerOptions.fromBeginning });
    } catch (error) {
      throw brokerError(`subscribing ${s.groupId} to ${s.kafkaTopic}`, error);
    }
    if (this.closed) {
      await s.consumer.disconnect().catch(() => undefined); // closed meanwhile
      return;
    }
    s.state = 'joining';
    // `run` resolves after the first join; joining is waited for with `whenJoined`, not here,
    // so that several members of a group subscribe at once and join in one rebalance.
    s.running = s.consumer
      .run({
        partitionsConsumedConcurrently: this.consumerOptions.partitionsConsumedConcurrently,
        eachMessage: s.eachMessage,
      })
      .catch((error: unknown) => {
        this.logger.error({
          msg: 'consumer failed to start',
          topic: s.topic,
          group: s.groupId,
          error: errorText(error),
        });
      });
  }

  /** Records a join's assignment (and, once, the topic's partition count), then tells the listeners. */
  private async assign(s: Subscription, partitions: readonly number[]): Promise<void> {
    try {
      if (s.partitions === 0) {
        const admin = this.kafka.admin();
        await admin.connect();
        try {
          const { topics } = await admin.fetchTopicMetadata({ topics: [s.kafkaTopic] });
          s.partitions = topics[0]?.partitions.length ?? 0;
        } finally {
          await admin.disconnect();
        }
      }
      s.assigned = new Set(partitions);
      for (const listener of s.ownershipListeners) listener();
    } catch (error) {
      this.logger.warn({ msg: 'partition assignment not recorded', group: s.groupId, error: String(error) });
    }
  }

  /** Tracks a consumer's way to `steady`: joined, then a fetch with its start offsets resolved. */
  private watch(s: Subscription): void {
    const { consumer } = s;
    const { GROUP_JOIN, FETCH_START, FETCH, REBALANCING, CRASH, STOP } = consumer.events;
    consumer.on(GROUP_JOIN, (event) => {
      s.restarts = 0;
      const assigned = Object.values(event.payload.memberAssignment).some((partitions) => partitions.length > 0);
      this.setState(s, assigned ? 'joined' : 'steady');
      void this.assign(s, event.payload.memberAssignment[s.kafkaTopic] ?? []);
    });
    consumer.on(FETCH_START, () => {
      if (s.state === 'joined') this.setState(s, 'fetching');
    });
    consumer.on(FETCH, () => {
      if (s.state === 'fetching') this.setState(s, 'steady');
    });
    consumer.on(REBALANCING, () => this.setState(s, 'joining'));
    consumer.on(CRASH, (event) => {
      this.setState(s, 'joining');
      const { restart, error } = event.payload;
      // kafkajs restarts itself after retriable errors; after others it has disconnected the
      // consumer for good, and the bus restarts it with backoff: a subscription never dies.
      const restartInMs = restart || this.closed ? undefined : this.scheduleRestart(s);
      this.logger.warn({
        msg: 'consumer crashed',
        topic: s.topic,
        group: s.groupId,
        error: errorText(error),
        restartInMs,
      });
    });
    consumer.on(STOP, () => this.setState(s, 'idle'));
  }

  private scheduleRestart(s: Subscription): number {
    const delayMs = Math.min(this.restartBackoff.maxMs, this.restartBackoff.initialMs * 2 ** s.restarts++);
    clearTimeout(s.restartTimer);
    s.restartTimer = setTimeout(() => {
      s.restartTimer = undefined;
      if (this.closed) return;
      this.startConsumer(s).catch((error: unknown) => {
        const restartInMs = this.closed ? undefined : this.scheduleRestart(s);
        this.logger.error({
          msg: 'consumer restart failed',
          topic: s.topic,
          group: s.groupId,
          error: errorText(error),
          restartInMs,
        });
      });
    }, delayMs);
    return delayMs;
  }

  private setState(s: Subscription, state: JoinState): void {
    s.state = state;
    if (state !== 'steady' || !this.allJoined()) return;
    for (const waiter of this.joinWaiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }

  private allJoined(): boolean {
    return this.subscriptions.every((s) => s.state === 'steady');
  }

  private async consume<T extends TopicName>(
    topic: T,
    group: string,
    handler: BusHandler<T>,
    payload: EachMessagePayload,
  ): Promise<void> {
    const { message, partition } = payload;
    const key = message.key?.toString('utf8') ?? '';
    const parsed = parseWireMessage(topic, message.value);
    if (!parsed.ok) {
      this.counters.rejected++;
      this.logger.warn({
        msg: 'rejected an invalid message',
        topic,
        group,
        key,
        partition,
        offset: message.offset,
        reason: parsed.reason,
      });
      return;
    }
    const meta: DeliveryMeta = { topic, key, partition, offset: message.offset };
    const o = this.consumerOptions;
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(parsed.message, meta);
        this.counters.delivered++;
        return;
      } catch (error) {
        this.counters.handlerErrors++;
        const where = { topic, group, key, partition, offset: message.offset, attempt, error: errorText(error) };
        if (attempt >= o.handlerAttempts) {
          this.counters.skipped++;
          this.logger.error({ msg: 'handler failed, message skipped', ...where });
          return;
        }
        const backoffMs = Math.min(o.handlerMaxBackoffMs, o.handlerBackoffMs * 2 ** (attempt - 1));
        this.logger.warn({ msg: 'handler failed, retrying', ...where, backoffMs });
        await sleep(backoffMs);
        // Keeps the group session alive; throws if the group is rebalancing (the message is
        // then left uncommitted for the partition's next owner).
        await payload.heartbeat();
      }
    }
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    for (const waiter of this.joinWaiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new BusError('closed', 'bus closed while waiting for consumers to join'));
    }
    await this.starting?.catch(() => undefined);
    await Promise.all(LANES.map((lane) => this.lanes[lane].drain()));
    await Promise.all(
      this.subscriptions.map(async (s) => {
        clearTimeout(s.restartTimer);
        try {
          await s.consumer.disconnect();
        } catch (error) {
          this.logger.warn({
            msg: 'consumer disconnect failed',
            topic: s.topic,
            group: s.groupId,
            error: errorText(error),
          });
        }
        await s.running;
      }),
    );
    await Promise.all(
      LANES.map(async (lane) => {
        try {
          await this.lanes[lane].producer.disconnect();
        } catch (error) {
          this.logger.warn({ msg: 'producer disconnect failed', lane, error: errorText(error) });
        }
      }),
    );
  }

  private logClientEntry({ namespace, level, log }: LogEntry): void {
    const { message, timestamp: _timestamp, ...details } = log;
    if (message === IDEMPOTENT_RETRIES_WARNING) return; // bounded retries are deliberate, see `idempotent`
    const entry = { msg: message, source: `kafkajs${namespace ? `.${namespace}` : ''}`, ...details };
    switch (level) {
      case logLevel.ERROR:
        this.logger.error(entry);
        return;
      case logLevel.WARN:
        this.logger.warn(entry);
        return;
      case logLevel.INFO:
        this.logger.log(entry);
        return;
      case logLevel.DEBUG:
        this.logger.debug?.(entry);
        return;
      case logLevel.NOTHING:
        return;
    }
  }
}

const IDEMPOTENT_RETRIES_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

/** kafkajs's round-robin assigner, optionally delayed on the leader (see `leaderAssignmentDelayMs`). */
function delayedRoundRobin(delayMs: number): PartitionAssigner {
  return (config) => {
    const inner = PartitionAssigners.roundRobin(config);
    if (delayMs <= 0) return inner;
    return {
      name: inner.name,
      version: inner.version,
      protocol: (subscription) => inner.protocol(subscription),
      assign: async (group) => {
        await sleep(delayMs);
        return inner.assign(group);
      },
    };
  };
}

function brokerError(what: string, error: unknown): BusError {
  if (error instanceof BusError) return error;
  return new BusError('broker-error', `${what} failed: ${errorText(error)}`, { cause: error });
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function toKafkaLogLevel(level: KafkaClientLogLevel): logLevel {
  switch (level) {
    case 'nothing':
      return logLevel.NOTHING;
    case 'error':
      return logLevel.ERROR;
    case 'warn':
      return logLevel.WARN;
    case 'info':
      return logLevel.INFO;
    case 'debug':
      return logLevel.DEBUG;
  }
}
