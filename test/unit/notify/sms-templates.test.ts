import { describe, expect, it } from 'vitest';
import {
  type AlarmFacts,
  NOTIFICATION_KINDS,
  type NotificationKind,
  SEVERITIES,
  type Severity,
} from '../../../functions/core/alarm-types';
import { readCitation } from '../../../functions/core/citation';
import { shortenName } from '../../../functions/core/sms/fit';
import { formatNumber, formatSampleTime } from '../../../functions/core/sms/format';
import { gsm7Length, isGsm7, SMS_LIMITS, smsLength, toGsm7 } from '../../../functions/core/sms/gsm7';
import { renderNotification, renderSms, shortCitation } from '../../../functions/core/sms/templates';

/** A stored citation as the templates read it. */
const parseCitation = (text: string) => shortCitation(readCitation(text));

// 2025-11-28 12:00 China time.
const NOW = Date.UTC(2025, 10, 28, 4, 0);
const MIN = 60_000;

const chlorineLoss: AlarmFacts = {
  alarmId: 'A7K2M9QXR',
  kind: 'raised',
  severity: 'critical',
  deviceId: 'wq-town-outlet',
  siteId: 'plant-town',
  siteName: 'Tashkurgan Town water plant',
  siteNameZh: '塔什库尔干镇水厂',
  township: 'Tashkurgan Town',
  measurementPoint: 'plant_outlet',
  condition: 'limit:free_chlorine_mg_l:min',
  metric: 'free_chlorine_mg_l',
  value: 0.12,
  limit: { value: 0.3, direction: 'min', citation: 'GB 5749-2022 Table 2' },
  sampleTs: NOW - 5 * MIN,
};

/** Facts as the alarm engine builds them for each severity. */
function factsFor(severity: Severity, kind: NotificationKind): AlarmFacts {
  const base = { ...chlorineLoss, kind, severity };
  switch (severity) {
    case 'critical':
      return kind === 'digest' ? { ...base, folded: 12 } : base;
    case 'warning':
      return {
        ...base,
        condition: 'warn:turbidity_ntu:max',
        metric: 'turbidity_ntu',
        value: 0.86,
        limit: { value: 0.8, direction: 'max', citation: 'early warning (GB 5749-2022 Table 1)' },
        folded: kind === 'digest' ? 6 : undefined,
      };
    case 'sensor_fault':
      return { ...base, condition: 'stuck:ph', metric: 'ph', value: 7.3, limit: undefined };
    case 'device':
      return {
        ...base,
        condition: 'offline',
        metric: undefined,
        value: undefined,
        limit: undefined,
        sampleTs: NOW - 3 * 3_600_000,
      };
  }
}

const LONG_NAME = {
  siteName:
    'Tashkurgan Tajik Autonomous County Dabudar Township No. 12 Village Clinic Drinking Water Supply Station',
  siteNameZh: '塔什库尔干塔吉克自治县达布达尔乡第12村卫生院集中式供水工程饮用水站',
};

const variants: [string, (f: AlarmFacts) => AlarmFacts][] = [
  ['ordinary', (f) => f],
  ['long site name', (f) => ({ ...f, ...LONG_NAME })],
  [
    'long site name, big value, late from yesterday',
    (f) => ({
      ...f,
      ...LONG_NAME,
      value: typeof f.value === 'number' ? 123_456_789.123 : f.value,
      late: true,
      sampleTs: NOW - 30 * 3_600_000,
    }),
  ],
  [
    'unknown long metric and condition, no measurement point',
    (f) => ({
      ...f,
      measurementPoint: undefined,
      metric: 'some_vendor_specific_channel_with_a_very_long_name_mg_l',
      condition: 'limit:some_vendor_specific_channel_with_a_very_long_name_mg_l:max',
      value: -98765.4321,
      limit: { value: 12345.678, direction: 'max', citation: 'site limit' },
    }),
  ],
  ['site name only in Chinese', (f) => ({ ...f, siteName: '塔什库尔干镇水厂', siteNameZh: undefined })],
];

