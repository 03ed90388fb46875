/**
 * Failed logins counted per key (the auth service's key is client address + username) in a
 * sliding window: once `maxFailures` attempts have failed within `windowMs`, the key is refused
 * until the oldest of them leaves the window. Keyed by address as well as username so that
 * someone guessing from elsewhere cannot lock an operator out of the console during a fire; the
 * per-address request throttle (4.4.1) bounds how many usernames one address can try.
 *
 * In memory, per process, for at most `capacity` keys (the least recently failed is forgotten
 * first), so a flood of made-up usernames costs bounded memory.
 */
export class LoginThrottle {
  /** Key → the times of its failed attempts in the window, oldest first (at most maxFailures). */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly capacity = 10_000,
  ) {}

  /** Milliseconds until `key` may try again; 0 if it may now. */
  retryAfterMs(key: string, now: number): number {
    const times = this.inWindow(key, now);
    return times.length < this.maxFailures ? 0 : (times[0] ?? now) + this.windowMs - now;
  }

  /** Counts a failed attempt (or one still being checked: `succeeded` takes it back). */
  failed(key: string, now: number): void {
    const times = this.inWindow(key, now);
    times.push(now);
    if (times.length > this.maxFailures) times.shift();
    this.failures.delete(key); // re-inserted: the map's order is the order of the last failure
    this.failures.set(key, times);
    if (this.failures.size > this.capacity) {
      const oldest = this.failures.keys().next();
      if (oldest.done !== true) this.failures.delete(oldest.value);
    }
  }

  /** A successful login forgets the key's failures. */
  succeeded(key: string): void {
    this.failures.delete(key);
  }

  /** How many keys are remembered. */
  get size(): number {
    return this.failures.size;
  }

  private inWindow(key: string, now: number): number[] {
    const times = this.failures.get(key) ?? [];
    while (times.length > 0 && (times[0] ?? 0) <= now - this.windowMs) times.shift();
    if (times.length === 0) this.failures.delete(key);
    return times;
  }
}
