import { describe, expect, it } from 'vitest';
import { conditionsFor } from '../../../functions/core/conditions/build';
import { evaluateConditions } from '../../../functions/core/conditions/evaluate';
import type { ThresholdCondition } from '../../../functions/core/conditions/types';
import {
  applicableLimits,
  defaultWarningLevel,
  GB3838,
  GB5749,
  LIMITS,
} from '../../../functions/core/limits';
import type { Disinfectant, MeasurementPoint, SupplyClass } from '../../../functions/core/registry';
import { series, waterDevice } from './fixtures';

type Case = [MeasurementPoint, SupplyClass, Disinfectant, string, 'min' | 'max', number, string];

/** Every limit of the catalogue (docs/limits.md) at each point and supply class. */
const EXPECTED: Case[] = [
  ['plant_outlet', 'standard', 'free_chlorine', 'turbidity_ntu', 'max', 1, GB5749],
  ['tap', 'standard', 'free_chlorine', 'turbidity_ntu', 'max', 1, GB5749],
  ['plant_outlet', 'small', 'free_chlorine', 'turbidity_ntu', 'max', 3, GB5749],
  ['network', 'small', 'free_chlorine', 'turbidity_ntu', 'max', 3, GB5749],
  ['plant_outlet', 'standard', 'free_chlorine', 'ph', 'min', 6.5, GB5749],
  ['tap', 'small', 'free_chlorine', 'ph', 'max', 8.5, GB5749],
  ['source', 'standard', 'none', 'ph', 'min', 6, GB3838],
  ['source', 'small', 'none', 'ph', 'max', 9, GB3838],
  ['plant_outlet', 'standard', 'free_chlorine', 'free_chlorine_mg_l', 'min', 0.3, GB5749],
  ['network', 'standard', 'free_chlorine', 'free_chlorine_mg_l', 'min', 0.05, GB5749],
  ['tap', 'small', 'free_chlorine', 'free_chlorine_mg_l', 'min', 0.05, GB5749],
  ['plant_outlet', 'standard', 'free_chlorine', 'free_chlorine_mg_l', 'max', 2, GB5749],
  ['plant_outlet', 'standard', 'chloramine', 'total_chlorine_mg_l', 'min', 0.5, GB5749],
  ['tap', 'standard', 'chloramine', 'total_chlorine_mg_l', 'min', 0.05, GB5749],
  ['network', 'standard', 'chloramine', 'total_chlorine_mg_l', 'max', 3, GB5749],
  ['plant_outlet', 'small', 'chlorine_dioxide', 'chlorine_dioxide_mg_l', 'min', 0.1, GB5749],
  ['tap', 'small', 'chlorine_dioxide', 'chlorine_dioxide_mg_l', 'min', 0.02, GB5749],
  ['tap', 'standard', 'chlorine_dioxide', 'chlorine_dioxide_mg_l', 'max', 0.8, GB5749],
  ['tap', 'standard', 'free_chlorine', 'tds_mg_l', 'max', 1000, GB5749],
  ['plant_outlet', 'standard', 'free_chlorine', 'nitrate_n_mg_l', 'max', 10, GB5749],
  ['plant_outlet', 'small', 'free_chlorine', 'nitrate_n_mg_l', 'max', 20, GB5749],
  ['source', 'standard', 'none', 'nitrate_n_mg_l', 'max', 10, GB3838],
  ['tap', 'standard', 'free_chlorine', 'fluoride_mg_l', 'max', 1.0, GB5749],
  ['tap', 'small', 'free_chlorine', 'fluoride_mg_l', 'max', 1.2, GB5749],
  ['source', 'small', 'none', 'fluoride_mg_l', 'max', 1.0, GB3838],
  ['plant_outlet', 'standard', 'free_chlorine', 'ammonia_n_mg_l', 'max', 0.5, GB5749],
  ['source', 'standard', 'none', 'ammonia_n_mg_l', 'max', 1.0, GB3838],
  ['network', 'standard', 'free_chlorine', 'codmn_mg_l', 'max', 3, GB5749],
  ['source', 'standard', 'none', 'codmn_mg_l', 'max', 6, GB3838],
  ['source', 'standard', 'none', 'dissolved_oxygen_mg_l', 'min', 5, GB3838],
];

const epsilon = (v: number) => Math.max(Math.abs(v) * 1e-3, 1e-4);

