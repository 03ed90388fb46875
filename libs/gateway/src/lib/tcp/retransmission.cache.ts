import { StoredRow } from '@fireiot/storage';
import { WindowedCache } from '../windowed.cache';

interface Upload {
  readonly bytes: Buffer;
  readonly stored: Promise<StoredRow>;
}

/**
 * Recent uploads per (device, serial). A frame with the same device, serial and bytes inside the
 * window is a retransmission (GB/T 26875.3 §6.2: a sender repeats a frame it got no confirm
 * for): it is confirmed again once the first copy is stored, and not processed twice.
 * Bounded: entries leave when the window passes or the cache is full (oldest first).
 */
export class RetransmissionCache {
  private readonly uploads: WindowedCache<Upload>;

  constructor(windowMs: number, maxEntries = 500_000) {
    this.uploads = new WindowedCache(windowMs, maxEntries);
  }

  /** The stored row of an identical earlier copy, if this frame is a retransmission. */
  find(deviceKey: string, serial: number, bytes: Buffer, now: number): Promise<StoredRow> | null {
    const upload = this.uploads.get(`${deviceKey}#${serial}`, now);
    return upload?.bytes.equals(bytes) ? upload.stored : null;
  }

  remember(deviceKey: string, serial: number, bytes: Buffer, now: number, stored: Promise<StoredRow>): void {
    const key = `${deviceKey}#${serial}`;
    // Keep our own copy: `bytes` may be a view of a socket chunk.
    const upload = { bytes: Buffer.from(bytes), stored };
    this.uploads.set(key, upload, now);
    // A failed store is not a first copy: the retransmission must be stored.
    stored.catch(() => this.uploads.deleteIf(key, upload));
  }

  get size(): number {
    return this.uploads.size;
  }
}
