import type { Device } from '../../functions/core/registry';
import type { Sample } from '../../functions/core/telemetry';

/** 2025-11-28T10:00:00Z, the timestamp of the device-contract examples in the README. */
export const T0 = 1_764_324_000_000;
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * Water-quality metrics as a plant-outlet sensor reports them, all within the limits; `i` varies every value a little
 * so a run of samples never looks like a stuck sensor.
 */
export function waterMetrics(i = 0): Record<string, number> {
  const wobble = (i % 7) - 3;
  return {
    turbidity_ntu: 0.42 + wobble / 100,
    free_chlorine_mg_l: 0.61 + wobble / 100,
    ph: 7.3 + wobble / 50,
    conductivity_us_cm: 412 + wobble,
    temperature_c: 6.8 + wobble / 10,
  };
}

/** A residual-waste bin about two thirds full, upright; `i` varies the readings a little. */
export function binMetrics(i = 0): Record<string, number | boolean> {
  const wobble = (i % 7) - 3;
  return {
    fill_pct: 63.5 + wobble / 10,
    distance_mm: 412 - wobble,
    temperature_c: 3.1 + wobble / 10,
    tilt: false,
  };
}

/** One sample as a device sends it (wire format, before parsing). */
export function wireSample(ts: number, seq: number, m: Record<string, number | boolean> = waterMetrics(seq)) {
  return { ts, seq, m };
}

export function singlePayload(ts: number, seq: number, extra: Record<string, unknown> = {}): Buffer {
  return json({ v: 1, ...wireSample(ts, seq), ...extra });
}

/** A backfill batch of `count` samples one minute apart starting at `from`, seq numbers from `firstSeq`. */
export function batchPayload(from: number, count: number, firstSeq = 0, extra: Record<string, unknown> = {}) {
  const samples = Array.from({ length: count }, (_, i) => wireSample(from + i * MINUTE, firstSeq + i));
  return json({ v: 1, samples, ...extra });
}

export function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** A parsed sample (domain form). */
export function sample(
  ts: number,
  seq: number,
  m: Record<string, number | boolean> = waterMetrics(seq),
): Sample {
  return { ts, seq, m };
}

/** A registered water device joined with its site, as the registry returns it. */
export function waterDevice(id: string, overrides: Partial<Device> = {}): Device {
  return {
    id,
    kind: 'water',
    measurementPoint: 'plant_outlet',
    siteId: 'plant-test',
    location: { lat: 37.77, lon: 75.23 },
    intervalS: 60,
    siteName: 'Test plant',
    siteType: 'water_plant',
    township: 'Test Town',
    supplyClass: 'standard',
    disinfectant: 'free_chlorine',
    ...overrides,
  } as Device;
}

export function binDevice(id: string, overrides: Partial<Device> = {}): Device {
  return {
    id,
    kind: 'bin',
    depthMm: 1100,
    capacityL: 240,
    wasteStream: 'residual',
    siteId: 'market-test',
    location: { lat: 37.77, lon: 75.23 },
    intervalS: 600,
    siteName: 'Test market',
    siteType: 'market',
    township: 'Test Town',
    supplyClass: 'standard',
    disinfectant: 'none',
    ...overrides,
  } as Device;
}
