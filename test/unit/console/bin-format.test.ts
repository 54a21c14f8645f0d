import { describe, expect, it } from 'vitest';
import {
  binsOnFire,
  binUrgency,
  collectionSpans,
  forecastPoints,
  formatHours,
  formatRate,
  orderByUrgency,
} from '../../../console/src/pages/bin-format';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 30, 4);

const bin = (over: Partial<Parameters<typeof binUrgency>[0]> = {}) => ({
  binId: 'bin-1',
  overflowing: false,
  aboveThreshold: false,
  hoursToThreshold: 3 as number | null,
  fillPct: 50 as number | null,
  ...over,
});

describe('bin urgency', () => {
  it('ranks fire over overflowing over above threshold over due', () => {
    const fire = new Set(['bin-1']);
    expect(binUrgency(bin({ overflowing: true, aboveThreshold: true }), fire, 4)).toBe('fire');
    expect(binUrgency(bin({ overflowing: true, aboveThreshold: true }), new Set(), 4)).toBe('overflowing');
    expect(binUrgency(bin({ aboveThreshold: true, hoursToThreshold: 0 }), new Set(), 4)).toBe('above');
    expect(binUrgency(bin({ hoursToThreshold: 3 }), new Set(), 4)).toBe('due');
    expect(binUrgency(bin({ hoursToThreshold: 5 }), new Set(), 4)).toBe('later');
    expect(binUrgency(bin({ hoursToThreshold: null, fillPct: null }), new Set(), 4)).toBe('unknown');
  });

  it('counts only active fire alarms, not cleared ones or other conditions', () => {
    const fire = binsOnFire([
      { deviceId: 'a', condition: 'fire', state: 'active_unack' },
      { deviceId: 'b', condition: 'fire', state: 'active_ack' },
      { deviceId: 'c', condition: 'fire', state: 'cleared_unack' },
      { deviceId: 'd', condition: 'overflow', state: 'active_unack' },
    ]);
    expect([...fire].sort()).toEqual(['a', 'b']);
  });

  it('puts a burning bin first and otherwise keeps the API order', () => {
    const rows = [
      { id: 'x', urgency: 'above' as const },
      { id: 'y', urgency: 'due' as const },
      { id: 'z', urgency: 'fire' as const },
      { id: 'w', urgency: 'overflowing' as const },
    ];
    expect(orderByUrgency(rows).map((r) => r.id)).toEqual(['z', 'x', 'y', 'w']);
  });
});

describe('bin figures as text', () => {
  it('formats hours as minutes, hours or days, and past times as now', () => {
    expect(formatHours(0.25, 'en')).toBe('15 min');
    expect(formatHours(3.04, 'en')).toBe('3.0 h');
    expect(formatHours(36, 'en')).toBe('1.5 d');
    expect(formatHours(-1, 'en')).toBe('now');
    expect(formatHours(-1, 'zh')).toBe('已到');
    expect(formatHours(null, 'zh')).toBe('—');
    expect(formatHours(3.04, 'zh')).toBe('3.0 小时');
  });

  it('signs a rising rate', () => {
    expect(formatRate(2.5, 'en')).toBe('+2.5 %/h');
    expect(formatRate(-0.4, 'en')).toBe('-0.4 %/h');
    expect(formatRate(null, 'en')).toBe('—');
  });
});

describe('forecast line', () => {
  const status = {
    fillPct: 60,
    lastReadingAt: new Date(T0).toISOString(),
    ratePctPerHour: 10,
    fullAt: new Date(T0 + 4 * HOUR).toISOString(),
  };

  it('runs from the newest reading to full when full comes inside the chart', () => {
    expect(forecastPoints(status, T0 + 24 * HOUR)).toEqual([
      { t: T0, v: 60 },
      { t: T0 + 4 * HOUR, v: 100 },
    ]);
  });

  it('stops at the right edge of the chart along the rate', () => {
    expect(forecastPoints(status, T0 + 2 * HOUR)).toEqual([
      { t: T0, v: 60 },
      { t: T0 + 2 * HOUR, v: 80 },
    ]);
  });

  it('draws nothing for a bin that is not filling or never read', () => {
    expect(forecastPoints({ ...status, ratePctPerHour: 0 }, T0 + HOUR)).toEqual([]);
    expect(forecastPoints({ ...status, ratePctPerHour: null }, T0 + HOUR)).toEqual([]);
    expect(forecastPoints({ ...status, fillPct: null }, T0 + HOUR)).toEqual([]);
  });

  it('shades each collection from the last full reading to the first after', () => {
    expect(
      collectionSpans([
        { at: new Date(T0).toISOString(), lastFullReadingAt: new Date(T0 - HOUR).toISOString() },
        { at: new Date(T0 + HOUR).toISOString(), lastFullReadingAt: null },
        { at: null, lastFullReadingAt: null },
      ]),
    ).toEqual([
      { from: T0 - HOUR, to: T0 },
      { from: T0 + HOUR, to: T0 + HOUR },
    ]);
  });
});
