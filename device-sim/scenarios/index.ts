import { METRIC_NAME_PATTERN } from '../../functions/contract';
import type { Device } from '../../functions/core/registry';
import { UsageError } from '../fleet';
import { baseSignal } from '../signals';
import { parseDuration } from '../time';
import { binCollectionRound, binFire, binOverflow, binSteadyFill, binTilt } from './bin-events';
import { duplicateDelivery, malformed, offlineBackfill } from './delivery';
import { normal } from './normal';
import { lowBattery, sensorDrift, sensorOutOfRange, sensorStuck } from './sensor-faults';
import type { Params, ScenarioDef, ScenarioInstance, World } from './types';
import { chlorineLoss, contamination, intrusion, turbiditySpike } from './water-events';

export type * from './types';

/** Every scenario, in the order `--list-scenarios` shows them. */
export const SCENARIOS: readonly ScenarioDef[] = [
  normal,
  chlorineLoss,
  turbiditySpike,
  intrusion,
  contamination,
  sensorStuck,
  sensorDrift,
  sensorOutOfRange,
  offlineBackfill,
  duplicateDelivery,
  malformed,
  binOverflow,
  binFire,
  binTilt,
  binSteadyFill,
  binCollectionRound,
  lowBattery,
];

function findScenario(name: string): ScenarioDef | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** `--scenario` as written: `name[@target][+start][~duration][:key=value…]`. */
export interface ScenarioSpec {
  text: string;
  name: string;
  target?: string;
  startMs?: number;
  durationMs?: number;
  params: Record<string, string>;
}

const SPEC =
  /^([a-z][a-z-]*)(?:@([A-Za-z0-9_-]+))?(?:\+([0-9.]+(?:ms|s|m|h|d)?))?(?:~([0-9.]+(?:ms|s|m|h|d)?))?((?::[a-z_]+=[^:]*)*)$/;

export const SCENARIO_SYNTAX =
  'name[@device|site|all][+start][~duration][:param=value…], e.g. chlorine-loss@wq-town-outlet+10m~30m';

/** Parses comma-separated scenario specs (the option may also be repeated). */
export function parseScenarioSpecs(texts: readonly string[]): ScenarioSpec[] {
  const specs: ScenarioSpec[] = [];
  for (const text of texts
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean)) {
    const match = SPEC.exec(text);
    if (!match?.[1]) throw new UsageError(`--scenario "${text}" is not ${SCENARIO_SYNTAX}`);
    const def = findScenario(match[1]);
    if (!def) {
      throw new UsageError(
        `unknown scenario "${match[1]}"; known: ${SCENARIOS.map((s) => s.name).join(', ')} (--list-scenarios describes them)`,
      );
    }
    const params: Record<string, string> = {};
    for (const pair of (match[5] ?? '').split(':').filter(Boolean)) {
      const [key, value = ''] = pair.split('=') as [string, string?];
      const spec = def.params?.[key];
      if (!spec) {
        const known = Object.keys(def.params ?? {});
        throw new UsageError(
          `scenario ${def.name} has no parameter "${key}"${known.length ? `; it takes ${known.join(', ')}` : ''}`,
        );
      }
      const problem = checkParam(spec.type, value, spec.choices);
      if (problem) throw new UsageError(`--scenario ${text}: ${key}=${value} ${problem}`);
      params[key] = value;
    }
    const spec: ScenarioSpec = { text, name: def.name, params };
    if (match[2]) spec.target = match[2];
    if (match[3]) spec.startMs = parseDuration(match[3]);
    if (match[4]) spec.durationMs = parseDuration(match[4]);
    specs.push(spec);
  }
  return specs;
}

