import { escapeXml, shanghaiTime, smsBody, voiceTwiml } from './twilio-notice.formatter';
import { notice } from './twilio.test-util';

describe(smsBody.name, () => {
  it('puts the title, the location and the Beijing receive time in one short Chinese-first text', () => {
    expect(smsBody(notice({ location: null, receivedAt: '2024-12-31T16:30:00Z' }))).toBe(
      '【fireiot】火警 Fire alarm: 烟感 smoke detector 1-131082｜位置：未知｜时间：2025-01-01 00:30:00（北京时间）｜请在 App 中确认',
    );
  });

  it('clips a long title and location so the text stays within three UCS-2 parts', () => {
    const body = smsBody(notice({ title: '火'.repeat(500), location: '楼'.repeat(500) }));

    expect([...body].length).toBeLessThanOrEqual(3 * 67);
    expect(body).toContain('火…｜位置：');
  });
});

describe(shanghaiTime.name, () => {
  it('converts UTC (µs precision) to UTC+8 and leaves a non-date as given', () => {
    expect(shanghaiTime('2024-05-01T10:03:04.123456Z')).toBe('2024-05-01 18:03:04');
    expect(shanghaiTime('not a date')).toBe('not a date');
  });
});

describe(voiceTwiml.name, () => {
  it('escapes XML and drops control characters XML cannot carry', () => {
    expect(escapeXml(`a<b>&"c'\u0001\td`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;\td');
    const twiml = voiceTwiml(notice({ title: '火警 </Say><Play>http://x</Play>' }));

    expect(twiml).not.toContain('<Play>');
    expect(twiml.match(/<Say /g)).toHaveLength(2);
    expect(twiml.length).toBeLessThan(4000); // Twilio's limit on inline TwiML
  });
});
