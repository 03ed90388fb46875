import { WindowedCache } from './windowed.cache';

describe(WindowedCache.name, () => {
  it('remembers a value for its window, inclusive, and not after', () => {
    const cache = new WindowedCache<string>(100, 10);
    cache.set('a', 'first', 1000);
    expect(cache.get('a', 1100)).toBe('first');
    expect(cache.get('a', 1101)).toBeUndefined();
  });

  it('drops the oldest entries when over its cap, and expired ones when it sets', () => {
    const cache = new WindowedCache<number>(100, 2);
    cache.set('a', 1, 0);
    cache.set('b', 2, 10);
    cache.set('c', 3, 20);
    expect([cache.get('a', 20), cache.get('b', 20), cache.get('c', 20)]).toEqual([undefined, 2, 3]);
    cache.set('d', 4, 115); // b (at 10) has expired by now; c (at 20) has not
    expect(cache.size).toBe(2);
    expect(cache.get('c', 115)).toBe(3);
  });

  it('deletes a key only while it still holds the given value', () => {
    const cache = new WindowedCache<object>(100, 10);
    const old = {};
    const newer = {};
    cache.set('k', old, 0);
    cache.set('k', newer, 1);
    cache.deleteIf('k', old);
    expect(cache.get('k', 1)).toBe(newer);
    cache.deleteIf('k', newer);
    expect(cache.get('k', 1)).toBeUndefined();
  });
});