function checkParam(type: string, value: string, choices?: readonly string[]): string | undefined {
  switch (type) {
    case 'number':
      return value !== '' && Number.isFinite(Number(value)) ? undefined : 'is not a number';
    case 'auto-number':
      return value === 'auto' || (value !== '' && Number.isFinite(Number(value)))
        ? undefined
        : 'is not a number or auto';
    case 'metric':
      return METRIC_NAME_PATTERN.test(value) ? undefined : 'is not a metric name';
    case 'duration':
      try {
        parseDuration(value);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    case 'list': {
      const bad = value.split('/').filter((v) => !choices?.includes(v));
      return bad.length === 0 && value !== ''
        ? undefined
        : `names unknown entries (${bad.join(', ')}); choose from ${choices?.join(', ')}`;
    }
    default:
      return undefined;
  }
}

function reportsMetric(device: Device, metric: string): boolean {
  return metric in baseSignal(device, Date.UTC(2025, 0, 1), 0).m;
}

/**
 * Resolves specs against the fleet: targets (explicit, or the scenario's default), parameters with defaults, the
 * start and duration (defaults counted in the targets' reporting interval), and the devices reached. A `normal`
 * instance covering the whole fleet comes first unless the user gave one.
 */
export function resolveScenarios(
  specs: readonly ScenarioSpec[],
  world: World,
  intervalMs: (device: Device) => number,
): ScenarioInstance[] {
  const all = specs.some((s) => s.name === 'normal')
    ? [...specs]
    : [{ text: 'normal', name: 'normal', params: {} }, ...specs];
  return all.map((spec, index) => {
    const def = findScenario(spec.name) as ScenarioDef;
    const params: Params = {
      ...Object.fromEntries(Object.entries(def.params ?? {}).map(([k, p]) => [k, p.default])),
      ...spec.params,
    };
    const targets = pickTargets(def, spec.target, world, intervalMs);
    for (const [name, p] of Object.entries(def.params ?? {})) {
      const metric = params[name];
      if (p.type !== 'metric' || metric === undefined) continue;
      const missing = targets.filter((d) => !reportsMetric(d, metric));
      if (missing.length > 0) {
        throw new UsageError(
          `--scenario ${spec.text}: ${missing.map((d) => d.id).join(', ')} does not report ${metric}; choose another with :${name}=…`,
        );
      }
    }
    const reference = Math.min(...targets.map(intervalMs));
    const durationMs =
      spec.durationMs ??
      (def.defaultDurationSamples === undefined ? undefined : def.defaultDurationSamples * reference);
    return {
      index,
      def,
      label: spec.text,
      params,
      startOffsetMs: spec.startMs ?? def.defaultStartMs ?? def.defaultStartSamples * reference,
      durationMs,
      affected: def.propagate
        ? def.propagate(targets, world, params)
        : targets.map((device) => ({ device, lagMs: 0, strength: 1 })),
    };
  });
}

function pickTargets(
  def: ScenarioDef,
  target: string | undefined,
  world: World,
  intervalMs: (device: Device) => number,
): Device[] {
  const applicable = world.devices.filter((d) => def.appliesTo.test(d));
  if (applicable.length === 0) {
    throw new UsageError(`scenario ${def.name} applies to ${def.appliesTo.text}, and the fleet has none`);
  }
  if (target === 'all' || (target === undefined && def.defaultTarget === 'all')) return applicable;
  if (target === undefined) {
    const order = world.devices.map((d) => d.id);
    const ranked = [...applicable].sort(
      (a, b) =>
        Number(!def.prefer?.(a)) - Number(!def.prefer?.(b)) ||
        intervalMs(a) - intervalMs(b) ||
        order.indexOf(a.id) - order.indexOf(b.id),
    );
    return ranked.slice(0, 1);
  }
  const device = world.devices.find((d) => d.id === target);
  if (device) {
    if (!def.appliesTo.test(device)) {
      throw new UsageError(
        `scenario ${def.name} does not apply to ${device.id}: it applies to ${def.appliesTo.text}`,
      );
    }
    return [device];
  }
  const atSite = world.devices.filter((d) => d.siteId === target);
  if (atSite.length === 0)
    throw new UsageError(`scenario ${def.name}: no device or site "${target}" in the fleet`);
  const usable = atSite.filter((d) => def.appliesTo.test(d));
  if (usable.length === 0) {
    throw new UsageError(`scenario ${def.name}: no device at site ${target} is one of ${def.appliesTo.text}`);
  }
  return usable;
}
