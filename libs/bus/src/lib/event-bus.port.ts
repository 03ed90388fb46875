import { TopicMessage, TopicName } from '@fireiot/events';

export interface DeliveryMeta {
  readonly topic: TopicName;
  readonly key: string;
  /** Adapter's position of the message (Kafka partition/offset; in-process sequence). */
  readonly partition: number;
  readonly offset: string;
}

export type BusHandler<T extends TopicName> = (message: TopicMessage<T>, meta: DeliveryMeta) => Promise<void>;

export interface BusStats {
  published: number;
  delivered: number;
  /** Messages that failed validation when consumed (never handed to a handler). */
  rejected: number;
  /** Handler invocations that threw. */
  handlerErrors: number;
}

/**
 * Which message keys (device keys) this process consumes for one subscription: the partitions its
 * consumer of the group is assigned. Work that follows keys rather than messages (the watchdog's
 * deadlines) uses it, so that with several replicas each device is watched by exactly one.
 */
export interface PartitionOwnership {
  /** True if this process consumes `key`'s messages of the topic in the group. */
  owns(key: string): boolean;
  /** Called after the assignment changed (a rebalance); never for the in-process bus. */
  onChange(listener: () => void): void;
}

/**
 * The platform's event bus. Two adapters: in-process (embedded mode) and Kafka (distributed).
 *
 * - `publish` validates the message against its topic's schema (throws `BusError`
 *   `invalid-message`) and resolves once the adapter has accepted it (Kafka: acknowledged by
 *   the brokers; in-process: queued; it waits while a bounded queue is full, which is the
 *   backpressure a slow consumer puts on producers).
 * - `subscribe` delivers each message to one subscriber of the group (different groups each get
 *   every message), in order per key, validated again on the way in.
 */
export interface EventBus {
  readonly adapter: 'in-process' | 'kafka';
  start(): Promise<void>;
  publish<T extends TopicName>(topic: T, key: string, message: TopicMessage<T>): Promise<void>;
  subscribe<T extends TopicName>(topic: T, group: string, handler: BusHandler<T>): Promise<void>;
  /** The keys this process owns in a subscription made before (in-process: every key). */
  ownership(topic: TopicName, group: string): PartitionOwnership;
  stats(): BusStats;
  /** Stops consuming after in-flight handlers finish, and flushes what was published. */
  close(): Promise<void>;
}

/** Nest injection token of the `EventBus`. */
export const EVENT_BUS = Symbol('EVENT_BUS');
