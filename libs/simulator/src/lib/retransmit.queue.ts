import { performance } from 'node:perf_hooks';

/** Something waiting for an answer until a deadline (`performance.now()` ms). */
export interface Expiring {
  /** Set when the answer came (or the wait was given up); the queue then just drops the entry. */
  readonly settled: boolean;
  /** Called once the deadline it was queued with has passed without the entry being settled. */
  expire(now: number): void;
}

/**
 * The confirm timers of many uploads in one FIFO with one timer, instead of a `setTimeout` per
 * frame: every entry of a queue waits the same time, so deadlines come in the order entries
 * are pushed. A sweep every `resolution` ms drops the settled entries at the head and expires
 * those whose deadline has passed; a retransmitted upload is pushed again with its new deadline
 * and its stale entry is recognised by the deadline it carries. Timeouts fire at most
 * `resolution` ms late. The timer runs only while entries are queued.
 */
export class RetransmitQueue {
  private items: Expiring[] = [];
  private deadlines: number[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  readonly resolution: number;

  constructor(readonly timeoutMs: number) {
    this.resolution = Math.min(250, Math.max(5, Math.floor(timeoutMs / 20)));
  }

  /** Queues `item` until now + timeout; returns that deadline (the item keeps it to recognise its entry). */
  push(item: Expiring): number {
    const deadline = performance.now() + this.timeoutMs;
    this.items.push(item);
    this.deadlines.push(deadline);
    if (this.timer === null) this.arm();
    return deadline;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Stops the timer and forgets every entry (nothing expires any more). */
  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.items = [];
    this.deadlines = [];
    this.head = 0;
  }

  private arm(): void {
    this.timer = setTimeout(() => this.sweep(), this.resolution);
  }

  private sweep(): void {
    this.timer = null;
    const now = performance.now();
    while (this.head < this.items.length) {
      const item = this.items[this.head] as Expiring;
      const deadline = this.deadlines[this.head] as number;
      if (!item.settled && deadline > now) break;
      this.head++;
      if (!item.settled) item.expire(deadline); // may push again (a retransmission)
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.deadlines = this.deadlines.slice(this.head);
      this.head = 0;
    }
    if (this.head < this.items.length && this.timer === null) this.arm();
  }
}
