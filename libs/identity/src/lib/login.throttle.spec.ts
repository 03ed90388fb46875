import { LoginThrottle } from './login.throttle';

const MIN = 60_000;

describe(LoginThrottle.name, () => {
  it('refuses a key after maxFailures failures within the window, until the oldest leaves it', () => {
    const throttle = new LoginThrottle(3, 15 * MIN);
    throttle.failed('a', 0);
    throttle.failed('a', 1 * MIN);
    expect(throttle.retryAfterMs('a', 2 * MIN)).toBe(0);
    throttle.failed('a', 2 * MIN);
    expect(throttle.retryAfterMs('a', 2 * MIN)).toBe(13 * MIN);
    expect(throttle.retryAfterMs('b', 2 * MIN)).toBe(0);
    // The first failure leaves the window at 15 min: one more attempt is heard.
    expect(throttle.retryAfterMs('a', 15 * MIN - 1)).toBe(1);
    expect(throttle.retryAfterMs('a', 15 * MIN)).toBe(0);
    throttle.failed('a', 15 * MIN);
    expect(throttle.retryAfterMs('a', 15 * MIN)).toBe(MIN);
  });

  it('forgets a key when it succeeds, and when its failures have all left the window', () => {
    const throttle = new LoginThrottle(2, MIN);
    throttle.failed('a', 0);
    throttle.failed('a', 0);
    expect(throttle.retryAfterMs('a', 0)).toBe(MIN);
    throttle.succeeded('a');
    expect(throttle.retryAfterMs('a', 0)).toBe(0);
    throttle.failed('b', 0);
    expect(throttle.size).toBe(1);
    expect(throttle.retryAfterMs('b', MIN)).toBe(0);
    expect(throttle.size).toBe(0);
  });

  it('remembers at most `capacity` keys, forgetting the one that failed longest ago', () => {
    const throttle = new LoginThrottle(1, MIN, 3);
    for (const [i, key] of ['a', 'b', 'c'].entries()) throttle.failed(key, i);
    throttle.failed('a', 3); // a failed again: b is now the oldest
    throttle.failed('d', 4);
    expect(throttle.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((key) => throttle.retryAfterMs(key, 5) > 0)).toEqual([true, false, true, true]);
  });
});