describe('limits catalogue', () => {
  it.each(EXPECTED)(
    '%s / %s / %s: %s %s %s (%s)',
    (point, supplyClass, disinfectant, metric, direction, value, standard) => {
      const rules = applicableLimits({ measurementPoint: point, supplyClass, disinfectant });
      const matching = rules.filter((r) => r.metric === metric && r.direction === direction);
      expect(matching).toHaveLength(1);
      expect(matching[0]).toMatchObject({ value, standard });
    },
  );

  it.each(EXPECTED)(
    'breaches just beyond the limit and not at it: %s / %s / %s %s %s %s',
    (point, supplyClass, disinfectant, metric, direction, value) => {
      const device = waterDevice({ measurementPoint: point, supplyClass, disinfectant });
      const conditions = conditionsFor(device);
      const key = `limit:${metric}:${direction}`;
      const beyond = direction === 'max' ? value + epsilon(value) : value - epsilon(value);
      const at = evaluateConditions(
        conditions,
        series([{ [metric]: value }, { [metric]: value }, { [metric]: value }]),
        new Set(),
      );
      const over = evaluateConditions(
        conditions,
        series([{ [metric]: beyond }, { [metric]: beyond }, { [metric]: beyond }]),
        new Set(),
      );
      expect(at.get(key)).not.toBe('breach');
      expect(over.get(key)).toBe('breach');
    },
  );

  it('applies only the residual of the site disinfectant', () => {
    const rules = applicableLimits({
      measurementPoint: 'plant_outlet',
      supplyClass: 'standard',
      disinfectant: 'chlorine_dioxide',
    });
    expect(rules.some((r) => r.metric === 'free_chlorine_mg_l')).toBe(false);
    expect(rules.some((r) => r.metric === 'total_chlorine_mg_l')).toBe(false);
    expect(rules.filter((r) => r.metric === 'chlorine_dioxide_mg_l')).toHaveLength(2);
  });

  it('judges source water by GB 3838 only and no turbidity or residual limit', () => {
    const rules = applicableLimits({
      measurementPoint: 'source',
      supplyClass: 'standard',
      disinfectant: 'free_chlorine',
    });
    expect(rules.every((r) => r.standard === GB3838)).toBe(true);
    expect(rules.some((r) => r.metric === 'turbidity_ntu' || r.metric === 'free_chlorine_mg_l')).toBe(false);
  });

  it('carries a citation and marks unconfirmed values for every limit', () => {
    for (const rule of LIMITS) {
      expect(rule.table).toMatch(/Table/);
      expect([GB5749, GB3838]).toContain(rule.standard);
    }
    expect(LIMITS.filter((r) => r.verify).map((r) => `${r.metric}:${r.supplyClass ?? ''}`)).toEqual(
      expect.arrayContaining(['nitrate_n_mg_l:small', 'fluoride_mg_l:small', 'total_chlorine_mg_l:']),
    );
  });

  it('sets early warning at 80 % of a maximum, limit / 0.8 for a minimum and 0.3 inside the pH range', () => {
    expect(defaultWarningLevel({ metric: 'turbidity_ntu', direction: 'max', value: 1 })).toBe(0.8);
    expect(defaultWarningLevel({ metric: 'free_chlorine_mg_l', direction: 'min', value: 0.3 })).toBe(0.375);
    expect(defaultWarningLevel({ metric: 'ph', direction: 'max', value: 8.5 })).toBeCloseTo(8.2);
    expect(defaultWarningLevel({ metric: 'ph', direction: 'min', value: 6.5 })).toBeCloseTo(6.8);
  });

  it('uses per-site overrides of limits and warning levels from the registry', () => {
    const device = waterDevice({
      alarmSettings: {
        limits: { turbidity_ntu: { max: 0.5, warnMax: 0.3 }, conductivity_us_cm: { max: 800 } },
      },
    });
    const conditions = conditionsFor(device) as ThresholdCondition[];
    expect(conditions.find((c) => c.key === 'limit:turbidity_ntu:max')).toMatchObject({
      level: 0.5,
      citation: expect.stringContaining('site limit'),
    });
    expect(conditions.find((c) => c.key === 'warn:turbidity_ntu:max')).toMatchObject({ level: 0.3 });
    expect(conditions.find((c) => c.key === 'limit:conductivity_us_cm:max')).toMatchObject({ level: 800 });
  });
});
