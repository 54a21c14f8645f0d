import { telemetryTopic } from '../functions/contract';
import type { Device } from '../functions/core/registry';
import { type DeviceScenario, DeviceSim, type Emission } from './device';
import { uniformAt } from './random';
import type { ScenarioInstance } from './scenarios/types';

export interface PlanOptions {
  seed: number;
  simStart: number;
  /** Overrides every device's reporting interval, seconds. */
  intervalS?: number;
  batchAll: boolean;
  batchSize: number;
  basicIngest: boolean;
  /** Prefix of the Basic Ingest rule names (`<stage>_` for a stage that is not the account's primary one). */
  rulePrefix?: string;
  allowRogue: boolean;
}

export function deviceIntervalMs(device: Device, intervalS?: number): number {
  return (intervalS ?? device.intervalS) * 1000;
}

/**
 * One DeviceSim per device. Devices sharing an interval are spread evenly across it (stratified, with a seeded
 * offset inside each slot), so a fleet publishes at a steady rate instead of in bursts.
 */
export function buildDeviceSims(
  devices: readonly Device[],
  instances: readonly ScenarioInstance[],
  options: PlanOptions,
): DeviceSim[] {
  const groups = new Map<number, Device[]>();
  for (const d of devices) {
    const interval = deviceIntervalMs(d, options.intervalS);
    groups.set(interval, [...(groups.get(interval) ?? []), d]);
  }
  const phase = new Map<string, number>();
  for (const [interval, group] of groups) {
    for (const [i, d] of group.entries()) {
      phase.set(d.id, Math.floor(((i + uniformAt(options.seed, d.id, 'phase')) / group.length) * interval));
    }
  }
  return devices.map((device, i) => {
    const intervalMs = deviceIntervalMs(device, options.intervalS);
    const scenarios: DeviceScenario[] = [];
    for (const instance of instances) {
      for (const a of instance.affected.filter((x) => x.device.id === device.id)) {
        const start = options.simStart + instance.startOffsetMs + a.lagMs;
        const end =
          instance.durationMs === undefined ? Number.POSITIVE_INFINITY : start + instance.durationMs;
        scenarios.push({ instance, start, end, strength: a.strength });
      }
    }
    const neighbour = devices[(i + 1) % devices.length] ?? device;
    return new DeviceSim({
      device,
      seed: options.seed,
      simStart: options.simStart,
      intervalMs,
      phaseMs: phase.get(device.id) ?? 0,
      scenarios,
      batchAll: options.batchAll,
      batchSize: options.batchSize,
      basicIngest: options.basicIngest,
      ...(options.rulePrefix ? { rulePrefix: options.rulePrefix } : {}),
      neighbourTopic:
        neighbour.id === device.id
          ? telemetryTopic(device.kind, `${device.id.slice(0, 55)}-neighbour`)
          : telemetryTopic(neighbour.kind, neighbour.id),
      allowRogue: options.allowRogue,
    });
  });
}

/** When each device stops: at the simulated end, or after a number of samples. */
export interface StopRule {
  simEnd: number;
  samplesPerDevice?: number;
}

export function isDone(sim: DeviceSim, stop: StopRule): boolean {
  return (
    sim.next >= stop.simEnd || (stop.samplesPerDevice !== undefined && sim.taken >= stop.samplesPerDevice)
  );
}

/** A min-heap of devices by the simulated time of their next sample (ties: fleet order). */
export class DueQueue {
  private readonly heap: { at: number; index: number }[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): { at: number; index: number } | undefined {
    return this.heap[0];
  }

  push(at: number, index: number): void {
    const h = this.heap;
    h.push({ at, index });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { at: number; index: number } | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a] as { at: number; index: number };
    const y = this.heap[b] as { at: number; index: number };
    return x.at < y.at || (x.at === y.at && x.index < y.index);
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    [h[a], h[b]] = [h[b] as { at: number; index: number }, h[a] as { at: number; index: number }];
  }
}

/**
 * Every emission of the run in simulated-time order, without a broker: what `--dry-run` prints and what tests use
 * to check payloads. Devices that are done flush what they still hold.
 */
export function* simulate(sims: readonly DeviceSim[], stop: StopRule): Generator<Emission> {
  const queue = new DueQueue();
  for (const [i, sim] of sims.entries()) {
    if (isDone(sim, stop)) yield* sim.finish();
    else queue.push(sim.next, i);
  }
  for (let due = queue.pop(); due; due = queue.pop()) {
    const sim = sims[due.index] as DeviceSim;
    yield* sim.step();
    if (isDone(sim, stop)) yield* sim.finish();
    else queue.push(sim.next, due.index);
  }
}
