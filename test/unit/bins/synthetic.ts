import { mulberry32 } from '../../../device-sim/random';
import type { FillReading } from '../../../functions/core/bins';

function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

export const HOUR = 3_600_000;
export const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);

export interface SyntheticFill {
  readings: FillReading[];
  ratePctPerHour: number;
  startPct: number;
  /** True time the line reaches `level`, epoch ms. */
  trueTimeTo(level: number): number;
}

/**
 * A bin filling at a constant rate from just after a collection, read every `intervalMin` for `hours`: Gaussian
 * sensor noise (σ `noisePct`) plus outliers in a share `outlierShare` of the readings, half of them compaction
 * (the surface drops 3–10 %) and half a bag held under the sensor (reads 10–25 % fuller).
 */
export function syntheticFill(options: {
  seed: number;
  /** How long the bin is read; or `risePct`: until the true fill has risen this much. */
  hours?: number;
  risePct?: number;
  intervalMin?: number;
  noisePct?: number;
  outlierShare?: number;
}): SyntheticFill {
  const rng = mulberry32(options.seed);
  const ratePctPerHour = 1 + 7 * rng();
  const startPct = 2 + 6 * rng();
  const interval = (options.intervalMin ?? 15) * 60_000;
  const noise = options.noisePct ?? 1.5;
  const outliers = options.outlierShare ?? 0.1;
  const hours = options.hours ?? (options.risePct ?? 30) / ratePctPerHour;
  const readings: FillReading[] = [];
  for (let i = 0; i * interval <= hours * HOUR; i++) {
    const ts = T0 + i * interval;
    let fill = startPct + (ratePctPerHour * (ts - T0)) / HOUR + noise * gaussian(rng);
    if (rng() < outliers) fill += rng() < 0.5 ? -(3 + 7 * rng()) : 10 + 15 * rng();
    const clamped = Math.min(100, Math.max(0, fill));
    readings.push({ ts, seq: i, fillPct: clamped, rawPct: fill, source: 'fill_pct' });
  }
  return {
    readings,
    ratePctPerHour,
    startPct,
    trueTimeTo: (level) => T0 + ((level - startPct) / ratePctPerHour) * HOUR,
  };
}
