import type { Device, SiteType } from '../../functions/core/registry';
import { hash32, mulberry32, rngFor, uniformAt } from '../random';
import { DAY_MS, HOUR_MS } from '../time';
import {
  batteryPct,
  clamp,
  diurnal,
  LOCAL_UTC_OFFSET_H,
  localDay,
  localHour,
  localWeekday,
  noise,
  seasonal,
} from './common';
import type { SignalSample } from './types';

export type BinDevice = Extract<Device, { kind: 'bin' }>;

interface SiteProfile {
  /** Fill rate of a typical residual-waste bin, % of depth per hour, at a local hour and weekday. */
  rate(hour: number, weekday: number): number;
  /** Local hours of the collection rounds on a local day. */
  collections(day: number, parity: number): number[];
}

const market: SiteProfile = {
  rate: (h) => (h >= 9 && h < 19 ? 7 : (h >= 7 && h < 9) || (h >= 19 && h < 21) ? 2 : 0.1),
  collections: () => [7, 16],
};
const school: SiteProfile = {
  rate: (h, weekday) => (weekday >= 1 && weekday <= 5 && h >= 8 && h < 17 ? 2.2 : 0.05),
  collections: (day) => ([1, 3, 5].includes((day + 4) % 7) ? [17.5] : []),
};
const village: SiteProfile = {
  rate: (h) => (h >= 7 && h < 21 ? 1.6 : 0.1),
  collections: (day, parity) => ((day + parity) % 2 === 0 ? [9] : []),
};
const PROFILES: Record<SiteType, SiteProfile> = {
  market,
  school,
  village,
  town: village,
  water_source: village,
  water_plant: village,
  water_network: village,
};
const STREAM_FACTOR = { residual: 1, kitchen: 1.25, recyclable: 0.7, hazardous: 0.1 } as const;

/** Fill stops rising linearly near the top: people press the waste down or leave it beside the bin. */
function saturate(raw: number): number {
  return raw < 80 ? raw : 80 + 15 * (1 - Math.exp(-(raw - 80) / 15));
}

/** The latest collection round at or before ts, epoch ms (looks back a week). */
function lastCollection(device: BinDevice, ts: number, seed: number): number | undefined {
  const profile = PROFILES[device.siteType];
  const parity = Math.floor(uniformAt(seed, device.siteId, 'round') * 2);
  const today = localDay(ts);
  for (let day = today; day >= today - 7; day--) {
    const midnight = day * DAY_MS - LOCAL_UTC_OFFSET_H * HOUR_MS;
    const times = profile
      .collections(day, parity)
      .map((h) => midnight + h * HOUR_MS)
      .filter((t) => t <= ts)
      .sort((a, b) => b - a);
    if (times[0] !== undefined) return times[0];
  }
  return undefined;
}

/** True fill level, %: integrates the site's hourly fill rate since the last collection round. */
export function trueFill(device: BinDevice, ts: number, seed: number): number {
  const profile = PROFILES[device.siteType];
  const binFactor = (0.8 + 0.4 * uniformAt(seed, device.id, 'rate')) * STREAM_FACTOR[device.wasteStream];
  const bazaarDay = Math.floor(uniformAt(seed, device.siteId, 'bazaar') * 7);
  const from = lastCollection(device, ts, seed) ?? ts - 7 * DAY_MS;
  let raw = 1 + 4 * uniformAt(seed, device.id, 'residue', from);
  let t = from;
  while (t < ts) {
    const next = Math.min(ts, (Math.floor(t / HOUR_MS) + 1) * HOUR_MS);
    const weekday = localWeekday(t);
    const dayFactor = 0.85 + 0.3 * uniformAt(seed, device.siteId, localDay(t));
    const busy = device.siteType === 'market' && weekday === bazaarDay ? 1.5 : 1;
    raw += (profile.rate(localHour(t), weekday) * binFactor * dayFactor * busy * (next - t)) / HOUR_MS;
    t = next;
  }
  return saturate(raw);
}

/**
 * One bin reading: an ultrasonic distance to the waste surface with a few millimetres of noise, the fill the
 * firmware derives from it, the air temperature inside the bin (cold on the plateau, warmer for kitchen waste)
 * and the tilt switch. Bins fill at rates that depend on the site and are emptied by collection rounds.
 */
export function binSignal(device: BinDevice, ts: number, seed: number): SignalSample {
  const rng = rngFor(seed, device.id, ts);
  const n = { distance: noise(rng, 6), temperature: noise(rng, 0.3) };
  const fill = trueFill(device, ts, seed);
  const distance = clamp(device.depthMm * (1 - fill / 100) + n.distance, 0, device.depthMm * 1.05);
  const warm = device.wasteStream === 'kitchen' ? 1.5 : 0;
  const sun = 1 + 0.4 * mulberry32(hash32(seed, device.id, 'sun'))();
  return {
    ts,
    m: {
      fill_pct: fillFromDistance(distance, device.depthMm),
      distance_mm: distance,
      temperature_c: 2 + 11 * seasonal(ts) + 6 * sun * diurnal(ts, 15) + warm + n.temperature,
      tilt: false,
    },
    batteryPct: batteryPct(seed, device.id, ts, 400),
  };
}

/** What the firmware reports as fill: the share of the depth above the measured surface, 0–100 %. */
export function fillFromDistance(distanceMm: number, depthMm: number): number {
  return clamp(100 * (1 - distanceMm / depthMm), 0, 100);
}
