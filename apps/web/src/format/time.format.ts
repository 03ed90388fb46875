/**
 * Times on screen are the platform's time zone (GET /api/auth/me `timeZone`), never the
 * browser's: an operator in another zone and the unit's phone read the same wall time as the
 * device and the register.
 */
export function formatTime(iso: string | null | undefined, timeZone: string, language: string): string {
  if (iso === null || iso === undefined) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const parts = formatter(language, timeZone).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  const ms = String(date.getUTCMilliseconds()).padStart(3, '0');
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')}.${ms}`;
}

/**
 * One formatter per language and zone: building an `Intl.DateTimeFormat` costs far more than
 * using one (the web-live bench's board spent most of its script time building them).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(language: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${language}|${timeZone}`;
  let format = formatters.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat(language === 'en' ? 'en-GB' : 'zh-CN', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(key, format);
  }
  return format;
}

/** A latency for people: `850 ms`, `2.4 s`, `1 min 30 s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A datetime-local input's value (in the platform's zone) → ISO UTC, or null when empty. */
export function zonedInputToIso(value: string, timeZone: string): string | null {
  if (value === '') return null;
  const [datePart, timePart = '00:00'] = value.split('T');
  const [y, mo, d] = (datePart ?? '').split('-').map(Number);
  const [h, mi] = timePart.split(':').map(Number);
  if ([y, mo, d, h, mi].some((n) => n === undefined || Number.isNaN(n))) return null;
  // The wall time as if it were UTC, corrected by the zone's offset at that instant.
  const asUtc = Date.UTC(y as number, (mo as number) - 1, d as number, h as number, mi as number);
  const offset = zoneOffsetMs(asUtc, timeZone);
  return new Date(asUtc - offset).toISOString();
}

function zoneOffsetMs(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(utcMs));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - utcMs;
}
