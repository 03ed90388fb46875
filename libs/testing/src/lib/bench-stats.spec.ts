import { summarise, textTable } from './bench-stats';

describe('summarise', () => {
  it('gives nearest-rank percentiles and the maximum, whatever the input order', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
    expect(summarise(values)).toEqual({ n: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(summarise([7])).toEqual({ n: 1, p50: 7, p95: 7, p99: 7, max: 7 });
    // Numeric order, not the string order of Array.prototype.sort without a comparator.
    expect(summarise([10, 9, 100, 2])).toEqual({ n: 4, p50: 9, p95: 100, p99: 100, max: 100 });
  });

  it('has nothing to summarise for no values', () => {
    expect(summarise([])).toBeNull();
  });
});

describe('textTable', () => {
  it('pads each column to its widest cell, numbers to the right, under a rule', () => {
    expect(
      textTable(
        ['kind', 'p99'],
        [
          ['fire-alarm', '7.5'],
          ['fault', '120.25'],
        ],
        new Set([1]),
      ),
    ).toBe(['  kind           p99', '  ----------  ------', '  fire-alarm     7.5', '  fault       120.25'].join('\n'));
  });
});
