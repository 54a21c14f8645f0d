import { readFileSync } from 'node:fs';
import type { CliIo } from '../../../device-sim/cli';
import type { Emission } from '../../../device-sim/device';
import { buildDeviceSims, deviceIntervalMs, simulate } from '../../../device-sim/plan';
import { parseScenarioSpecs, resolveScenarios } from '../../../device-sim/scenarios';
import type { ScenarioInstance } from '../../../device-sim/scenarios/types';
import { type Device, type Fleet, fleetDevices, parseFleet } from '../../../functions/core/registry';

const EXAMPLE_FLEET_FILE = 'infra/fleet/example-county.json';
export const exampleFleet: Fleet = parseFleet(JSON.parse(readFileSync(EXAMPLE_FLEET_FILE, 'utf8')));
export const exampleDevices: Device[] = fleetDevices(exampleFleet);

export function device(id: string): Device {
  const d = exampleDevices.find((x) => x.id === id);
  if (!d) throw new Error(`no device ${id} in the example fleet`);
  return d;
}

/** 2025-07-15 00:00 UTC: a summer day (rain likely, warm water) unless a test picks another. */
export const SUMMER = Date.UTC(2025, 6, 15);
export const WINTER = Date.UTC(2025, 0, 15);

export interface PlanRun {
  emissions: Emission[];
  instances: ScenarioInstance[];
  simStart: number;
}

/** Runs the example fleet (or some of it) without a broker and returns every emission in simulated-time order. */
export function runPlan(
  options: {
    scenarios?: string[];
    seed?: number;
    simStart?: number;
    hours?: number;
    samples?: number;
    devices?: string[];
    batchAll?: boolean;
    intervalS?: number;
    fleet?: Fleet;
  } = {},
): PlanRun {
  const fleet = options.fleet ?? exampleFleet;
  const all = options.fleet ? fleetDevices(fleet) : exampleDevices;
  const devices = options.devices ? all.filter((d) => options.devices?.includes(d.id)) : all;
  const simStart = options.simStart ?? SUMMER;
  const instances = resolveScenarios(parseScenarioSpecs(options.scenarios ?? []), { fleet, devices }, (d) =>
    deviceIntervalMs(d, options.intervalS),
  );
  const sims = buildDeviceSims(devices, instances, {
    seed: options.seed ?? 42,
    simStart,
    intervalS: options.intervalS,
    batchAll: options.batchAll ?? false,
    batchSize: 100,
    basicIngest: false,
    allowRogue: true,
  });
  const stop = {
    simEnd: simStart + (options.hours ?? 2) * 3_600_000,
    ...(options.samples === undefined ? {} : { samplesPerDevice: options.samples }),
  };
  return { emissions: [...simulate(sims, stop)], instances, simStart };
}

/** The single-sample payloads of one device, parsed. */
export function samplesOf(emissions: readonly Emission[], deviceId: string) {
  return emissions
    .filter((e) => e.deviceId === deviceId && e.type === 'sample')
    .map(
      (e) =>
        JSON.parse(e.payload) as {
          ts: number;
          seq: number;
          m: Record<string, number | boolean>;
          battery_pct?: number;
        },
    );
}

/** A CLI io that keeps what the CLI writes. */
export function captureIo(env: Record<string, string | undefined> = {}, signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env,
    ...(signal ? { signal } : {}),
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}
