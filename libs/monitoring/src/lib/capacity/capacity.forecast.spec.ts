import { freeBytes, growthPerDay, HEADROOM_CAP_DAYS, headroomDays } from './capacity.forecast';

const GB = 1e9;

describe('capacity forecast', () => {
  it('takes the smaller of disk free and budget left as free space, never below 0', () => {
    const base = { databaseBytes: 10 * GB, diskTotalBytes: 500 * GB };
    expect(freeBytes({ ...base, diskFreeBytes: 100 * GB, budgetBytes: null })).toBe(100 * GB);
    expect(freeBytes({ ...base, diskFreeBytes: 100 * GB, budgetBytes: 30 * GB })).toBe(20 * GB);
    expect(freeBytes({ ...base, diskFreeBytes: null, budgetBytes: 8 * GB })).toBe(0);
    expect(freeBytes({ ...base, diskFreeBytes: null, diskTotalBytes: null, budgetBytes: null })).toBeNull();
  });

  it('forecasts headroom days as free / growth, capped when storage does not grow', () => {
    expect(headroomDays(365 * GB, GB)).toBe(365);
    expect(headroomDays(GB, 0)).toBe(HEADROOM_CAP_DAYS);
    expect(headroomDays(GB, -5)).toBe(HEADROOM_CAP_DAYS);
    expect(headroomDays(1e15, 1)).toBe(HEADROOM_CAP_DAYS);
    expect(headroomDays(0, GB)).toBe(0);
    expect(headroomDays(null, GB)).toBeNull();
  });

  it('trusts the samples’ trend once they span an hour, else the last day of raw rows', () => {
    const raw = { bytes: 1_000_000, spanMs: 2 * 3_600_000 };
    expect(growthPerDay({ count: 12, spanMs: 3_600_000, bytesPerDay: 5e6 }, raw)).toEqual({
      bytesPerDay: 5e6,
      basis: 'samples',
    });
    expect(growthPerDay({ count: 12, spanMs: 3_599_000, bytesPerDay: 5e6 }, raw)).toEqual({
      bytesPerDay: 12e6,
      basis: 'raw-rows',
    });
    // A minute's burst is spread over at least an hour.
    expect(growthPerDay({ count: 1, spanMs: 0, bytesPerDay: null }, { bytes: 1000, spanMs: 60_000 }).bytesPerDay).toBe(
      24_000,
    );
    expect(growthPerDay({ count: 0, spanMs: 0, bytesPerDay: null }, { bytes: 0, spanMs: 0 }).bytesPerDay).toBe(0);
  });
});
