import { uniformAt } from '../random';
import { fillFromDistance } from '../signals/bin';
import { clamp } from '../signals/common';
import type { SignalSample } from '../signals/types';
import { HOUR_MS, MINUTE_MS, parseDuration } from '../time';
import { binDevice, jitter, num, rampIn, withMetrics } from './common';
import type { ApplyContext, FillLine, ScenarioDef, TruthContext } from './types';

const depthOf = (ctx: ApplyContext) => (ctx.device.kind === 'bin' ? ctx.device.depthMm : 1000);

/** Ultrasonic noise of the scenarios that draw a fill line: 0.5 % of the bin's depth (σ). */
const ECHO_NOISE_SHARE = 0.005;

/** A sample reading `fillPct` through the sensor: distance to the surface with echo noise, and the firmware's fill. */
function readFill(sample: SignalSample, ctx: ApplyContext, fillPct: number): SignalSample {
  const depth = depthOf(ctx);
  const distance = clamp(depth * (1 - fillPct / 100) + jitter(ctx, ECHO_NOISE_SHARE * depth), 0, depth);
  return withMetrics(sample, { distance_mm: distance, fill_pct: fillFromDistance(distance, depth) });
}

const truthAt = (ctx: ApplyContext): TruthContext => ({
  device: ctx.device,
  params: ctx.params,
  start: ctx.start,
  seed: ctx.seed,
});

/** Fill the bin shows in its first bin-steady-fill sample, before the crew empties it. */
const BEFORE_EMPTYING_PCT = 65;

/** The fill bin-steady-fill draws: `start_pct` at the scenario's start, rising `rate` % per hour. */
export function steadyFillLine(t: TruthContext): FillLine {
  return { fromTs: t.start, fromPct: Number(t.params.start_pct), ratePctPerHour: Number(t.params.rate) };
}

export const binSteadyFill: ScenarioDef = {
  name: 'bin-steady-fill',
  description: `The crew empties the bin as the scenario starts (its first sample still reads ${BEFORE_EMPTYING_PCT} %); it then fills at a constant rate, read through echo noise of 0.5 % of the depth, and one reading in twelve bounces off a bag held under the sensor (8–14 % high). Run at least 2 h of samples (30 or more make a tight forecast), e.g. --from now-8h --to now.`,
  appliesTo: binDevice,
  defaultTarget: 'first',
  defaultStartSamples: 0,
  params: {
    rate: { default: '4', type: 'number', description: 'fill rate, % of the depth per hour (above 0.05)' },
    start_pct: {
      default: '5',
      type: 'number',
      description: 'fill just after the emptying, %, below the collection threshold',
    },
  },
  apply(sample, ctx) {
    // A fixed number of draws per sample, so the echo noise does not depend on which branch ran.
    // No bag right after the emptying: the crew has just left, and the drop must read as a collection.
    const bagged = ctx.rng() < 1 / 12 && ctx.elapsed >= 2 * ctx.intervalMs;
    const bagPct = 8 + 6 * ctx.rng();
    if (ctx.elapsed < ctx.intervalMs) return readFill(sample, ctx, BEFORE_EMPTYING_PCT);
    const line = steadyFillLine(truthAt(ctx));
    return readFill(
      sample,
      ctx,
      line.fromPct + (line.ratePctPerHour * (sample.ts - line.fromTs)) / HOUR_MS + (bagged ? bagPct : 0),
    );
  },
  expected:
    'a forecast of the threshold crossing within 20 % of the time that remained (fill rate within 10 %), and the bin on the collection list for a window just past the true crossing, not for one just short of it',
  outcomes: [{ check: 'forecast', truth: steadyFillLine, maxErrorShare: 0.2, maxRateError: 0.1 }],
};

/** A round does not reach every bin at once: the crew's route spreads it over half an hour. */
const ROUTE_MS = 30 * MINUTE_MS;

/** When bin-collection-round's crew empties a bin: `round_after` past the start, plus its place on the route. */
function collectionRoundAt(t: TruthContext): number {
  return (
    t.start + parseDuration(t.params.round_after ?? '2h') + ROUTE_MS * uniformAt(t.seed, t.device.id, 'route')
  );
}

