import { TimeLabelClock } from './time-label.clock';

describe(TimeLabelClock.name, () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-22T03:04:05.678Z') }));
  afterEach(() => jest.useRealTimers());

  it('gives the current second in UTC+8 as text and as the six wire bytes (§8.2.2)', () => {
    const clock = new TimeLabelClock();
    expect(clock.labelText()).toBe('2026-11-22T11:04:05');
    expect([...clock.bytes()]).toEqual([5, 4, 11, 22, 11, 26]);
  });

  it('follows the clock to the next second', () => {
    const clock = new TimeLabelClock();
    clock.labelText();
    jest.advanceTimersByTime(400);
    expect(clock.labelText()).toBe('2026-11-22T11:04:06');
  });

  it('runs ahead or behind by its offset, in its zone', () => {
    expect(new TimeLabelClock(-3_600_000, 0).labelText()).toBe('2026-11-22T02:04:05');
  });
});
