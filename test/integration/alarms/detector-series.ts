import { DETECTOR_DEFAULTS } from '../../../functions/core/event-detector';
import { HOUR, MINUTE } from '../../helpers/telemetry';
import { type SeriesOptions, waterSeries } from '../../helpers/water-series';

/** Normal data before a scenario: the detector's commissioning period and a few hours more. */
export const COMMISSIONING_SAMPLES = Math.ceil(((DETECTOR_DEFAULTS.commissioningHours + 6) * HOUR) / MINUTE);

/** A change added to the normal signal: `by` on `metric` from sample `from` for `minutes` samples. */
export type Shift = NonNullable<SeriesOptions['shifts']>[number];

/**
 * Where this plant outlet's water sits: the shared water series (test/helpers/water-series.ts) is centred on a network
 * with pH 8.3 and 0.3 mg/L chlorine, above the pH warning level and at the outlet's chlorine minimum; moved here to
 * pH 7.6 and 0.7 mg/L so that only the detector has something to say.
 */
const LEVEL: Readonly<Record<string, number>> = { ph: -0.7, free_chlorine_mg_l: 0.4 };

/**
 * One-minute plant-outlet readings as a real analyser set reports them, seeded: pH and ORP share a common component
 * (they move together), the other channels wander on their own, every value at its instrument's resolution; `shifts`
 * add steps. The same generator as the detector's unit tests, on this test's clock and as ingest samples.
 */
export function outletSeries(start: number, count: number, shifts: readonly Shift[] = [], seed = 1) {
  const rows = waterSeries({ minutes: count, seed, shifts: [...shifts] });
  const offset = start - (rows[0]?.ts ?? start);
  return rows.map((row, i) => {
    const m: Record<string, number> = {};
    for (const [metric, v] of Object.entries(row.values)) {
      if (v === undefined) continue;
      // Adding the level leaves float artefacts (7.609999…); three decimals give back the analyser's reading.
      m[metric] = Number((v + (LEVEL[metric] ?? 0)).toFixed(3));
    }
    return { ts: row.ts + offset, seq: i, m };
  });
}