export const binCollectionRound: ScenarioDef = {
  name: 'bin-collection-round',
  description:
    'A collection round: each bin fills steadily to 55–78 %, the crew empties it to 2–8 % on its route (the round passes every bin within 30 min) and it fills again.',
  appliesTo: binDevice,
  defaultTarget: 'all',
  defaultStartSamples: 0,
  params: {
    round_after: {
      default: '2h',
      type: 'duration',
      description: 'the round starts this long after the scenario',
    },
    rate: { default: '3', type: 'number', description: 'fill rate before and after the round, % per hour' },
  },
  apply(sample, ctx) {
    const round = collectionRoundAt(truthAt(ctx));
    const before = 55 + 23 * uniformAt(ctx.seed, ctx.device.id, 'round-before');
    const residue = 2 + 6 * uniformAt(ctx.seed, ctx.device.id, 'round-residue');
    const grown = (Number(ctx.params.rate) * (sample.ts - round)) / HOUR_MS;
    return readFill(sample, ctx, sample.ts < round ? Math.max(residue, before + grown) : residue + grown);
  },
  expected:
    "exactly one collection event per bin, at its first sample after the round, from ≥ 50 % to ≤ 15 % (the bin's collectedFromPct / collectedToPct)",
  outcomes: [{ check: 'collections', count: { min: 1, max: 1 }, roundAt: collectionRoundAt }],
};

export const binOverflow: ScenarioDef = {
  name: 'bin-overflow',
  description:
    'A missed round on a busy day: the bin fills to the rim within four samples and waste heaps above it.',
  appliesTo: binDevice,
  defaultTarget: 'first',
  defaultStartSamples: 2,
  apply(sample, ctx) {
    const depth = depthOf(ctx);
    const base = num(sample, 'fill_pct');
    const fill = base + (100 - base) * rampIn(ctx, 4);
    // Within the sensor's blind zone the firmware reports the bin as full.
    if (fill >= 99) return withMetrics(sample, { distance_mm: 15 + 20 * ctx.rng(), fill_pct: 100 });
    const distance = depth * (1 - fill / 100);
    return withMetrics(sample, { distance_mm: distance, fill_pct: fillFromDistance(distance, depth) });
  },
  expected: 'one critical overflow alarm (fill ≥ 100 %) and an SMS to sanitation',
  outcomes: [
    { check: 'alarm', severity: 'critical', metric: 'fill_pct', count: { min: 1, max: 1 } },
    { check: 'sms', audience: 'sanitation', count: { min: 1 } },
  ],
};

export const binFire: ScenarioDef = {
  name: 'bin-fire',
  description:
    'Hot ash in the bin: the temperature climbs past 60 °C within two samples; smoke scatters the ultrasonic echo.',
  appliesTo: binDevice,
  defaultTarget: 'first',
  defaultStartSamples: 2,
  apply(sample, ctx) {
    const depth = depthOf(ctx);
    const ambient = num(sample, 'temperature_c');
    const peak = 85 + 10 * ctx.rng();
    const temperature =
      ambient + (peak - ambient) * (1 - Math.exp(-(ctx.elapsed + ctx.intervalMs) / (1.2 * ctx.intervalMs)));
    const distance = clamp(num(sample, 'distance_mm') * (0.6 + 0.8 * ctx.rng()), 0, depth);
    return withMetrics(sample, {
      temperature_c: temperature,
      distance_mm: distance,
      fill_pct: fillFromDistance(distance, depth),
    });
  },
  expected: 'one critical fire alarm (temperature) with SMS to sanitation and to supervisors',
  outcomes: [
    { check: 'alarm', severity: 'critical', metric: 'temperature_c', count: { min: 1, max: 1 } },
    { check: 'sms', audience: 'sanitation', count: { min: 1 } },
    { check: 'sms', audience: 'supervisors', count: { min: 1 } },
  ],
};

export const binTilt: ScenarioDef = {
  name: 'bin-tilt',
  description:
    'The bin is knocked over: the tilt switch closes and the echo comes from the ground, beyond the bin floor.',
  appliesTo: binDevice,
  defaultTarget: 'first',
  defaultStartSamples: 2,
  apply(sample, ctx) {
    const depth = depthOf(ctx);
    const distance = depth * (1.15 + 0.3 * ctx.rng());
    return withMetrics(sample, {
      tilt: true,
      distance_mm: distance,
      fill_pct: fillFromDistance(distance, depth),
    });
  },
  expected: 'one tilt alarm with an SMS to sanitation',
  outcomes: [
    { check: 'alarm', metric: 'tilt', count: { min: 1, max: 1 } },
    { check: 'sms', audience: 'sanitation', count: { min: 1 } },
  ],
};
