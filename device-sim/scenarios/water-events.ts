import { DETECTOR_DEFAULTS } from '../../functions/core/event-detector';
import type { Device, Disinfectant } from '../../functions/core/registry';
import { HOUR_MS } from '../../functions/shared/time';
import { residualMetric } from '../signals/water';
import { parseDuration } from '../time';
import { isWater, jitter, num, rampIn, withMetrics } from './common';
import type { Affected, ScenarioDef } from './types';

/** Minimum residual at the outlet and further along (GB 5749-2022 Table 2, docs/limits.md). */
const RESIDUAL_MINIMUM: Record<Exclude<Disinfectant, 'none'>, { outlet: number; downstream: number }> = {
  free_chlorine: { outlet: 0.3, downstream: 0.05 },
  chloramine: { outlet: 0.5, downstream: 0.05 },
  chlorine_dioxide: { outlet: 0.1, downstream: 0.02 },
};

function minimumResidual(device: Device): number {
  if (device.kind !== 'water' || device.disinfectant === 'none') return 0;
  const min = RESIDUAL_MINIMUM[device.disinfectant];
  return device.measurementPoint === 'plant_outlet' ? min.outlet : min.downstream;
}

const hasResidual = (d: Device) => isWater(d) && residualMetric(d) !== undefined;

export const chlorineLoss: ScenarioDef = {
  name: 'chlorine-loss',
  description:
    'The dosing pump stops: the disinfectant residual decays to a quarter of its minimum within minutes; ORP falls with it.',
  appliesTo: { text: 'water devices past treatment at sites that disinfect', test: hasResidual },
  defaultTarget: 'first',
  defaultStartSamples: 3,
  params: {
    level: {
      default: 'auto',
      type: 'auto-number',
      description: 'residual to fall to, mg/L (auto: 1/4 of the minimum)',
    },
    ramp: { default: '10m', type: 'duration', description: 'time for the residual to reach the level' },
  },
  apply(sample, ctx) {
    const metric = residualMetric(ctx.device as Extract<Device, { kind: 'water' }>);
    if (!metric) return sample;
    const base = num(sample, metric);
    const level = ctx.params.level === 'auto' ? minimumResidual(ctx.device) / 4 : Number(ctx.params.level);
    const f = Math.exp((-3 * ctx.elapsed) / parseDuration(ctx.params.ramp ?? '10m'));
    const value = Math.max(0, level + (base - level) * f + jitter(ctx, 0.003));
    return withMetrics(sample, {
      [metric]: value,
      orp_mv: num(sample, 'orp_mv') - 180 * (base - value),
      ph: num(sample, 'ph') + 0.1 * (1 - f),
    });
  },
  expected:
    'one critical alarm on the residual (below its GB 5749 minimum) at the device, and exactly one critical SMS to each operator naming it (an early-warning SMS may come first)',
  outcomes: [
    { check: 'alarm', severity: 'critical', metric: '$residual', count: { min: 1, max: 1 } },
    { check: 'sms', audience: 'operators', severity: 'critical', count: { min: 1, max: 1 } },
  ],
};

export const turbiditySpike: ScenarioDef = {
  name: 'turbidity-spike',
  description:
    'Filter breakthrough: turbidity jumps to the peak within two samples and stays; chlorine demand rises.',
  appliesTo: {
    text: 'water devices at a plant outlet, network or tap',
    test: (d) => isWater(d) && d.measurementPoint !== 'source',
  },
  defaultTarget: 'first',
  defaultStartSamples: 3,
  params: { peak: { default: '4', type: 'number', description: 'turbidity reached, NTU' } },
  apply(sample, ctx) {
    const shape = rampIn(ctx, 2);
    const base = num(sample, 'turbidity_ntu');
    const peak = Number(ctx.params.peak);
    const residual = ctx.device.kind === 'water' ? residualMetric(ctx.device) : undefined;
    const changes: Record<string, number> = {
      turbidity_ntu: base + (peak - base) * shape * (1 + jitter(ctx, 0.04)),
    };
    if (residual) changes[residual] = num(sample, residual) * (1 - 0.15 * shape);
    return withMetrics(sample, changes);
  },
  expected:
    'one critical turbidity alarm (above 1 NTU; 3 NTU for small supplies) at the device and exactly one critical SMS to each operator',
  outcomes: [
    { check: 'alarm', severity: 'critical', metric: 'turbidity_ntu', count: { min: 1, max: 1 } },
    { check: 'sms', audience: 'operators', severity: 'critical', count: { min: 1, max: 1 } },
  ],
};

/** Water devices at the targets' sites and every site downstream of them, with the lag and attenuation per hop. */
function downstreamOf(
  targets: readonly Device[],
  devices: readonly Device[],
  upstreamOf: Map<string, string[]>,
  lagMs: number,
  decay: number,
): Affected[] {
  const downstream = new Map<string, string[]>();
  for (const [site, ups] of upstreamOf) {
    for (const up of ups) downstream.set(up, [...(downstream.get(up) ?? []), site]);
  }
  const hops = new Map<string, number>();
  const queue = [...new Set(targets.map((t) => t.siteId))];
  for (const site of queue) hops.set(site, 0);
  while (queue.length > 0) {
    const site = queue.shift() as string;
    for (const next of downstream.get(site) ?? []) {
      if (hops.has(next)) continue;
      hops.set(next, (hops.get(site) ?? 0) + 1);
      queue.push(next);
    }
  }
  const targetIds = new Set(targets.map((t) => t.id));
  return devices
    .filter((d) => isWater(d) && (targetIds.has(d.id) || (hops.get(d.siteId) ?? 0) > 0))
    .map((d) => {
      const n = hops.get(d.siteId) ?? 0;
      return { device: d, lagMs: n * lagMs, strength: decay ** n };
    });
}

