import { CONTRACT_LIMITS } from '../functions/contract';
import type { Device, Fleet } from '../functions/core/registry';
import { HOUR_MS } from '../functions/shared/time';
import type { Emission } from './device';
import { UsageError } from './fleet';
import { buildDeviceSims, deviceIntervalMs, type StopRule, simulate } from './plan';
import { Publisher, runBackfill, runLive } from './publisher';
import { RunRecord } from './record';
import { resolveScenarios, type ScenarioSpec } from './scenarios';
import type { ScenarioInstance } from './scenarios/types';
import { RunStats } from './stats';
import type { Target } from './target';
import { formatDuration } from './time';

export interface SimulationConfig {
  fleet: Fleet;
  devices: readonly Device[];
  specs: readonly ScenarioSpec[];
  seed: number;
  /** Undefined: a dry run, emissions go to `onEmission` and nothing is published. */
  target?: Target;
  /** `live` follows the (possibly accelerated) clock; `backfill` replays [from, to) as fast as acknowledged. */
  mode: 'live' | 'backfill';
  speed: number;
  from?: number;
  to?: number;
  /** Real (wall-clock) duration of a live run. */
  durationMs?: number;
  samplesPerDevice?: number;
  intervalS?: number;
  batchSize: number;
  basicIngest: boolean;
  /** Prefix of the Basic Ingest rule names (`<stage>_` for a stage that is not the account's primary one). */
  rulePrefix?: string;
  /** Keep what was delivered, for `--expect`. */
  record: boolean;
  signal?: AbortSignal;
  stats?: RunStats;
  now?: () => number;
  drainTimeoutMs?: number;
  onEmission?(e: Emission): void;
  /** Called once the fleet is connected and the clock starts. */
  onStart?(info: { simStart: number; simEnd: number; instances: ScenarioInstance[] }): void;
  warn?(message: string): void;
}

export interface SimulationResult {
  stats: RunStats;
  record: RunRecord | undefined;
  instances: ScenarioInstance[];
  simStart: number;
  simEnd: number;
  /** Wall clock when the clock started (after connecting) and when publishing ended. */
  startedAt: number;
  publishEndedAt: number;
  interrupted: boolean;
}

/** The service rejects samples stamped more than 24 h ahead of its clock (contract ts_in_future). */
const FUTURE_MARGIN_MS = CONTRACT_LIMITS.maxFutureMs - HOUR_MS;

/**
 * Runs a simulation: resolves scenarios, connects the fleet (unless dry), builds the devices on the simulated clock,
 * publishes, drains acknowledgements and disconnects. Shared by the CLI and the benchmark.
 */
