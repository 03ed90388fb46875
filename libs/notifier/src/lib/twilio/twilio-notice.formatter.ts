import { AlertNotice } from '../channel.port';

/**
 * The words of an alert for a phone: an SMS text and a TwiML voice message, Chinese first
 * (the people notified are the unit's fire-safety staff, CQC/SC 11002 4.3.3).
 */

/** Asia/Shanghai is UTC+8 all year (no daylight saving since 1991): no ICU time-zone data needed. */
const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const TITLE_MAX = 60;
const LOCATION_MAX = 40;

/** `2024-05-01 18:03:04` in Beijing time, or the input as given when it is not a date. */
export function shanghaiTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * `【fireiot】火警 Fire alarm: …｜位置：…｜时间：2024-05-01 18:03:04（北京时间）｜请在 App 中确认`.
 * Kept short: a Chinese SMS is UCS-2, 70 characters per single part, 67 per part beyond.
 */
export function smsBody(notice: AlertNotice): string {
  return [
    `【fireiot】${clip(notice.title, TITLE_MAX)}`,
    `位置：${clip(notice.location ?? '未知', LOCATION_MAX)}`,
    `时间：${shanghaiTime(notice.receivedAt)}（北京时间）`,
    '请在 App 中确认',
  ].join('｜');
}

/** What the voice call says (once; the TwiML repeats it). */
export function voiceText(notice: AlertNotice): string {
  const ms = Date.parse(notice.receivedAt);
  const when = Number.isNaN(ms) ? notice.receivedAt : spokenTime(new Date(ms + SHANGHAI_OFFSET_MS));
  return [
    `这里是 fireiot 消防监控平台。${clip(notice.title, TITLE_MAX)}。`,
    `位置：${clip(notice.location ?? '未知', LOCATION_MAX)}。`,
    `接收时间：北京时间 ${when}。`,
    '请立即处理，并在 App 中确认。',
  ].join('');
}

/** `<Response><Say language="zh-CN" voice="alice">…</Say><Pause/><Say …>…</Say></Response>`: read twice. */
export function voiceTwiml(notice: AlertNotice): string {
  const say = `<Say language="zh-CN" voice="alice">${escapeXml(voiceText(notice))}</Say>`;
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${say}<Pause length="1"/>${say}</Response>`;
}

/** XML text/attribute escaping; drops the control characters XML 1.0 cannot carry at all. */
export function escapeXml(text: string): string {
  return [...text]
    .filter((c) => {
      const cp = c.codePointAt(0) ?? 0;
      return cp >= 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d;
    })
    .join('')
    .replace(/[&<>"']/g, (c) => XML_ENTITIES[c] ?? c);
}

const XML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

function spokenTime(local: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${local.getUTCMonth() + 1}月${local.getUTCDate()}日 ${pad(local.getUTCHours())}点${pad(local.getUTCMinutes())}分${pad(local.getUTCSeconds())}秒`;
}

function clip(text: string, max: number): string {
  const chars = [...text.trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}
