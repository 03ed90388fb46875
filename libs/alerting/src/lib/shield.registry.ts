/**
 * Shields in force (CQC/SC 11002 4.4.4): a shielded device's or component's data is stored and
 * classified, and its alerts are recorded with `suppressed = 'shielded'`, not sent. Kept in
 * memory, loaded from `shield_events` at start and kept current from `fireiot.shields.v1`; a
 * shield ends when it is lifted or when it expires.
 */
export interface ShieldEntry {
  readonly shieldId: string;
  readonly deviceKey: string;
  /** null = the whole device. */
  readonly subject: string | null;
  /** ms since epoch */
  readonly until: number;
}

export class ShieldRegistry {
  private readonly byId = new Map<string, ShieldEntry>();
  /** deviceKey␟subject → shield ids */
  private readonly bySubject = new Map<string, Set<string>>();

  get size(): number {
    return this.byId.size;
  }

  /** Replaces everything (a reload from storage). */
  reset(entries: readonly ShieldEntry[]): void {
    this.byId.clear();
    this.bySubject.clear();
    for (const entry of entries) this.set(entry);
  }

  set(entry: ShieldEntry): void {
    this.lift(entry.shieldId);
    this.byId.set(entry.shieldId, entry);
    const k = key(entry.deviceKey, entry.subject);
    let ids = this.bySubject.get(k);
    if (!ids) this.bySubject.set(k, (ids = new Set()));
    ids.add(entry.shieldId);
  }

  lift(shieldId: string): void {
    const entry = this.byId.get(shieldId);
    if (!entry) return;
    this.byId.delete(shieldId);
    const k = key(entry.deviceKey, entry.subject);
    const ids = this.bySubject.get(k);
    ids?.delete(shieldId);
    if (ids?.size === 0) this.bySubject.delete(k);
  }

  /** Shielded at `at` (ms): the whole device, or this subject of it. */
  isShielded(deviceKey: string, subject: string, at: number): boolean {
    if (this.byId.size === 0) return false;
    return this.covers(key(deviceKey, null), at) || this.covers(key(deviceKey, subject), at);
  }

  private covers(k: string, at: number): boolean {
    const ids = this.bySubject.get(k);
    if (!ids) return false;
    for (const id of ids) if ((this.byId.get(id)?.until ?? 0) > at) return true;
    return false;
  }
}

function key(deviceKey: string, subject: string | null): string {
  return `${deviceKey}\u001f${subject ?? '\u0000'}`;
}
