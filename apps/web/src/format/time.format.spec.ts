import { formatDuration, formatTime, zonedInputToIso } from './time.format';

describe('formatTime', () => {
  it('shows the platform’s zone, not the browser’s, to the millisecond', () => {
    expect(formatTime('2026-11-22T01:02:03.456Z', 'Asia/Shanghai', 'zh')).toBe('2026-11-22 09:02:03.456');
    expect(formatTime('2026-11-22T01:02:03.456Z', 'Europe/London', 'en')).toBe('2026-11-22 01:02:03.456');
    expect(formatTime('2026-06-30T23:59:59.000Z', 'Asia/Shanghai', 'en')).toBe('2026-07-01 07:59:59.000');
  });

  it('says nothing for a missing time and keeps an unreadable one as it came', () => {
    expect(formatTime(null, 'Asia/Shanghai', 'zh')).toBe('—');
    expect(formatTime('not a time', 'Asia/Shanghai', 'zh')).toBe('not a time');
  });
});

describe('formatDuration', () => {
  it.each([
    [12.4, '12 ms'],
    [999, '999 ms'],
    [2_400, '2.4 s'],
    [90_000, '1 min 30 s'],
    [null, '—'],
  ])('%p ms → %p', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('zonedInputToIso', () => {
  it('reads a datetime-local value as wall time in the platform’s zone', () => {
    expect(zonedInputToIso('2026-11-22T09:30', 'Asia/Shanghai')).toBe('2026-11-22T01:30:00.000Z');
    expect(zonedInputToIso('2026-07-01T12:00', 'Europe/London')).toBe('2026-07-01T11:00:00.000Z');
    expect(zonedInputToIso('', 'Asia/Shanghai')).toBeNull();
    expect(zonedInputToIso('garbage', 'Asia/Shanghai')).toBeNull();
  });
});
