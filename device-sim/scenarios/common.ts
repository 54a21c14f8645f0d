import type { Device } from '../../functions/core/registry';
import { noise } from '../signals/common';
import type { SignalSample } from '../signals/types';
import type { ApplyContext, ScenarioDef } from './types';

export const isWater = (d: Device): d is Extract<Device, { kind: 'water' }> => d.kind === 'water';
const isBin = (d: Device): d is Extract<Device, { kind: 'bin' }> => d.kind === 'bin';

export const anyDevice: ScenarioDef['appliesTo'] = { text: 'any device', test: () => true };
export const waterDevice: ScenarioDef['appliesTo'] = { text: 'water-quality devices', test: isWater };
export const binDevice: ScenarioDef['appliesTo'] = { text: 'bin fill sensors', test: isBin };

/** Reads a numeric sample value; 0 when the device does not report the metric. */
export function num(sample: SignalSample, metric: string): number {
  const v = sample.m[metric];
  return typeof v === 'number' ? v : 0;
}

/** A copy of the sample with some metrics replaced. */
export function withMetrics(sample: SignalSample, changes: Record<string, number | boolean>): SignalSample {
  const m = { ...sample.m };
  for (const [name, value] of Object.entries(changes)) if (name in m) m[name] = value;
  return { ...sample, m };
}

/** 0 → 1 over `samples` reporting intervals, the first affected sample already part of the way. */
export function rampIn(ctx: ApplyContext, samples: number): number {
  return Math.min(1, (ctx.elapsed + ctx.intervalMs) / (samples * ctx.intervalMs));
}

export function jitter(ctx: ApplyContext, sigma: number): number {
  return noise(ctx.rng, sigma);
}
