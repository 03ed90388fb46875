import { Logger } from '@nestjs/common';

interface Pending<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface BatchWriterOptions {
  /** Wait this long for more items before writing (group commit). */
  readonly batchMs?: number;
  readonly maxBatch?: number;
}

/**
 * Group commit: items added within `batchMs` are written together by one call of `write`
 * (one transaction), one batch in flight at a time; each `add` resolves once its batch is
 * committed, or rejects with the batch's error. Evidence is written off the alert's hot path.
 */
export class BatchWriter<T> {
  private readonly logger: Logger;
  private readonly batchMs: number;
  private readonly maxBatch: number;
  private queue: Pending<T>[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;

  constructor(
    readonly name: string,
    private readonly write: (items: readonly T[]) => Promise<void>,
    options: BatchWriterOptions = {},
  ) {
    this.logger = new Logger(`BatchWriter:${name}`);
    this.batchMs = options.batchMs ?? 2;
    this.maxBatch = options.maxBatch ?? 1000;
  }

  /** Items queued or being written. */
  get backlog(): number {
    return this.queue.length + this.inFlight;
  }

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Writes everything queued; resolves when nothing is left. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.flushing !== null) {
      if (this.timer !== null) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      await (this.flushing ?? this.runBatch());
    }
  }

  private schedule(): void {
    if (this.flushing !== null || this.timer !== null) return;
    if (this.queue.length >= this.maxBatch || this.batchMs === 0) {
      void this.runBatch();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runBatch();
    }, this.batchMs);
  }

  private runBatch(): Promise<void> {
    if (this.flushing !== null) return this.flushing;
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return Promise.resolve();
    this.inFlight = batch.length;
    this.flushing = this.write(batch.map((p) => p.item)).then(
      () => {
        for (const p of batch) p.resolve();
      },
      (error: unknown) => {
        this.logger.error({ msg: 'batch failed', rows: batch.length, error: String(error) });
        for (const p of batch) p.reject(error);
      },
    );
    return this.flushing.finally(() => {
      this.inFlight = 0;
      this.flushing = null;
      if (this.queue.length > 0) this.schedule();
    });
  }
}
