import { Logger } from '@nestjs/common';
import { parseTopicMessage, TopicMessage, TopicName, TOPICS } from '@fireiot/events';
import { BusError } from './bus.error';
import { BusHandler, BusStats, DeliveryMeta, EventBus, PartitionOwnership } from './event-bus.port';
import { parseWireMessage } from './wire-message';

interface Envelope {
  key: string;
  /** Serialized as on a real bus, so consumers never share objects with producers. */
  json: string;
  offset: number;
}

interface Subscriber {
  handler: (message: unknown, meta: DeliveryMeta) => Promise<void>;
}

/** One consumer group of one topic: a queue and a round-robin over its subscribers by key. */
class GroupQueue {
  readonly subscribers: Subscriber[] = [];
  readonly queue: Envelope[] = [];
  head = 0;
  running = false;
  idle: Promise<void> = Promise.resolve();
  resolveIdle: () => void = () => undefined;
}

export interface InProcessBusOptions {
  /** Per group: queued messages at which `publish` starts waiting (backpressure). */
  readonly highWaterMark?: number;
}

/**
 * The embedded mode's bus: per topic and consumer group, a FIFO drained by an async loop.
 * Priority-lane topics are drained in the same turn they are published; bulk topics yield to
 * the event loop between batches, so a fire alarm is handled while a telemetry backlog waits.
 */
export class InProcessBus implements EventBus {
  readonly adapter = 'in-process' as const;
  private readonly logger = new Logger(InProcessBus.name);
  private readonly groups = new Map<TopicName, Map<string, GroupQueue>>();
  private readonly offsets = new Map<TopicName, number>();
  private readonly highWaterMark: number;
  private readonly waiters: (() => void)[] = [];
  private readonly counters: BusStats = { published: 0, delivered: 0, rejected: 0, handlerErrors: 0 };
  private closed = false;

  constructor(options: InProcessBusOptions = {}) {
    this.highWaterMark = options.highWaterMark ?? 100_000;
  }

  async start(): Promise<void> {
    // Nothing to connect to.
  }

  async publish<T extends TopicName>(topic: T, key: string, message: TopicMessage<T>): Promise<void> {
    if (this.closed) throw new BusError('closed', 'bus is closed');
    const parsed = parseTopicMessage(topic, message);
    if (!parsed.ok) throw new BusError('invalid-message', `invalid ${topic} message: ${parsed.reason}`);
    if (!this.groups.has(topic)) {
      // Nobody consumes this topic in this process: validated, counted, not serialized.
      this.counters.published++;
      return;
    }
    await this.publishRaw(topic, key, JSON.stringify(parsed.message));
  }

  /** Puts serialized bytes on a topic without validating them (tests of the consumer side). */
  async publishRaw(topic: TopicName, key: string, json: string): Promise<void> {
    if (!(topic in TOPICS)) throw new BusError('unknown-topic', `unknown topic ${String(topic)}`);
    while (this.isFull(topic)) await new Promise<void>((resolve) => this.waiters.push(resolve));
    const offset = this.offsets.get(topic) ?? 0;
    this.offsets.set(topic, offset + 1);
    this.counters.published++;
    for (const group of this.groups.get(topic)?.values() ?? []) {
      group.queue.push({ key, json, offset });
      this.drain(topic, group);
    }
  }

  async subscribe<T extends TopicName>(topic: T, group: string, handler: BusHandler<T>): Promise<void> {
    if (this.closed) throw new BusError('closed', 'bus is closed');
    let byGroup = this.groups.get(topic);
    if (!byGroup) this.groups.set(topic, (byGroup = new Map()));
    let queue = byGroup.get(group);
    if (!queue) byGroup.set(group, (queue = new GroupQueue()));
    queue.subscribers.push({ handler: handler as Subscriber['handler'] });
  }

  /** One process consumes everything: it owns every key. */
  ownership(): PartitionOwnership {
    return { owns: () => true, onChange: () => undefined };
  }

  stats(): BusStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle: Promise<void>[] = [];
    for (const byGroup of this.groups.values()) for (const g of byGroup.values()) idle.push(g.idle);
    await Promise.all(idle);
    for (const wake of this.waiters.splice(0)) wake();
  }

  private isFull(topic: TopicName): boolean {
    for (const g of this.groups.get(topic)?.values() ?? []) {
      if (g.queue.length - g.head >= this.highWaterMark) return true;
    }
    return false;
  }

  private drain(topic: TopicName, group: GroupQueue): void {
    if (group.running) return;
    group.running = true;
    group.idle = new Promise<void>((resolve) => (group.resolveIdle = resolve));
    const yieldBetweenBatches = TOPICS[topic].lane === 'bulk';
    void this.runLoop(topic, group, yieldBetweenBatches);
  }

  private async runLoop(topic: TopicName, group: GroupQueue, yieldBetweenBatches: boolean): Promise<void> {
    let sinceYield = 0;
    while (group.head < group.queue.length) {
      const envelope = group.queue[group.head++] as Envelope;
      await this.deliver(topic, group, envelope);
      if (group.head > 1024 && group.head * 2 > group.queue.length) {
        group.queue.splice(0, group.head);
        group.head = 0;
      }
      if (this.waiters.length > 0 && !this.isFull(topic)) for (const wake of this.waiters.splice(0)) wake();
      if (yieldBetweenBatches && ++sinceYield >= 64) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    group.queue.length = 0;
    group.head = 0;
    group.running = false;
    group.resolveIdle();
  }

  private async deliver(topic: TopicName, group: GroupQueue, envelope: Envelope): Promise<void> {
    const parsed = parseWireMessage(topic, envelope.json);
    if (!parsed.ok) {
      this.counters.rejected++;
      this.logger.warn({ msg: 'rejected an invalid message', topic, key: envelope.key, reason: parsed.reason });
      return;
    }
    // Same key → same subscriber, as a Kafka partition would do.
    const subscriber = group.subscribers[hashKey(envelope.key) % group.subscribers.length] as Subscriber;
    try {
      await subscriber.handler(parsed.message, {
        topic,
        key: envelope.key,
        partition: 0,
        offset: String(envelope.offset),
      });
      this.counters.delivered++;
    } catch (error) {
      this.counters.handlerErrors++;
      this.logger.error({ msg: 'handler failed', topic, key: envelope.key, error: String(error) });
    }
  }
}

function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
