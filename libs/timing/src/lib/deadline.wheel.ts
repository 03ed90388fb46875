/**
 * Deadlines for a large population of ids (devices, connections), in a hashed timing wheel.
 *
 * Each id has at most one deadline. The wheel is an array of slots (`slotMs` wide); a slot is an
 * intrusive doubly linked list threaded through typed arrays (struct of arrays, no object per
 * entry), so:
 * - `schedule` (a heartbeat moving a deadline) and `cancel` are O(1) and allocate nothing;
 * - `advance` visits only the slots whose time has come and, in each, the entries in it. Its
 *   cost per tick does not grow with the population, only with the deadlines falling due and
 *   the few entries of later revolutions sharing those slots (a 24 h deadline is passed over
 *   once per revolution until its turn).
 * - memory is 20 bytes per id (one float64, three int32), grown by doubling.
 *
 * Time is whatever the caller passes (ms); the wheel never reads a clock, so tests drive it with
 * a fake one.
 */
export interface DeadlineWheelOptions {
  /** Width of a slot: deadlines in one slot fire together, at most this late. */
  readonly slotMs?: number;
  /** Slots in one revolution (rounded up to a power of two). */
  readonly slots?: number;
  /** The time the wheel starts at. */
  readonly startMs: number;
  /** Initial capacity in ids. */
  readonly capacity?: number;
}

const NONE = -1;

export class DeadlineWheel {
  readonly slotMs: number;
  private readonly mask: number;
  /** Head entry id per slot, or NONE. */
  private readonly heads: Int32Array;
  private deadlines: Float64Array;
  private next: Int32Array;
  private prev: Int32Array;
  /** Slot of the id, or NONE when it has no deadline. */
  private slotOf: Int32Array;
  /** Last tick whose slot has been fully processed. */
  private cursor: number;
  private count = 0;
  private dueIds: Int32Array = new Int32Array(256);

  constructor(options: DeadlineWheelOptions) {
    this.slotMs = options.slotMs ?? 100;
    if (!(this.slotMs > 0)) throw new RangeError('slotMs must be positive');
    let slots = 1;
    while (slots < (options.slots ?? 16_384)) slots <<= 1;
    this.mask = slots - 1;
    this.heads = new Int32Array(slots).fill(NONE);
    const capacity = Math.max(16, options.capacity ?? 1024);
    this.deadlines = new Float64Array(capacity);
    this.next = new Int32Array(capacity).fill(NONE);
    this.prev = new Int32Array(capacity).fill(NONE);
    this.slotOf = new Int32Array(capacity).fill(NONE);
    this.cursor = this.tickOf(options.startMs) - 1;
  }

  /** Ids with a deadline. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the wheel's arrays. */
  get bytes(): number {
    return this.heads.byteLength + this.slotOf.length * 20;
  }

  /** Sets (or moves) the deadline of `id`, a small non-negative integer. */
  schedule(id: number, deadlineMs: number): void {
    if (!Number.isInteger(id) || id < 0) throw new RangeError(`bad id ${id}`);
    if (!Number.isFinite(deadlineMs)) throw new RangeError(`bad deadline ${deadlineMs}`);
    if (id >= this.slotOf.length) this.grow(id + 1);
    if (this.slotOf[id] !== NONE) this.unlink(id);
    else this.count++;
    this.deadlines[id] = deadlineMs;
    // A deadline already past goes to the first slot still to be visited, never behind the cursor.
    const tick = Math.max(this.tickOf(deadlineMs), this.cursor + 1);
    this.link(id, tick & this.mask);
  }

  cancel(id: number): void {
    if (id < 0 || id >= this.slotOf.length || this.slotOf[id] === NONE) return;
    this.unlink(id);
    this.count--;
  }

  deadlineOf(id: number): number | null {
    if (id < 0 || id >= this.slotOf.length || this.slotOf[id] === NONE) return null;
    return this.deadlines[id] ?? null;
  }

  /**
   * Fires every deadline ≤ `nowMs` (each once, then removed) by calling `onDue`. A callback may
   * schedule again, any id. Returns how many fired.
   */
  advance(nowMs: number, onDue: (id: number, deadlineMs: number) => void): number {
    const current = this.tickOf(nowMs);
    let fired = 0;
    // Slots wholly in the past: visit each (at most one revolution's worth), then the current one,
    // which is visited again on later calls until its time has passed.
    const from = this.cursor + 1;
    const to = Math.min(current, from + this.mask + 1);
    for (let tick = from; tick <= to; tick++) {
      fired += this.visit(tick & this.mask, nowMs, onDue);
      if (tick < current) this.cursor = tick;
    }
    if (current - 1 > this.cursor) this.cursor = current - 1;
    return fired;
  }

  private visit(slot: number, nowMs: number, onDue: (id: number, deadlineMs: number) => void): number {
    // Take the due entries out first, then call back: a callback may reschedule anything.
    let due = 0;
    let id = this.heads[slot] ?? NONE;
    while (id !== NONE) {
      const after = this.next[id] ?? NONE;
      const deadline = this.deadlines[id] ?? 0;
      if (deadline <= nowMs) {
        this.unlink(id);
        this.count--;
        if (due === this.dueIds.length) this.dueIds = growInt32(this.dueIds, due * 2);
        this.dueIds[due++] = id;
      }
      id = after;
    }
    let count = 0;
    for (let i = 0; i < due; i++) {
      const fired = this.dueIds[i] ?? NONE;
      // Rescheduled by an earlier callback of this batch: no longer due.
      if (this.slotOf[fired] !== NONE) continue;
      onDue(fired, this.deadlines[fired] ?? 0);
      count++;
    }
    return count;
  }

  private tickOf(ms: number): number {
    return Math.floor(ms / this.slotMs);
  }

  private link(id: number, slot: number): void {
    const head = this.heads[slot] ?? NONE;
    this.next[id] = head;
    this.prev[id] = NONE;
    if (head !== NONE) this.prev[head] = id;
    this.heads[slot] = id;
    this.slotOf[id] = slot;
  }

  private unlink(id: number): void {
    const slot = this.slotOf[id] ?? NONE;
    const before = this.prev[id] ?? NONE;
    const after = this.next[id] ?? NONE;
    if (before !== NONE) this.next[before] = after;
    else this.heads[slot] = after;
    if (after !== NONE) this.prev[after] = before;
    this.next[id] = NONE;
    this.prev[id] = NONE;
    this.slotOf[id] = NONE;
  }

  private grow(min: number): void {
    let capacity = this.slotOf.length;
    while (capacity < min) capacity *= 2;
    const grown = <T extends Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const fresh = make(capacity);
      fresh.set(old);
      return fresh;
    };
    this.deadlines = grown(this.deadlines, (n) => new Float64Array(n));
    this.next = grown(this.next, (n) => new Int32Array(n).fill(NONE));
    this.prev = grown(this.prev, (n) => new Int32Array(n).fill(NONE));
    this.slotOf = grown(this.slotOf, (n) => new Int32Array(n).fill(NONE));
  }
}

function growInt32(old: Int32Array, length: number): Int32Array {
  const fresh = new Int32Array(length);
  fresh.set(old);
  return fresh;
}
