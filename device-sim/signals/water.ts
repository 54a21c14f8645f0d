import type { Device, Disinfectant } from '../../functions/core/registry';
import { hash32, mulberry32, rngFor } from '../random';
import { HOUR_MS, MINUTE_MS } from '../time';
import {
  batteryPct,
  clamp,
  demandFactor,
  diurnal,
  localHour,
  noise,
  rainIntensity,
  seasonal,
  slowWave,
  wander,
} from './common';
import type { SignalSample } from './types';

export type WaterDevice = Extract<Device, { kind: 'water' }>;

/** The disinfectant residual each site's dose is measured as, and how fast it decays (first order, per hour at 20 °C). */
const RESIDUALS: Record<Exclude<Disinfectant, 'none'>, { metric: string; setpoint: number; k20: number }> = {
  free_chlorine: { metric: 'free_chlorine_mg_l', setpoint: 0.72, k20: 0.08 },
  chloramine: { metric: 'total_chlorine_mg_l', setpoint: 1.3, k20: 0.02 },
  chlorine_dioxide: { metric: 'chlorine_dioxide_mg_l', setpoint: 0.38, k20: 0.07 },
};

/** Mean water age at each measurement point, hours; demand shortens it by day and stretches it at night. */
const WATER_AGE_H = { source: 0, plant_outlet: 0.5, network: 6, tap: 12 } as const;

/** The residual metric a device at this site reports, if the site disinfects and the point is past treatment. */
export function residualMetric(
  device: Pick<WaterDevice, 'disinfectant' | 'measurementPoint'>,
): string | undefined {
  if (device.disinfectant === 'none' || device.measurementPoint === 'source') return undefined;
  return RESIDUALS[device.disinfectant].metric;
}

/** Raw water at the township's source: a glacial river for standard supplies, a spring or well for small ones. */
function sourceWater(seed: number, device: WaterDevice, ts: number) {
  const rain = Math.min(1.2, rainIntensity(seed, device.township, ts));
  const wave = (key: string) => slowWave(seed, `${device.township}:${key}`, ts);
  if (device.supplyClass === 'standard') {
    return {
      rain,
      temperature: 4 + 3.5 * seasonal(ts) + 0.6 * diurnal(ts, 15),
      turbidity: 2.4 + 0.9 * wave('turbidity') + 40 * rain,
      conductivity: 300 - 45 * seasonal(ts) - 60 * Math.min(rain, 1) + 15 * wave('conductivity'),
      ph: 7.9 + 0.12 * wave('ph') - 0.15 * Math.min(rain, 1),
    };
  }
  return {
    rain,
    temperature: 7.5 + 0.6 * seasonal(ts),
    turbidity: 0.4 + 0.12 * wave('turbidity') + 1.2 * rain,
    conductivity: 480 + 20 * wave('conductivity') - 15 * rain,
    ph: 7.6 + 0.08 * wave('ph'),
  };
}

/** Oxygen solubility in fresh water (mg/L) at temperature, at about 3,100 m (68 % of sea-level pressure). */
function oxygenSaturation(temperatureC: number): number {
  const t = temperatureC;
  return 0.68 * (14.62 - 0.3898 * t + 0.006969 * t * t - 0.00005897 * t * t * t);
}

/**
 * One water-quality reading: chlorine decaying from outlet to tap (faster in warm water and where water stands long,
 * so it dips at night), turbidity noise and rain-driven rises at sources, cold high-altitude temperatures, pH and
 * conductivity wandering within their normal bands. Pure in (device, site, time, seed).
 */
