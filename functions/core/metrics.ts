/** Water metrics the limits catalogue knows; names carry their unit. Other metrics are stored, not evaluated. */
export const WATER_METRICS = [
  'turbidity_ntu',
  'ph',
  'free_chlorine_mg_l',
  'total_chlorine_mg_l',
  'chlorine_dioxide_mg_l',
  'conductivity_us_cm',
  'tds_mg_l',
  'temperature_c',
  'orp_mv',
  'dissolved_oxygen_mg_l',
  'nitrate_n_mg_l',
  'ammonia_n_mg_l',
  'fluoride_mg_l',
  'codmn_mg_l',
  'pressure_kpa',
  'flow_m3_h',
] as const;
export type WaterMetric = (typeof WATER_METRICS)[number];

/** Bin metrics (LwM2M object 3435 "Filling level" in spirit). */
export const BIN_METRICS = ['fill_pct', 'distance_mm', 'temperature_c', 'tilt'] as const;

/**
 * A record's own entry for a metric name, never one inherited from Object.prototype: `m.constructor` on a plain
 * object is the Object function, not a reading. Every lookup by a metric name goes through here.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, name) ? record[name] : undefined;
}
