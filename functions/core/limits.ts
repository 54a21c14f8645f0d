import type { WaterMetric } from './metrics';
import type { Disinfectant, MeasurementPoint, SupplyClass } from './registry';

/**
 * The limits catalogue: safe-drinking-water limits as data, keyed by standard, measurement point, supply class and
 * disinfectant (docs/limits.md lists every rule with its source). Each limit carries the clause it cites, so an SMS
 * and a report can name it. A second standard is a data change here, not a code change.
 */
export interface LimitRule extends Clause {
  metric: WaterMetric;
  points: readonly MeasurementPoint[];
  /** Only for this supply class; otherwise for every class without a rule of its own. */
  supplyClass?: SupplyClass;
  /** Residual limits apply only where this disinfectant is used. */
  disinfectant?: Disinfectant;
  direction: 'min' | 'max';
  value: number;
  unit: string;
  /** Not confirmed against the official text of the standard (docs/limits.md); overridable per site. */
  verify?: boolean;
}

/** A clause of a standard, as cited in full and as short as an SMS has room for. */
export interface Clause {
  standard: string;
  /** Where in the standard, e.g. "Table 2". */
  table: string;
  short: { zh: string; en: string };
}

export const GB5749 = 'GB 5749-2022';
export const GB3838 = 'GB 3838-2002';

const GB5749_T1: Clause = {
  standard: GB5749,
  table: 'Table 1',
  short: { zh: 'GB5749表1', en: 'GB 5749 T1' },
};
const GB5749_T2: Clause = {
  standard: GB5749,
  table: 'Table 2',
  short: { zh: 'GB5749表2', en: 'GB 5749 T2' },
};
const GB3838_T1_III: Clause = {
  standard: GB3838,
  table: 'Table 1, class III',
  short: { zh: 'GB3838表1 III类', en: 'GB 3838 T1 cl.III' },
};

const TREATED: readonly MeasurementPoint[] = ['plant_outlet', 'network', 'tap'];
const OUTLET: readonly MeasurementPoint[] = ['plant_outlet'];
const END: readonly MeasurementPoint[] = ['network', 'tap'];
const SOURCE: readonly MeasurementPoint[] = ['source'];

const t1 = (
  metric: WaterMetric,
  direction: 'min' | 'max',
  value: number,
  unit: string,
  extra: Partial<LimitRule> = {},
) =>
  ({
    ...GB5749_T1,
    metric,
    points: TREATED,
    direction,
    value,
    unit,
    ...extra,
  }) as LimitRule;
const t2 = (
  metric: WaterMetric,
  disinfectant: Disinfectant,
  points: readonly MeasurementPoint[],
  direction: 'min' | 'max',
  value: number,
  extra: Partial<LimitRule> = {},
) =>
  ({
    ...GB5749_T2,
    metric,
    disinfectant,
    points,
    direction,
    value,
    unit: 'mg/L',
    ...extra,
  }) as LimitRule;
const src = (metric: WaterMetric, direction: 'min' | 'max', value: number, unit: string) =>
  ({
    ...GB3838_T1_III,
    metric,
    points: SOURCE,
    direction,
    value,
    unit,
  }) as LimitRule;

export const LIMITS: readonly LimitRule[] = [
  t1('turbidity_ntu', 'max', 1, 'NTU'),
  t1('turbidity_ntu', 'max', 3, 'NTU', { supplyClass: 'small' }),
  t1('ph', 'min', 6.5, 'pH'),
  t1('ph', 'max', 8.5, 'pH'),
  t1('tds_mg_l', 'max', 1000, 'mg/L'),
  t1('nitrate_n_mg_l', 'max', 10, 'mg/L'),
  t1('nitrate_n_mg_l', 'max', 20, 'mg/L', { supplyClass: 'small', verify: true }),
  t1('fluoride_mg_l', 'max', 1.0, 'mg/L'),
  t1('fluoride_mg_l', 'max', 1.2, 'mg/L', { supplyClass: 'small', verify: true }),
  t1('ammonia_n_mg_l', 'max', 0.5, 'mg/L'),
  t1('codmn_mg_l', 'max', 3, 'mg/L'),
  // No confirmed small-supply CODMn relaxation (docs/limits.md): keep the general value, which errs safe; flagged.
  t1('codmn_mg_l', 'max', 3, 'mg/L', { supplyClass: 'small', verify: true }),
  t2('free_chlorine_mg_l', 'free_chlorine', OUTLET, 'min', 0.3),
  t2('free_chlorine_mg_l', 'free_chlorine', END, 'min', 0.05),
  t2('free_chlorine_mg_l', 'free_chlorine', TREATED, 'max', 2),
  t2('total_chlorine_mg_l', 'chloramine', OUTLET, 'min', 0.5),
  t2('total_chlorine_mg_l', 'chloramine', END, 'min', 0.05, { verify: true }),
  t2('total_chlorine_mg_l', 'chloramine', TREATED, 'max', 3),
  t2('chlorine_dioxide_mg_l', 'chlorine_dioxide', OUTLET, 'min', 0.1),
  t2('chlorine_dioxide_mg_l', 'chlorine_dioxide', END, 'min', 0.02),
  t2('chlorine_dioxide_mg_l', 'chlorine_dioxide', TREATED, 'max', 0.8),
  src('ph', 'min', 6, 'pH'),
  src('ph', 'max', 9, 'pH'),
  src('nitrate_n_mg_l', 'max', 10, 'mg/L'),
  src('fluoride_mg_l', 'max', 1.0, 'mg/L'),
  src('ammonia_n_mg_l', 'max', 1.0, 'mg/L'),
  src('codmn_mg_l', 'max', 6, 'mg/L'),
  src('dissolved_oxygen_mg_l', 'min', 5, 'mg/L'),
];

export interface LimitContext {
  measurementPoint: MeasurementPoint;
  supplyClass: SupplyClass;
  disinfectant: Disinfectant;
}

/** The limits that apply at a point: a supply class's own rule replaces the general one for the same metric/direction. */
export function applicableLimits(ctx: LimitContext, catalogue: readonly LimitRule[] = LIMITS): LimitRule[] {
  const candidates = catalogue.filter(
    (r) =>
      r.points.includes(ctx.measurementPoint) &&
      (r.disinfectant === undefined || r.disinfectant === ctx.disinfectant) &&
      (r.supplyClass === undefined || r.supplyClass === ctx.supplyClass),
  );
  return candidates.filter(
    (r) =>
      r.supplyClass !== undefined ||
      !candidates.some(
        (o) => o !== r && o.supplyClass !== undefined && o.metric === r.metric && o.direction === r.direction,
      ),
  );
}

/**
 * Early-warning levels: by default a fraction of the limit (a maximum warns at 80 % of it, a minimum at limit / 0.8),
 * except pH, whose warning is an absolute band inside the range.
 */
export const WARNING_DEFAULTS = { fraction: 0.8, phBand: 0.3 } as const;

export function defaultWarningLevel(
  rule: Pick<LimitRule, 'metric' | 'direction' | 'value'>,
  fraction: number = WARNING_DEFAULTS.fraction,
): number {
  if (rule.metric === 'ph')
    return rule.direction === 'max'
      ? rule.value - WARNING_DEFAULTS.phBand
      : rule.value + WARNING_DEFAULTS.phBand;
  const level = rule.direction === 'max' ? rule.value * fraction : rule.value / fraction;
  return Math.round(level * 1000) / 1000;
}