export function waterSignal(device: WaterDevice, ts: number, seed: number): SignalSample {
  const rng = rngFor(seed, device.id, ts);
  const n = {
    temperature: noise(rng, 0.05),
    turbidity: noise(rng, 1),
    conductivity: noise(rng, 2),
    ph: noise(rng, 0.01),
    residual: noise(rng, 0.012),
    orp: noise(rng, 0.8),
    pressure: noise(rng, 3),
    oxygen: noise(rng, 0.08),
  };
  const site = mulberry32(hash32(seed, device.siteId, 'site'));
  const setpointFactor = 0.88 + 0.24 * site();
  const ageFactor = 0.7 + 0.6 * mulberry32(hash32(seed, device.id, 'age'))();
  const src = sourceWater(seed, device, ts);
  const point = device.measurementPoint;
  const demand = demandFactor(ts);
  const m: Record<string, number> = {};

  const warming = { source: 0, plant_outlet: 0.4, network: 1.2, tap: 2 }[point];
  const temperature =
    src.temperature + warming + (point === 'tap' ? 0.4 * diurnal(ts, 16) : 0) + n.temperature;
  if (point === 'source') {
    m.turbidity_ntu = Math.max(0.05, src.turbidity * (1 + 0.04 * n.turbidity));
    m.ph = src.ph + n.ph;
    m.conductivity_us_cm = src.conductivity + n.conductivity;
    m.temperature_c = Math.max(0.1, temperature);
    m.dissolved_oxygen_mg_l = oxygenSaturation(temperature) - 0.4 * src.rain + n.oxygen;
    return { ts, m, batteryPct: batteryPct(seed, device.id, ts, 240) };
  }

  // Treatment removes most particles; a storm upstream still shows, a couple of hours later.
  const lateRain = Math.min(1.2, rainIntensity(seed, device.township, ts - 2 * HOUR_MS));
  const baseTurbidity = { plant_outlet: 0.12, network: 0.18, tap: 0.22 }[point];
  const morningFlush = point === 'tap' ? 0.08 * Math.exp(-(((localHour(ts) - 7) / 1.2) ** 2)) : 0;
  m.turbidity_ntu = Math.max(
    0.02,
    baseTurbidity +
      0.04 * slowWave(seed, `${device.id}:turbidity`, ts) +
      0.1 * lateRain +
      morningFlush +
      0.015 * n.turbidity,
  );
  const residual = residualMetric(device);
  let trueResidual = 0;
  if (residual && device.disinfectant !== 'none') {
    const spec = RESIDUALS[device.disinfectant];
    // Dosing follows flow with a lag, so the outlet residual sags a little at peak demand.
    const outlet =
      spec.setpoint * setpointFactor * (1 + 0.04 * slowWave(seed, `${device.siteId}:dose`, ts)) -
      0.03 * (demand - 1);
    const k = spec.k20 * 1.07 ** (temperature - 20);
    const ageH = (WATER_AGE_H[point] * (point === 'plant_outlet' ? 1 : ageFactor)) / demand;
    trueResidual = Math.max(0, outlet * Math.exp(-k * ageH));
    m[residual] = Math.max(0, trueResidual + n.residual);
  }
  // The water's pH hunts around its slow level within minutes to an hour (dosing control); every analyser on the
  // same water sees that, while each adds its own measurement noise.
  const ph =
    src.ph -
    0.25 +
    0.05 * slowWave(seed, `${device.id}:ph`, ts) +
    0.01 * wander(seed, `${device.id}:ph`, ts, 4 * MINUTE_MS) +
    0.02 * wander(seed, `${device.id}:ph`, ts, 15 * MINUTE_MS) +
    0.015 * wander(seed, `${device.id}:ph`, ts, 45 * MINUTE_MS);
  m.ph = ph + n.ph;
  if (point !== 'tap') m.conductivity_us_cm = src.conductivity + 8 + n.conductivity;
  m.temperature_c = clamp(temperature, 0.1, 30);
  if (point === 'plant_outlet') {
    // ORP follows the water's chlorine and pH (HOCl dissociates as pH rises), not the other analysers' noise.
    m.orp_mv = 560 + 180 * trueResidual - 60 * (ph - 7.5) + n.orp;
  }
  if (point === 'network') m.pressure_kpa = 330 - 60 * (demand - 1) + n.pressure;
  return { ts, m, batteryPct: batteryPct(seed, device.id, ts, 240) };
}