export const intrusion: ScenarioDef = {
  name: 'intrusion',
  description:
    'A gross intrusion at the target (by default a source): turbidity and conductivity up, pH and ORP down, chlorine consumed; it reaches each site downstream one lag later, a little weaker.',
  appliesTo: { text: 'water devices', test: isWater },
  defaultTarget: 'first',
  prefer: (d) => isWater(d) && d.measurementPoint === 'source',
  defaultStartSamples: 3,
  params: {
    lag: { default: '20m', type: 'duration', description: 'travel time per hop downstream' },
    attenuation: { default: '0.85', type: 'number', description: 'strength kept per hop' },
    ramp: { default: '15m', type: 'duration', description: 'time to full strength at each point' },
  },
  propagate: (targets, world, params) =>
    downstreamOf(
      targets,
      world.devices,
      new Map(world.fleet.sites.map((s) => [s.id, s.upstream])),
      parseDuration(params.lag ?? '20m'),
      Number(params.attenuation),
    ),
  apply(sample, ctx) {
    const s = ctx.strength * Math.min(1, ctx.elapsed / parseDuration(ctx.params.ramp ?? '15m'));
    const turbidity = num(sample, 'turbidity_ntu');
    if (ctx.device.kind === 'water' && ctx.device.measurementPoint === 'source') {
      return withMetrics(sample, {
        turbidity_ntu: turbidity * (1 + 6 * s),
        conductivity_us_cm: num(sample, 'conductivity_us_cm') * (1 + 0.3 * s),
        ph: num(sample, 'ph') - 0.4 * s,
        dissolved_oxygen_mg_l: num(sample, 'dissolved_oxygen_mg_l') - 2 * s,
      });
    }
    const residual = ctx.device.kind === 'water' ? residualMetric(ctx.device) : undefined;
    const changes: Record<string, number> = {
      turbidity_ntu: turbidity + 2.5 * s * (1 + jitter(ctx, 0.05)),
      conductivity_us_cm: num(sample, 'conductivity_us_cm') * (1 + 0.25 * s),
      ph: num(sample, 'ph') - 0.3 * s,
      orp_mv: num(sample, 'orp_mv') - 150 * s,
    };
    if (residual) changes[residual] = num(sample, residual) * (1 - 0.75 * s);
    return withMetrics(sample, changes);
  },
  expected:
    'critical alarms at every affected point past treatment, raised in downstream order one lag apart; SMS to operators (a digest when many)',
  outcomes: [
    { check: 'alarm', severity: 'critical', count: { min: 1 }, treatedOnly: true },
    { check: 'sms', audience: 'operators', count: { min: 1 }, per: 'scenario' },
  ],
};

/** Where the subtle contamination shows: a device that reports both pH and ORP (plant outlets in the example fleet). */
const reportsPhAndOrp = (d: Device) => isWater(d) && d.measurementPoint === 'plant_outlet';

/**
 * The contamination the GB limits miss (issue 14's real-data finding): pH and ORP shift together by a step well inside
 * their limits. It starts after the event detector's commissioning period (and two hours more) so that the device
 * has a learned baseline to be judged against.
 */
export const contamination: ScenarioDef = {
  name: 'contamination',
  description:
    'A contamination-like event inside the limits: pH and ORP shift together (default +0.2 and -25 mV) within two samples and stay, after the detector has commissioned.',
  appliesTo: { text: 'water devices that report pH and ORP (plant outlets)', test: reportsPhAndOrp },
  defaultTarget: 'first',
  defaultStartSamples: 0,
  defaultStartMs: DETECTOR_DEFAULTS.commissioningHours * HOUR_MS + 2 * HOUR_MS,
  params: {
    ph: { default: '0.2', type: 'number', description: 'pH shift' },
    orp: { default: '-25', type: 'number', description: 'ORP shift, mV' },
  },
  apply(sample, ctx) {
    const shape = rampIn(ctx, 2);
    return withMetrics(sample, {
      ph: num(sample, 'ph') + Number(ctx.params.ph) * shape,
      orp_mv: num(sample, 'orp_mv') + Number(ctx.params.orp) * shape,
    });
  },
  expected:
    'one event alarm (warning) for operators naming pH and ORP, and no limit alarm: found before any limit breaks; one warning SMS to each operator',
  outcomes: [
    {
      check: 'alarm',
      condition: 'event',
      severity: 'warning',
      audience: 'operators',
      count: { min: 1, max: 1 },
    },
    { check: 'alarm', condition: 'limit:', count: { min: 0, max: 0 } },
    { check: 'sms', audience: 'operators', severity: 'warning', count: { min: 1, max: 1 } },
  ],
};
