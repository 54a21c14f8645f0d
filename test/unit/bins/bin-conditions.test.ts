import { describe, expect, it } from 'vitest';
import { parsePending, pendingFor } from '../../../functions/core/alarm';
import { conditionsFor } from '../../../functions/core/conditions/build';
import { evaluateConditions, historyFor, observedValue } from '../../../functions/core/conditions/evaluate';
import type { Condition } from '../../../functions/core/conditions/types';
import { binDevice, waterDevice } from '../../helpers/telemetry';
import { series } from '../alarms/fixtures';

const QUARTER = 15 * 60_000;
const bin = binDevice('bin-1', { intervalS: 900 });
const conditions = conditionsFor(bin);
const statusAt = (
  values: Record<string, number | boolean>[],
  key: string,
  options: { open?: string[]; stepMs?: number; device?: Condition[] } = {},
) =>
  evaluateConditions(
    options.device ?? conditions,
    series(values, undefined, options.stepMs ?? QUARTER),
    new Set(options.open ?? []),
  ).get(key);
const temps = (...c: number[]) => c.map((temperature_c) => ({ temperature_c }));
const fill = (...f: number[]) => f.map((fill_pct) => ({ fill_pct }));

describe('bin conditions', () => {
  it('watches fill, overflow, fire and tilt for sanitation, fire also for supervisors', () => {
    const byKey = Object.fromEntries(conditions.map((c) => [c.key, c]));
    expect(byKey['fill:threshold']).toMatchObject({ severity: 'warning', audience: 'sanitation', level: 80 });
    expect(byKey['fill:overflow']).toMatchObject({
      severity: 'critical',
      audience: 'sanitation',
      level: 100,
    });
    expect(byKey.fire).toMatchObject({
      severity: 'critical',
      audience: 'sanitation',
      alsoNotify: ['supervisors'],
      level: 60,
      metric: 'temperature_c',
    });
    expect(byKey.tilt).toMatchObject({ severity: 'warning', audience: 'sanitation' });
    expect(byKey.battery).toMatchObject({ severity: 'device', audience: 'sanitation' });
    expect(byKey.offline).toMatchObject({ severity: 'device', audience: 'sanitation', afterMs: 3 * 900_000 });
    expect(byKey['range:temperature_c']).toMatchObject({ severity: 'sensor_fault', audience: 'engineers' });
    expect(conditions.some((c) => c.key.startsWith('limit:'))).toBe(false);
  });

  it('takes thresholds from the bin settings the registry stored', () => {
    const kitchen = conditionsFor(
      binDevice('bin-k', { binSettings: { collectionThresholdPct: 70, fireTemperatureC: 65 } }),
    );
    expect(kitchen.find((c) => c.key === 'fill:threshold')).toMatchObject({ level: 70 });
    expect(kitchen.find((c) => c.key === 'fire')).toMatchObject({ level: 65 });
  });

  it('looks back far enough for the fire rise at the reporting interval', () => {
    expect(historyFor(conditions)).toBeGreaterThanOrEqual(2);
    expect(historyFor(conditionsFor(binDevice('bin-fast', { intervalS: 60 })))).toBe(11);
  });
});

describe('bin fire', () => {
  it('breaches at 60 °C in one sample, even with no rise', () => {
    expect(statusAt(temps(61, 61.5), 'fire')).toBe('breach');
    expect(statusAt(temps(4, 4.3, 61), 'fire')).toBe('breach');
  });

  it('breaches on a rise of 15 °C within 10 minutes', () => {
    expect(statusAt(temps(5, 21), 'fire', { stepMs: 5 * 60_000 })).toBe('breach');
    expect(statusAt(temps(5, 19), 'fire', { stepMs: 5 * 60_000 })).not.toBe('breach');
  });

  it('judges a rise over a longer gap at the same rate: +22.5 °C in 15 minutes', () => {
    expect(statusAt(temps(3, 3.2, 28), 'fire')).toBe('breach');
    expect(statusAt(temps(3, 3.2, 24), 'fire')).not.toBe('breach');
  });

  it('does not take slow warming in the sun for fire', () => {
    const warming = temps(...Array.from({ length: 8 }, (_, i) => 20 + 3 * i));
    expect(statusAt(warming, 'fire')).not.toBe('breach');
  });

  it('clears once 10 °C below the level and no longer rising, and holds while still warm', () => {
    expect(statusAt(temps(75, 55), 'fire', { open: ['fire'] })).toBe('hold');
    expect(statusAt(temps(55, 44), 'fire', { open: ['fire'] })).toBe('normal');
    expect(statusAt(temps(30, 35), 'fire', { open: ['fire'] })).toBe('hold');
  });

  it('uses the per-bin level: a kitchen bin at 62 °C is no fire at 65', () => {
    const kitchen = conditionsFor(binDevice('bin-k', { binSettings: { fireTemperatureC: 65 } }));
    expect(statusAt(temps(62, 62), 'fire', { device: kitchen })).not.toBe('breach');
    expect(statusAt(temps(62, 66), 'fire', { device: kitchen })).toBe('breach');
  });

  it('reads 85 °C and −25 °C in a bin as real temperatures, not sensor faults (water sensors would be)', () => {
    expect(statusAt(temps(85), 'range:temperature_c')).toBe('normal');
    expect(statusAt(temps(-25), 'range:temperature_c')).toBe('normal');
    expect(
      evaluateConditions(conditionsFor(waterDevice('wq-1')), series(temps(-25)), new Set()).get(
        'range:temperature_c',
      ),
    ).toBe('breach');
  });
});

