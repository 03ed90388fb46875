/**
 * Shielded devices and components (CQC/SC 11002 4.4.4): their data is stored and classified, and
 * their alerts are recorded with `suppressed = 'shielded'`, not sent. The watchdog issue backs
 * this with an audited API and a table; until then shields live in memory.
 */
export class ShieldRegistry {
  private readonly shields = new Map<string, number>();

  /** Shields a device (`subject` null) or one of its parts until `until` (ms since epoch). */
  shield(deviceKey: string, subject: string | null, until: number): void {
    this.shields.set(key(deviceKey, subject), until);
  }

  unshield(deviceKey: string, subject: string | null): void {
    this.shields.delete(key(deviceKey, subject));
  }

  isShielded(deviceKey: string, subject: string, at: number): boolean {
    if (this.shields.size === 0) return false;
    const whole = this.shields.get(key(deviceKey, null));
    const part = this.shields.get(key(deviceKey, subject));
    return (whole !== undefined && whole > at) || (part !== undefined && part > at);
  }
}

function key(deviceKey: string, subject: string | null): string {
  return `${deviceKey}\u001f${subject ?? '*'}`;
}
