import { describe, expect, it } from 'vitest';
import { conditionsFor } from '../../../functions/core/conditions/build';
import { evaluateConditions } from '../../../functions/core/conditions/evaluate';
import { series, waterDevice } from './fixtures';

const outlet = waterDevice();
const conditions = conditionsFor(outlet);
const statusAt = (values: Record<string, number>[], key: string, open: string[] = []) =>
  evaluateConditions(conditions, series(values), new Set(open)).get(key);

describe('condition evaluation', () => {
  it('waits for the on-delay: one low chlorine sample holds, two breach', () => {
    expect(
      statusAt([{ free_chlorine_mg_l: 0.6 }, { free_chlorine_mg_l: 0.1 }], 'limit:free_chlorine_mg_l:min'),
    ).toBe('hold');
    expect(
      statusAt([{ free_chlorine_mg_l: 0.1 }, { free_chlorine_mg_l: 0.1 }], 'limit:free_chlorine_mg_l:min'),
    ).toBe('breach');
  });

  it('waits three samples for noisy turbidity', () => {
    const key = 'limit:turbidity_ntu:max';
    expect(statusAt([{ turbidity_ntu: 1.5 }, { turbidity_ntu: 1.5 }], key)).toBe('hold');
    expect(statusAt([{ turbidity_ntu: 1.5 }, { turbidity_ntu: 1.5 }, { turbidity_ntu: 1.5 }], key)).toBe(
      'breach',
    );
  });

  it('raises after the on-delay in seconds when configured, before the sample count', () => {
    const device = waterDevice({
      alarmSettings: { onDelay: { free_chlorine_mg_l: { samples: 10, seconds: 120 } } },
    });
    const c = conditionsFor(device);
    const s = series([{ free_chlorine_mg_l: 0.1 }, { free_chlorine_mg_l: 0.1 }, { free_chlorine_mg_l: 0.1 }]);
    expect(evaluateConditions(c, s.slice(0, 2), new Set()).get('limit:free_chlorine_mg_l:min')).toBe('hold');
    expect(evaluateConditions(c, s, new Set()).get('limit:free_chlorine_mg_l:min')).toBe('breach');
  });

  it('does not clear inside the deadband, clears beyond it', () => {
    const key = 'limit:free_chlorine_mg_l:min';
    expect(statusAt([{ free_chlorine_mg_l: 0.32 }], key, [key])).toBe('hold');
    expect(statusAt([{ free_chlorine_mg_l: 0.36 }], key, [key])).toBe('normal');
  });

  it('does not chatter for a value hovering at the limit', () => {
    const key = 'limit:turbidity_ntu:max';
    const hovering = [1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.02].map((t) => ({ turbidity_ntu: t }));
    const statuses = hovering.map((_, i) => statusAt(hovering.slice(0, i + 1), key, [key]));
    expect(statuses).not.toContain('breach');
    expect(statuses).not.toContain('normal');
  });

  it('holds back the early warning while the limit itself is breached', () => {
    const low = [{ free_chlorine_mg_l: 0.1 }, { free_chlorine_mg_l: 0.1 }];
    expect(statusAt(low, 'warn:free_chlorine_mg_l:min')).toBe('hold');
    const warnBand = [{ free_chlorine_mg_l: 0.35 }, { free_chlorine_mg_l: 0.34 }];
    expect(statusAt(warnBand, 'warn:free_chlorine_mg_l:min')).toBe('breach');
  });

  it('treats pH 15 as a sensor fault and never as unsafe water', () => {
    const values = [{ ph: 15 }, { ph: 15 }, { ph: 15 }];
    expect(statusAt(values, 'range:ph')).toBe('breach');
    expect(statusAt(values, 'limit:ph:max')).toBe('hold');
    expect(statusAt([{ turbidity_ntu: -1 }], 'range:turbidity_ntu')).toBe('breach');
  });

  // A run is judged against the channel's own repeats before it (core/quality.ts): these pH channels moved by at
  // least the resolution (0.01) every sample, over more than a few readings, before they froze.
  const movingPh = Array.from({ length: 12 }, (_, i) => ({
    ph: 7.3 + (i % 5) * 0.03,
    temperature_c: 5 + i * 0.1,
  }));

  it('finds a stuck channel when its neighbours move, and not when everything is steady', () => {
    const stuck = [
      ...movingPh,
      ...Array.from({ length: 10 }, (_, i) => ({
        ph: 7.21,
        temperature_c: 6 + i * 0.1,
        free_chlorine_mg_l: 0.6,
      })),
    ];
    expect(statusAt(stuck, 'stuck:ph')).toBe('breach');
    const steady = [...movingPh, ...Array.from({ length: 10 }, () => ({ ph: 7.21, temperature_c: 6 }))];
    expect(statusAt(steady, 'stuck:ph')).not.toBe('breach');
    expect(statusAt(stuck.slice(0, -1), 'stuck:ph')).not.toBe('breach');
  });

  it('does not judge a stuck channel against its limit', () => {
    const stuckLow = [
      ...movingPh,
      ...Array.from({ length: 10 }, (_, i) => ({ ph: 6.0, temperature_c: 6 + i * 0.1 })),
    ];
    expect(statusAt(stuckLow, 'stuck:ph')).toBe('breach');
    expect(statusAt(stuckLow, 'limit:ph:min')).toBe('hold');
  });

  it('clears a stuck alarm once the channel moves again', () => {
    const values = [
      ...Array.from({ length: 10 }, (_, i) => ({ ph: 7.2, temperature_c: 6 + i })),
      { ph: 7.25, temperature_c: 17 },
    ];
    expect(statusAt(values, 'stuck:ph', ['stuck:ph'])).toBe('normal');
  });

  it('raises low battery below 20 % and clears above 25 %', () => {
    const samples = (pct: number[]) =>
      pct.map((batteryPct, i) => ({
        ts: 1_800_000_000_000 + i * 60_000,
        seq: i,
        m: { ph: 7 },
        batteryPct,
        receivedAt: 0,
      }));
    expect(evaluateConditions(conditions, samples([18, 17]), new Set()).get('battery')).toBe('breach');
    expect(evaluateConditions(conditions, samples([23]), new Set(['battery'])).get('battery')).toBe('hold');
    expect(evaluateConditions(conditions, samples([26]), new Set(['battery'])).get('battery')).toBe('normal');
  });
});
