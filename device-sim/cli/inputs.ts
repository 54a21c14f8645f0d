import { type Device, type Fleet, fleetDevices } from '../../functions/core/registry';
import { DEFAULT_FLEET_FILE } from '../../infra/fleet/read-fleet';
import type { CliIo } from '../cli';
import { generateFleet, loadFleet, UsageError } from '../fleet';
import { parseScenarioSpecs, type ScenarioSpec } from '../scenarios';
import { parseDuration, parseInstant } from '../time';
import type { CliValues } from './options';
import { parsed, positive } from './values';

/** The fleet to simulate and where it came from, in words for the start line. */
export interface FleetChoice {
  fleet: Fleet;
  source: string;
  /** Generated with --water/--bins rather than read from a file. */
  generated: boolean;
}

/** A generated county (--water/--bins), or the fleet file (--fleet, $FLEET_FILE, the example county). */
export async function resolveFleet(values: CliValues, env: CliIo['env'], seed: number): Promise<FleetChoice> {
  const water = positive('water', values.water) ?? 0;
  const bins = positive('bins', values.bins) ?? 0;
  const generated = values.water !== undefined || values.bins !== undefined;
  if (water > 0 || bins > 0) {
    if (values.fleet) throw new UsageError('give either --fleet or --water/--bins, not both');
    const townships = positive('townships', values.townships) ?? 3;
    const intervalS = positive('interval', values.interval, { max: 86_400 });
    const fleet = generateFleet({ water, bins, townships, seed, ...(intervalS ? { intervalS } : {}) });
    return { fleet, source: `generated (${water} water, ${bins} bins, ${townships} townships)`, generated };
  }
  const file = values.fleet ?? env.FLEET_FILE ?? DEFAULT_FLEET_FILE;
  return { fleet: await loadFleet(file), source: file, generated };
}

/** The fleet's devices, or those named by --devices (device or site ids). */
export function selectDevices({ fleet, source }: FleetChoice, list: string | undefined): Device[] {
  const all = fleetDevices(fleet);
  const wanted = (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !all.some((d) => d.id === w || d.siteId === w));
  if (unknown.length) throw new UsageError(`--devices: no device or site ${unknown.join(', ')} in the fleet`);
  const devices = list ? all.filter((d) => wanted.includes(d.id) || wanted.includes(d.siteId)) : all;
  if (devices.length === 0) throw new UsageError(`the fleet (${source}) has no devices`);
  return devices;
}

/** How simulated time runs: live at a speed, or a window backfilled as fast as acknowledged. */
export interface Timing {
  backfill: boolean;
  speed: number;
  from?: number;
  to?: number;
  durationMs?: number;
  samplesPerDevice?: number;
  batchSize: number;
  intervalS?: number;
}

/** The time options, checked against each other. */
export function resolveTiming(values: CliValues, now: number, generatedFleet: boolean): Timing {
  const backfill = values.to !== undefined && values.speed === undefined;
  const speed = positive('speed', values.speed, { integer: false }) ?? 1;
  const from = parsed('from', values.from, (t) => parseInstant(t, now));
  const to = parsed('to', values.to, (t) => parseInstant(t, now));
  if (backfill && from === undefined)
    throw new UsageError('--to without --speed backfills a window: give --from too');
  if (from !== undefined && to !== undefined && from >= to)
    throw new UsageError('--from must be before --to');
  const durationMs = parsed('duration', values.duration, parseDuration);
  const samplesPerDevice = positive('samples', values.samples);
  const batchSize = positive('batch-size', values['batch-size'], { max: 100 }) ?? 100;
  // A generated fleet already took --interval when it was generated.
  const intervalS = generatedFleet ? undefined : positive('interval', values.interval, { max: 86_400 });
  return {
    backfill,
    speed,
    batchSize,
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(samplesPerDevice !== undefined ? { samplesPerDevice } : {}),
    ...(intervalS !== undefined ? { intervalS } : {}),
  };
}

/** The scenarios named by --scenario. */
export function resolveScenarios(values: CliValues): ScenarioSpec[] {
  return parseScenarioSpecs(values.scenario ?? []);
}
