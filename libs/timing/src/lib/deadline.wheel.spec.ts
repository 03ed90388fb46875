import { DeadlineWheel } from './deadline.wheel';

function collect(wheel: DeadlineWheel, now: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  wheel.advance(now, (id, deadline) => out.push([id, deadline]));
  return out;
}

describe(DeadlineWheel.name, () => {
  it('fires a deadline once, when its time has come, not before', () => {
    const wheel = new DeadlineWheel({ startMs: 0, slotMs: 100, slots: 64 });
    wheel.schedule(7, 1_050);
    expect(collect(wheel, 1_000)).toEqual([]);
    expect(collect(wheel, 1_049)).toEqual([]);
    expect(collect(wheel, 1_050)).toEqual([[7, 1_050]]);
    expect(collect(wheel, 5_000)).toEqual([]);
    expect(wheel.size).toBe(0);
  });

  it('moves a deadline when rescheduled (a heartbeat) and forgets a cancelled one', () => {
    const wheel = new DeadlineWheel({ startMs: 0, slotMs: 100, slots: 64 });
    wheel.schedule(1, 900);
    wheel.schedule(2, 900);
    wheel.schedule(1, 1_800);
    wheel.cancel(2);
    expect(collect(wheel, 1_000)).toEqual([]);
    expect(wheel.deadlineOf(1)).toBe(1_800);
    expect(wheel.deadlineOf(2)).toBeNull();
    expect(collect(wheel, 1_800)).toEqual([[1, 1_800]]);
  });

  it('keeps deadlines beyond one revolution until their own turn (24 h with a 1.6 s wheel)', () => {
    const wheel = new DeadlineWheel({ startMs: 0, slotMs: 100, slots: 16 });
    const day = 86_400_000;
    wheel.schedule(3, day);
    let fired = 0;
    for (let now = 0; now < day; now += 50_000) fired += wheel.advance(now, () => undefined);
    expect(fired).toBe(0);
    expect(collect(wheel, day)).toEqual([[3, day]]);
  });

  it('fires everything due after a long jump of the clock, each once', () => {
    const wheel = new DeadlineWheel({ startMs: 0, slotMs: 10, slots: 32 });
    for (let id = 0; id < 1000; id++) wheel.schedule(id, id * 37);
    const fired = collect(wheel, 20_000).map(([id]) => id);
    expect(fired).toHaveLength(541); // ids 0…540 have deadlines ≤ 20,000
    expect(new Set(fired).size).toBe(541);
    expect(Math.max(...fired)).toBe(540);
    expect(wheel.size).toBe(459);
  });

  it('fires a deadline scheduled in the past at the next advance', () => {
    const wheel = new DeadlineWheel({ startMs: 10_000, slotMs: 100, slots: 64 });
    wheel.advance(10_500, () => undefined);
    wheel.schedule(4, 2_000);
    expect(collect(wheel, 10_501)).toEqual([[4, 2_000]]);
  });

  it('lets a callback reschedule ids of the same batch without firing them', () => {
    const wheel = new DeadlineWheel({ startMs: 0, slotMs: 100, slots: 64 });
    wheel.schedule(1, 500);
    wheel.schedule(2, 500);
    const fired: number[] = [];
    wheel.advance(600, (id) => {
      fired.push(id);
      wheel.schedule(id === 1 ? 2 : 1, 10_000);
    });
    expect(fired).toHaveLength(1);
    expect(wheel.size).toBe(1);
  });

  it('grows past its initial capacity and reports its memory', () => {
    const wheel = new DeadlineWheel({ startMs: 0, capacity: 16, slots: 1024 });
    for (let id = 0; id < 100_000; id++) wheel.schedule(id, 60_000 + (id % 90_000));
    expect(wheel.size).toBe(100_000);
    expect(wheel.bytes).toBeLessThan(1024 * 4 + 131_072 * 20 + 1);
    expect(wheel.advance(60_000 + 89_999, () => undefined)).toBe(100_000);
  });

  it('refuses ids and deadlines it cannot hold', () => {
    const wheel = new DeadlineWheel({ startMs: 0 });
    expect(() => wheel.schedule(-1, 5)).toThrow(RangeError);
    expect(() => wheel.schedule(1.5, 5)).toThrow(RangeError);
    expect(() => wheel.schedule(1, Number.NaN)).toThrow(RangeError);
  });
});
