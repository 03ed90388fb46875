import { StoredRow } from '@fireiot/storage';

interface Entry {
  readonly bytes: Buffer;
  readonly at: number;
  readonly stored: Promise<StoredRow>;
}

/**
 * Recent uploads per (device, serial). A frame with the same device, serial and bytes inside the
 * window is a retransmission (GB/T 26875.3 §6.2: a sender repeats a frame it got no confirm
 * for): it is confirmed again once the first copy is stored, and not processed twice.
 * Bounded: entries leave when the window passes or the cache is full (oldest first).
 */
export class RetransmissionCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries = 500_000,
  ) {}

  /** The stored row of an identical earlier copy, if this frame is a retransmission. */
  find(deviceKey: string, serial: number, bytes: Buffer, now: number): Promise<StoredRow> | null {
    const entry = this.entries.get(`${deviceKey}#${serial}`);
    if (!entry || now - entry.at > this.windowMs || !entry.bytes.equals(bytes)) return null;
    return entry.stored;
  }

  remember(deviceKey: string, serial: number, bytes: Buffer, now: number, stored: Promise<StoredRow>): void {
    const key = `${deviceKey}#${serial}`;
    this.entries.delete(key);
    // Keep our own copy: `bytes` may be a view of a socket chunk.
    this.entries.set(key, { bytes: Buffer.from(bytes), at: now, stored });
    // A failed store is not a first copy: the retransmission must be stored.
    stored.catch(() => {
      if (this.entries.get(key)?.stored === stored) this.entries.delete(key);
    });
    this.evict(now);
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(now: number): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && now - entry.at <= this.windowMs) break;
      this.entries.delete(key);
    }
  }
}
