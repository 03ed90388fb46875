import { Message, Producer } from 'kafkajs';
import { BusError } from './bus.error';

interface Pending {
  readonly topic: string;
  readonly message: Message;
  readonly resolve: () => void;
  readonly reject: (error: BusError) => void;
}

export interface LaneProducerOptions {
  /** How long a message may wait for others to share its produce request (0: the same event-loop turn). */
  readonly lingerMs: number;
  readonly maxBatchMessages: number;
  /** Broker-side limit for the acknowledgement by all in-sync replicas. */
  readonly ackTimeoutMs: number;
}

/**
 * One lane's producer: messages published in the same event-loop turn (or within `lingerMs`)
 * share one produce request, and one request is in flight at a time, so a key's messages keep
 * their order even when kafkajs retries. Each message's promise settles with its request's
 * acknowledgement (acks = all).
 */
export class LaneProducer {
  private readonly queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    readonly producer: Producer,
    private readonly options: LaneProducerOptions,
    private readonly toBusError: (what: string, error: unknown) => BusError,
  ) {}

  send(topic: string, message: Message): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, message, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything queued so far has been acknowledged or has failed. */
  drain(): Promise<void> {
    if (!this.flushing && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    const flush = () => {
      this.scheduled = false;
      void this.flush();
    };
    if (this.options.lingerMs > 0) setTimeout(flush, this.options.lingerMs);
    else setImmediate(flush);
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatchMessages);
      const byTopic = new Map<string, Message[]>();
      for (const { topic, message } of batch) {
        const messages = byTopic.get(topic);
        if (messages) messages.push(message);
        else byTopic.set(topic, [message]);
      }
      try {
        await this.producer.sendBatch({
          acks: -1,
          timeout: this.options.ackTimeoutMs,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
        for (const pending of batch) pending.resolve();
      } catch (error) {
        const busError = this.toBusError(`publishing ${batch.length} message(s)`, error);
        for (const pending of batch) pending.reject(busError);
      }
    }
    this.flushing = false;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