describe('SMS templates', () => {
  describe('fit one segment for every kind, severity and language', () => {
    for (const [variant, change] of variants)
      for (const severity of SEVERITIES)
        for (const kind of NOTIFICATION_KINDS)
          it(`${kind} ${severity}, ${variant}`, () => {
            const facts = change(factsFor(severity, kind));

            const zh = renderSms(facts, 'zh', NOW);
            const en = renderSms(facts, 'en', NOW);

            expect(zh.length).toBeLessThanOrEqual(SMS_LIMITS.zh);
            expect(isGsm7(en)).toBe(true);
            expect(gsm7Length(en)).toBeLessThanOrEqual(SMS_LIMITS.en);
            expect(zh).toContain(facts.alarmId);
            expect(en).toContain(facts.alarmId);
            if (facts.late) {
              expect(zh).toContain('补传');
              expect(en).toContain('(late)');
            }
          });
  });

  it('says site, measurement point, metric, value, limit with its standard, time and alarm id', () => {
    const zh = renderSms(chlorineLoss, 'zh', NOW);
    const en = renderSms(chlorineLoss, 'en', NOW);

    expect(zh).toBe(
      '水质超标：塔什库尔干镇水厂 出厂水 游离氯0.12mg/L（GB5749表2≥0.3） 采样11:55 编号A7K2M9QXR',
    );
    expect(en).toBe(
      'UNSAFE WATER: Tashkurgan Town water plant, plant outlet: free chlorine 0.12 mg/L (GB 5749 T2 min 0.3), sampled 11:55 UTC+8. Alarm A7K2M9QXR',
    );
  });

  it('names each measurement point as operators say it', () => {
    const at = (measurementPoint: string) => ({ ...chlorineLoss, measurementPoint });
    expect(renderSms(at('source'), 'zh', NOW)).toContain('水源水');
    expect(renderSms(at('plant_outlet'), 'zh', NOW)).toContain('出厂水');
    expect(renderSms(at('network'), 'zh', NOW)).toContain('末梢水');
    expect(renderSms(at('tap'), 'zh', NOW)).toContain('龙头');
    expect(renderSms(at('network'), 'en', NOW)).toContain('network end');
  });

  it('marks late data and gives the sample date when it is not from today, China time', () => {
    const late = { ...chlorineLoss, late: true, sampleTs: Date.UTC(2025, 10, 27, 15, 30) };

    expect(renderSms(late, 'zh', NOW)).toMatch(/11\/27 23:30补传/);
    expect(renderSms(late, 'en', NOW)).toMatch(/11\/27 23:30 UTC\+8 \(late\)/);
  });

  it('counts the day in China time: 00:30 China time is today although it is yesterday in UTC', () => {
    expect(formatSampleTime(Date.UTC(2025, 10, 27, 16, 30), NOW)).toBe('00:30');
    expect(formatSampleTime(Date.UTC(2025, 10, 27, 15, 59), NOW)).toBe('11/27 23:59');
  });

  it('says how many alarms a digest folds', () => {
    const digest = { ...chlorineLoss, kind: 'digest' as const, folded: 7 };

    expect(renderSms(digest, 'zh', NOW)).toContain('本条合并7条告警');
    expect(renderSms(digest, 'en', NOW)).toContain('7 alarms folded into this SMS');
  });

  it('words every kind differently', () => {
    const texts = NOTIFICATION_KINDS.map((kind) => renderSms({ ...chlorineLoss, kind }, 'zh', NOW));
    expect(texts.map((t) => t.split('：')[0])).toEqual([
      '水质超标',
      '水质超标已恢复',
      '水质超标未确认',
      '水质超标超时未确认',
      '水质超标汇总',
    ]);
    expect(renderSms({ ...chlorineLoss, kind: 'escalation' }, 'en', NOW)).toMatch(/^ESCALATED, not acked/);
  });

  it('tells engineers which instrument is faulty, and never calls a sensor fault unsafe water', () => {
    const stuck = factsFor('sensor_fault', 'raised');

    const zh = renderSms(stuck, 'zh', NOW);
    const en = renderSms(stuck, 'en', NOW);

    expect(zh).toContain('传感器故障');
    expect(zh).toContain('wq-town-outlet');
    expect(zh).toContain('pH读数卡在7.3');
    expect(zh).not.toContain('水质超标');
    expect(en).toMatch(/^SENSOR FAULT: .*device wq-town-outlet: pH stuck at 7\.3/);
  });

  it('shortens the site name first, keeping both ends of a Chinese name and whole numbers', () => {
    const long = { ...chlorineLoss, ...LONG_NAME, late: true, sampleTs: NOW - 30 * 3_600_000 };

    const zh = renderSms(long, 'zh', NOW);

    expect(zh.length).toBeLessThanOrEqual(70);
    expect(zh).toMatch(/^水质超标：塔什库尔…饮用水站 出厂水 /);
    expect(zh).toContain('游离氯0.12mg/L');
    expect(zh).toContain('≥0.3');
    expect(zh).toContain('11/27 06:00补传');
  });

  it('drops optional parts only once the site name is as short as it may get', () => {
    const huge = {
      ...chlorineLoss,
      ...LONG_NAME,
      value: 123_456_789.123,
      late: true,
      sampleTs: NOW - 30 * 3_600_000,
    };

    const zh = renderSms(huge, 'zh', NOW);

    expect(zh).toContain('123456789mg/L');
    expect(zh).not.toContain('GB5749');
    expect(zh).toContain('（限值≥0.3）');
  });

  it('never cuts a number when shortening a name', () => {
    expect(shortenName('Village No. 12345 pump house', 15, 'en')).toBe('Village No.');
    expect(shortenName('第12345号村卫生院饮用水站', 7, 'zh')).toBe('第…院饮用水站');
    expect(shortenName('短名', 7, 'zh')).toBe('短名');
  });

  it('shows enough decimals that a value just over its limit does not look equal to it', () => {
    const turbid = {
      ...chlorineLoss,
      condition: 'limit:turbidity_ntu:max',
      metric: 'turbidity_ntu',
      value: 1.004,
      limit: { value: 1, direction: 'max' as const, citation: 'GB 5749-2022 Table 1' },
    };
    expect(renderSms(turbid, 'zh', NOW)).toContain('浊度1.004NTU（GB5749表1≤1）');
  });

  it('formats numbers compactly and never rounds a small reading to zero', () => {
    expect(formatNumber(7.3)).toBe('7.3');
    expect(formatNumber(0.05)).toBe('0.05');
    expect(formatNumber(412.36)).toBe('412');
    expect(formatNumber(0.0004)).toBe('0.0004');
    expect(formatNumber(-0)).toBe('0');
  });

  it('writes English in GSM-7 only, transliterating what it can', () => {
    const german = { ...chlorineLoss, siteName: 'Wasserwerk “Süd” – Brücke Łódź' };

    const en = renderSms(german, 'en', NOW);

    expect(en).toContain('Wasserwerk "Süd" - Brücke Lodz');
    expect(isGsm7(en)).toBe(true);
    expect(toGsm7('≥0.3 µS/cm, 6.8°C')).toBe('>=0.3 uS/cm, 6.8degC');
  });

  it('uses the site id in English when the site name cannot be written in GSM-7', () => {
    const en = renderSms({ ...chlorineLoss, siteName: '塔什库尔干镇水厂' }, 'en', NOW);
    expect(en).toContain('UNSAFE WATER: plant-town, plant outlet');
  });

  it('counts GSM-7 extension characters as two and refuses characters outside the alphabet', () => {
    expect(gsm7Length('abc')).toBe(3);
    expect(gsm7Length('[x]€')).toBe(7);
    expect(() => gsm7Length('≥')).toThrow(/not a GSM-7 character/);
    expect(smsLength('游离氯', 'zh')).toBe(3);
  });

  it('reads the catalogue citations into short forms', () => {
    expect(parseCitation('GB 5749-2022 Table 2')).toEqual({
      standard: { zh: 'GB5749表2', en: 'GB 5749 T2' },
      level: 'limit',
    });
    expect(parseCitation('GB 3838-2002 Table 1, class III').standard).toEqual({
      zh: 'GB3838表1 III类',
      en: 'GB 3838 T1 cl.III',
    });
    expect(parseCitation('early warning (GB 5749-2022 Table 1)').level).toBe('warning');
    expect(parseCitation('site limit (GB 5749-2022 Table 2)').level).toBe('site');
    expect(parseCitation('low battery')).toEqual({ level: 'limit' });
  });

  it('renders a notification with both languages and the routing facts', () => {
    const n = renderNotification(chlorineLoss, 'operators', NOW);

    expect(n).toMatchObject({
      audience: 'operators',
      severity: 'critical',
      siteId: 'plant-town',
      township: 'Tashkurgan Town',
      deviceId: 'wq-town-outlet',
      alarmId: 'A7K2M9QXR',
      kind: 'raised',
    });
    expect(n.text.zh).toContain('游离氯');
    expect(n.text.en).toContain('free chlorine');
  });

  it('words bin alarms without calling them water', () => {
    const tilt: AlarmFacts = {
      ...chlorineLoss,
      measurementPoint: undefined,
      siteName: 'Town bazaar',
      siteNameZh: '镇巴扎',
      condition: 'tilt',
      metric: 'tilt',
      value: true,
      limit: undefined,
    };
    expect(renderSms(tilt, 'zh', NOW)).toMatch(/^告警：镇巴扎 垃圾桶倾倒/);
    expect(renderSms(tilt, 'en', NOW)).toMatch(/^ALARM: Town bazaar: bin tilted/);
  });
});