export async function runSimulation(config: SimulationConfig): Promise<SimulationResult> {
  const now = config.now ?? Date.now;
  const stats = config.stats ?? new RunStats();
  const warn = config.warn ?? (() => undefined);
  const intervalMs = (d: Device) => deviceIntervalMs(d, config.intervalS);
  const instances = resolveScenarios(
    config.specs,
    { fleet: config.fleet, devices: config.devices },
    intervalMs,
  );
  const live = config.mode === 'live';
  const requestedEnd = (start: number) =>
    config.to ??
    (live && config.durationMs !== undefined
      ? start + config.durationMs * config.speed
      : Number.POSITIVE_INFINITY);
  // An open-ended accelerated run stops before its clock runs a day ahead of the service's.
  const aheadCap = live && config.speed > 1 ? now() + FUTURE_MARGIN_MS : Number.POSITIVE_INFINITY;
  const span = (start: number) => Math.min(requestedEnd(start), aheadCap);

  const provisional = config.from ?? now();
  if (
    Number.isFinite(requestedEnd(provisional)) &&
    requestedEnd(provisional) > now() + FUTURE_MARGIN_MS &&
    live
  ) {
    throw new UsageError(
      `the simulated clock would reach ${new Date(requestedEnd(provisional)).toISOString()}, more than 23 h ahead of now; the service rejects such samples (ts_in_future): start earlier with --from now-2d, or shorten --duration / --speed`,
    );
  }
  if (
    !Number.isFinite(requestedEnd(provisional)) &&
    config.samplesPerDevice === undefined &&
    !config.target
  ) {
    throw new UsageError('a dry run needs an end: --duration, --to or --samples');
  }
  if (config.target?.kind === 'aws' && instances.some((i) => i.def.name === 'malformed')) {
    warn(
      'malformed: the wrong-topic case is skipped against AWS IoT Core (a throwaway client id cannot connect under a thing policy)',
    );
  }

  const record = config.record ? new RunRecord(now()) : undefined;
  const publisher = config.target ? new Publisher(config.target, stats, record, config.seed) : undefined;
  config.target?.verify?.();
  let interrupted = false;
  try {
    if (publisher)
      await publisher.connect(
        config.devices.map((d) => d.id),
        config.signal,
      );
    const simStart = config.from ?? now();
    const simEnd = span(simStart);
    const stop: StopRule = { simEnd };
    if (config.samplesPerDevice !== undefined) stop.samplesPerDevice = config.samplesPerDevice;
    const sims = buildDeviceSims(config.devices, instances, {
      seed: config.seed,
      simStart,
      intervalS: config.intervalS,
      batchAll: config.mode === 'backfill',
      batchSize: config.batchSize,
      basicIngest: config.basicIngest,
      ...(config.rulePrefix ? { rulePrefix: config.rulePrefix } : {}),
      allowRogue: config.target?.kind !== 'aws',
    });
    const intervals = new Map(sims.map((s) => [s.device.id, s.intervalMs]));
    for (const w of scenarioWarnings(
      instances,
      (id) => intervals.get(id),
      simStart,
      simEnd,
      config.samplesPerDevice,
    ))
      warn(w);
    config.onStart?.({ simStart, simEnd, instances });
    const startedAt = now();

    if (config.signal?.aborted) {
      // Stopped while the fleet was connecting: nothing was sampled, nothing to flush.
    } else if (!publisher) {
      for (const e of simulate(sims, stop)) {
        if (config.signal?.aborted) break;
        stats.count(e.scenarios, 'sent');
        stats.count(e.scenarios, 'samples', e.samples.length);
        config.onEmission?.(e);
      }
    } else {
      const publish = (e: Emission) => {
        config.onEmission?.(e);
        return publisher.publish(e);
      };
      if (live)
        await runLive(sims, publish, { speed: config.speed, simStart, stop, stats, signal: config.signal });
      else await runBackfill(sims, publish, { stop, stats, signal: config.signal });
    }
    interrupted = config.signal?.aborted ?? false;
    const publishEndedAt = now();
    await publisher?.drain(config.drainTimeoutMs ?? 10_000);
    return {
      stats,
      record,
      instances,
      simStart,
      simEnd,
      startedAt,
      publishEndedAt,
      interrupted,
    };
  } finally {
    await publisher?.close();
  }
}

/**
 * What may keep a scenario from producing its expected outcome: starting after the run ends, or changing the values
 * of a device another scenario changes at the same time (the later one acts on what the earlier made).
 */
export function scenarioWarnings(
  instances: readonly ScenarioInstance[],
  intervalMs: (deviceId: string) => number | undefined,
  simStart: number,
  simEnd: number,
  samplesPerDevice: number | undefined,
): string[] {
  const warnings: string[] = [];
  const windows = new Map<string, { instance: ScenarioInstance; start: number; end: number }[]>();
  for (const instance of instances) {
    if (instance.def.name === 'normal') continue;
    for (const a of instance.affected) {
      const interval = intervalMs(a.device.id);
      const start = simStart + instance.startOffsetMs + a.lagMs;
      const lastByCount =
        samplesPerDevice === undefined || interval === undefined
          ? Number.POSITIVE_INFINITY
          : simStart + samplesPerDevice * interval;
      const runEnd = Math.min(simEnd, lastByCount);
      if (start >= runEnd) {
        warnings.push(
          `${instance.label}: starts at +${formatDuration(start - simStart)} on ${a.device.id}, after the run ends; lengthen the run or start it earlier with +offset`,
        );
        continue;
      }
      if (!instance.def.apply) continue;
      const end = Math.min(runEnd, instance.durationMs === undefined ? runEnd : start + instance.durationMs);
      const earlier = windows.get(a.device.id) ?? [];
      for (const other of earlier) {
        const from = Math.max(start, other.start);
        if (from >= Math.min(end, other.end)) continue;
        warnings.push(
          `${instance.label} and ${other.instance.label} both change the values of ${a.device.id} ${from === simStart ? 'from the start' : `from +${formatDuration(from - simStart)}`}: ${instance.label} acts on what ${other.instance.label} made, so their expected outcomes may not hold; give each its own device (@id) or time (+start~duration)`,
        );
      }
      windows.set(a.device.id, [...earlier, { instance, start, end }]);
    }
  }
  return warnings;
}