describe('bin tilt', () => {
  it('breaches on one tilted sample and clears on one upright sample', () => {
    expect(statusAt([{ tilt: false }, { tilt: true }], 'tilt')).toBe('breach');
    expect(statusAt([{ tilt: true }, { tilt: false }], 'tilt', { open: ['tilt'] })).toBe('normal');
    expect(statusAt([{ temperature_c: 4 }], 'tilt')).toBe('hold');
  });
});

describe('bin fill alarms', () => {
  it('raises overflow after two samples at 100 % and holds the threshold warning back meanwhile', () => {
    expect(statusAt(fill(90, 100), 'fill:overflow')).toBe('hold');
    expect(statusAt(fill(100, 100), 'fill:overflow')).toBe('breach');
    expect(statusAt(fill(100, 100), 'fill:threshold')).toBe('hold');
    expect(statusAt(fill(95, 96), 'fill:threshold', { open: ['fill:overflow'] })).toBe('hold');
  });

  it('raises overflow from the distance alone when the firmware sends no fill', () => {
    const surfaceAtSensor = [{ distance_mm: 0 }, { distance_mm: 0 }];
    expect(statusAt(surfaceAtSensor, 'fill:overflow')).toBe('breach');
  });

  it('warns at the collection threshold after two samples, clears 5 % below it', () => {
    expect(statusAt(fill(79, 80), 'fill:threshold')).toBe('hold');
    expect(statusAt(fill(79, 80, 82), 'fill:threshold')).toBe('breach');
    expect(statusAt(fill(83, 77), 'fill:threshold', { open: ['fill:threshold'] })).toBe('hold');
    expect(statusAt(fill(83, 6), 'fill:threshold', { open: ['fill:threshold'] })).toBe('normal');
  });

  it('does not clear a fill alarm from a tilted bin that reads empty', () => {
    const knocked: Record<string, number | boolean>[] = [
      { fill_pct: 85 },
      { fill_pct: 0, distance_mm: 1400, tilt: true },
    ];
    expect(statusAt(knocked, 'fill:threshold', { open: ['fill:threshold'] })).toBe('hold');
  });

  it('reports the fill an alarm saw, derived from the distance and rounded', () => {
    const threshold = conditions.find((c) => c.key === 'fill:threshold') as Condition;
    expect(observedValue(threshold, { ts: 0, seq: 0, m: { distance_mm: 200 } })).toBe(81.8);
  });
});

describe('notifications to more than one audience', () => {
  it('adds one pending entry per extra audience for raised and cleared, not for reminders', () => {
    const fire = { alsoNotify: ['supervisors' as const] };
    expect(pendingFor(fire, 'raised')).toEqual(['raised', 'raised@supervisors']);
    expect(pendingFor(fire, 'cleared')).toEqual(['cleared', 'cleared@supervisors']);
    expect(pendingFor(fire, 'reminder')).toEqual(['reminder']);
    expect(pendingFor({}, 'raised')).toEqual(['raised']);
    expect(parsePending('raised@supervisors')).toEqual({ kind: 'raised', audience: 'supervisors' });
    expect(parsePending('cleared')).toEqual({ kind: 'cleared' });
  });
});
