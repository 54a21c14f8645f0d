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
export type BinMetric = (typeof BIN_METRICS)[number];

const known = new Set<string>([...WATER_METRICS, ...BIN_METRICS]);

export function isKnownMetric(name: string): boolean {
  return known.has(name);
}