describe('event and drift SMS (the event detector)', () => {
  const event: AlarmFacts = {
    ...chlorineLoss,
    severity: 'warning',
    condition: 'event',
    metric: undefined,
    value: undefined,
    limit: undefined,
    finding: {
      since: NOW - 12 * MIN,
      channels: [
        { metric: 'ph', shift: 0.2031, sigma: 8.1 },
        { metric: 'orp_mv', shift: -25.4, sigma: -6.2 },
        { metric: 'free_chlorine_mg_l', shift: -0.05, sigma: -5.2 },
        { metric: 'conductivity_us_cm', shift: 12, sigma: 5.1 },
        { metric: 'turbidity_ntu', shift: 0.04, sigma: 5.05 },
        { metric: 'temperature_c', shift: 0.3, sigma: 5.01 },
      ],
    },
  };
  const drift: AlarmFacts = {
    ...chlorineLoss,
    severity: 'sensor_fault',
    condition: 'drift:ph',
    metric: 'ph',
    value: 7.92,
    limit: undefined,
    finding: { since: NOW - 40 * MIN, channels: [{ metric: 'ph', shift: 0.25, sigma: 9.3 }] },
  };

  for (const [variant, change] of variants.slice(0, 3))
    for (const kind of ['raised', 'cleared', 'reminder'] as const)
      it(`names the moved channels, their shift and since when, in one segment: ${kind}, ${variant}`, () => {
        for (const facts of [event, drift].map((f) => change({ ...f, kind }))) {
          const zh = renderSms(facts, 'zh', NOW);
          const en = renderSms(facts, 'en', NOW);
          expect(zh.length).toBeLessThanOrEqual(SMS_LIMITS.zh);
          expect(isGsm7(en)).toBe(true);
          expect(gsm7Length(en)).toBeLessThanOrEqual(SMS_LIMITS.en);
          expect(zh).toContain(facts.alarmId);
          expect(en).toContain(facts.alarmId);
          const since = formatSampleTime(facts.finding?.since ?? 0, NOW);
          expect(zh).toContain(`自${since}起`);
          expect(en).toContain(`since ${since}`);
          expect(zh).toContain('pH+0.2');
          expect(en).toContain('pH +0.2');
        }
      });

  it('reads as an event for operators and as a drifting sensor for engineers', () => {
    const e = renderNotification(event, 'operators', NOW).text;
    expect(e.zh).toMatch(/^水质异常：塔什库尔干镇水厂.*较基线pH\+0\.203，氧化还原电位-25\.4mV/);
    expect(e.en).toMatch(/^WATER QUALITY EVENT: .*pH \+0\.203, ORP -25\.4 mV/);
    const d = renderNotification(drift, 'engineers', NOW).text;
    expect(d.zh).toMatch(/^传感器漂移：.*设备wq-town-outlet.*pH\+0\.25.*相关通道未变/);
    expect(d.en).toMatch(
      /^SENSOR DRIFT: .*device wq-town-outlet.*pH \+0\.25 \(9\.3 sd\) vs baseline, other channels steady/,
    );
  });
});
