import type { Device, Fleet } from '../../functions/core/registry';
import type { CliIo } from '../cli';
import type { Emission } from '../device';
import { runSimulation, type SimulationResult } from '../run';
import type { ScenarioSpec } from '../scenarios';
import type { ScenarioInstance } from '../scenarios/types';
import { progressLine, RateMeter, RunStats } from '../stats';
import type { Target } from '../target';
import { formatDuration } from '../time';
import type { Timing } from './inputs';
import type { CliValues } from './options';
import { toIso } from './summary';

/** Everything a run needs, resolved from the options. */
export interface RunPlan {
  fleet: Fleet;
  devices: readonly Device[];
  specs: readonly ScenarioSpec[];
  seed: number;
  timing: Timing;
  target: Target | undefined;
  /** Keep what was delivered, for --expect. */
  record: boolean;
}

/** The start lines: the simulated window and where each scenario runs. */
function announce(io: CliIo, simStart: number, simEnd: number, instances: readonly ScenarioInstance[]): void {
  io.stderr.write(`  simulated ${toIso(simStart)} → ${toIso(simEnd)}\n`);
  for (const i of instances.filter((x) => x.def.name !== 'normal')) {
    io.stderr.write(
      `  ${i.label}: ${i.affected.map((a) => a.device.id).join(', ')} from +${formatDuration(i.startOffsetMs)}${i.durationMs === undefined ? '' : ` for ${formatDuration(i.durationMs)}`}\n`,
    );
  }
}

/**
 * Runs the simulation, printing its start lines unless the output is JSON and, on a terminal, a progress line that
 * the summary then replaces. A dry run writes its messages to stdout as JSON lines.
 */
export async function simulateRun(plan: RunPlan, values: CliValues, io: CliIo): Promise<SimulationResult> {
  const { timing, target } = plan;
  const json = values.json ?? false;
  const dryRun = target === undefined;
  const progress = io.stderr.isTTY && !values.quiet && !json && !dryRun;
  const stats = new RunStats();
  const meter = new RateMeter();
  let timer: NodeJS.Timeout | undefined;
  const showProgress = () =>
    io.stderr.write(`\r\x1b[2K${progressLine(stats, meter.rate(Date.now(), stats.acked), stats.simTime)}`);
  return runSimulation({
    fleet: plan.fleet,
    devices: plan.devices,
    specs: plan.specs,
    seed: plan.seed,
    mode: timing.backfill ? 'backfill' : 'live',
    speed: timing.speed,
    batchSize: timing.batchSize,
    basicIngest: values['basic-ingest'] ?? false,
    ...(values['basic-ingest-stage']
      ? { rulePrefix: `${values['basic-ingest-stage'].replaceAll('-', '_')}_` }
      : {}),
    record: plan.record,
    stats,
    ...(target ? { target } : {}),
    ...(timing.from !== undefined ? { from: timing.from } : {}),
    ...(timing.to !== undefined ? { to: timing.to } : {}),
    ...(timing.durationMs !== undefined ? { durationMs: timing.durationMs } : {}),
    ...(timing.samplesPerDevice !== undefined ? { samplesPerDevice: timing.samplesPerDevice } : {}),
    ...(timing.intervalS !== undefined ? { intervalS: timing.intervalS } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    onEmission: dryRun
      ? (e: Emission) =>
          io.stdout.write(`${JSON.stringify({ at: e.at, topic: e.topic, payload: e.payload })}\n`)
      : undefined,
    warn: (message) => io.stderr.write(`pamir-sim: warning: ${message}\n`),
    onStart: ({ simStart, simEnd, instances }) => {
      if (!json) announce(io, simStart, simEnd, instances);
      if (progress) timer = setInterval(showProgress, 500);
    },
  }).finally(() => {
    if (timer) {
      clearInterval(timer);
      io.stderr.write('\r\x1b[2K');
    }
  });
}
