import { describe, expect, it } from 'vitest';
import type { AlarmFacts } from '../../../functions/core/alarm-types';
import { smsLength } from '../../../functions/core/sms/gsm7';
import { renderSms } from '../../../functions/core/sms/templates';

const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);
const base: AlarmFacts = {
  alarmId: 'A7K2M9QXR',
  kind: 'raised',
  severity: 'critical',
  deviceId: 'bin-dabudar-01',
  siteId: 'village-dabudar',
  siteName: 'Dabudar village square',
  siteNameZh: '达布达尔村广场',
  township: 'Dabudar',
  condition: 'fire',
  metric: 'temperature_c',
  value: 74,
  limit: { value: 60, direction: 'max', citation: 'fire: >= 60 C or +15 C in 10 min' },
  sampleTs: NOW - 60_000,
};

describe('bin alarm texts', () => {
  it('says a fire is a possible fire, with the temperature, in one segment', () => {
    const zh = renderSms(base, 'zh', NOW);
    const en = renderSms(base, 'en', NOW);
    expect(zh).toBe('告警：达布达尔村广场 疑似起火 温度74℃（限值≤60） 采样09:59 编号A7K2M9QXR');
    expect(en).toMatch(/^ALARM: Dabudar village square: possible fire, temperature 74C \(limit max 60\)/);
    expect(smsLength(zh, 'zh')).toBeLessThanOrEqual(70);
    expect(smsLength(en, 'en')).toBeLessThanOrEqual(160);
  });

  it('says an overflowing bin is full instead of quoting a limit of 100 %', () => {
    const full: AlarmFacts = {
      ...base,
      condition: 'fill:overflow',
      metric: 'fill_pct',
      value: 100,
      limit: { value: 100, direction: 'max', citation: 'bin full' },
    };
    expect(renderSms(full, 'zh', NOW)).toBe(
      '告警：达布达尔村广场 垃圾桶已满 满溢度100% 采样09:59 编号A7K2M9QXR',
    );
    expect(renderSms(full, 'en', NOW)).toMatch(
      /^ALARM: Dabudar village square: bin full, fill level 100%, sampled/,
    );
  });

  it('words the fire clear without "possible fire"', () => {
    expect(renderSms({ ...base, kind: 'cleared', value: 30 }, 'zh', NOW)).not.toContain('疑似起火');
  });
});
