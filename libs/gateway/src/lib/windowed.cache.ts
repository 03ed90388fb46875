/**
 * A map whose entries live for a time window, bounded in size: the memory of recent messages
 * both ingestion paths use to recognise retransmissions (GB/T 26875.3 uploads resent without a
 * confirm, MQTT DUP publishes). Entries leave, oldest first, when their window has passed or
 * the map is over its cap. `now` is the caller's clock (any ms scale, as long as it is one).
 */
export class WindowedCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The value remembered under `key`, if it is still inside its window. */
  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    return entry && now - entry.at <= this.windowMs ? entry.value : undefined;
  }

  /** Remembers `value` as the newest entry, then drops what has expired or overflows. */
  set(key: string, value: V, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, at: now });
    for (const [k, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && now - entry.at <= this.windowMs) break;
      this.entries.delete(k);
    }
  }

  /** Forgets `key`, but only while it still holds `value` (a newer entry stays). */
  deleteIf(key: string, value: V): void {
    if (this.entries.get(key)?.value === value) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
