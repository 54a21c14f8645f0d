import { randomInt } from 'node:crypto';
import { resolveTarget } from './cli/connect';
import { checkOutcomes, resolveExpect, warnIfServiceAhead } from './cli/expect';
import { helpText, scenarioList } from './cli/help';
import {
  type FleetChoice,
  resolveFleet,
  resolveScenarios,
  resolveTiming,
  selectDevices,
  type Timing,
} from './cli/inputs';
import { type CliValues, parseOptions } from './cli/options';
import { type RunPlan, simulateRun } from './cli/simulate';
import { buildSummary, formatSummary } from './cli/summary';
import type { CheckResult } from './expect/check';
import { UsageError, writeFleet } from './fleet';
import { parseSeed } from './random';
import type { SimulationResult } from './run';
import { ConnectError, type Target } from './target';

export type { Summary } from './cli/summary';

/** Where the CLI talks to: streams, environment and a stop signal (Ctrl-C), so tests can drive it in-process. */
export interface CliIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C: the run stops cleanly, drains acknowledgements and prints its summary. */
  signal?: AbortSignal;
}

const EXIT = { ok: 0, failed: 1, usage: 2, connect: 3 } as const;

const isParseArgsError = (err: unknown): err is Error =>
  err instanceof Error &&
  'code' in err &&
  typeof err.code === 'string' &&
  err.code.startsWith('ERR_PARSE_ARGS');

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    if (err instanceof UsageError || isParseArgsError(err)) {
      io.stderr.write(`pamir-sim: ${err.message}\n(pamir-sim --help lists the options)\n`);
      return EXIT.usage;
    }
    if (err instanceof ConnectError) {
      io.stderr.write(`pamir-sim: ${err.message}\n`);
      return EXIT.connect;
    }
    io.stderr.write(`pamir-sim: unexpected error: ${err instanceof Error ? err.stack : String(err)}\n`);
    return EXIT.failed;
  }
}

/** The text an option asks for instead of a run (--help, --list-scenarios), if any. */
function informationAsked(values: CliValues): string | undefined {
  if (values.help) return helpText();
  if (values['list-scenarios']) return scenarioList();
  return undefined;
}

async function writeFleetFile(file: string, { fleet }: FleetChoice, io: CliIo): Promise<number> {
  await writeFleet(file, fleet);
  io.stderr.write(
    `pamir-sim: wrote ${fleet.devices.length} devices at ${fleet.sites.length} sites to ${file}\n` +
      `  register them with FLEET_FILE=${file} npm start, then: npm run sim -- --fleet ${file}\n`,
  );
  return EXIT.ok;
}

function startLine(
  devices: number,
  source: string,
  target: Target | undefined,
  timing: Timing,
  seed: number,
): string {
  const mode = timing.backfill ? 'backfill' : timing.speed === 1 ? 'real time' : `×${timing.speed}`;
  return `pamir-sim: ${devices} devices (${source}) → ${target ? target.url : 'dry run'} · ${mode} · seed ${seed}\n`;
}

/** Prints the summary (JSON with --json; a dry run's on stderr, below its messages) and gives the exit code. */
function report(
  result: SimulationResult,
  checks: CheckResult[],
  { seed, timing, target }: RunPlan,
  values: CliValues,
  io: CliIo,
): number {
  const failed = checks.some((c) => !c.ok) || result.stats.failed > 0;
  const exitCode = failed ? EXIT.failed : EXIT.ok;
  const mode = timing.backfill ? 'backfill' : 'live';
  const summary = buildSummary(result, {
    seed,
    mode,
    speed: timing.speed,
    target,
    checks,
    exitCode,
  });
  if (values.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else (target ? io.stdout : io.stderr).write(formatSummary(summary));
  return exitCode;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(argv);
  const information = informationAsked(values);
  if (information !== undefined) {
    io.stdout.write(information);
    return EXIT.ok;
  }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const now = Date.now();
  const seed = values.seed === undefined ? randomInt(0, 2 ** 32 - 1) : parseSeed(values.seed);

  const choice = await resolveFleet(values, io.env, seed);
  if (values['write-fleet']) return writeFleetFile(values['write-fleet'], choice, io);
  const devices = selectDevices(choice, values.devices);
  const specs = resolveScenarios(values);
  const timing = resolveTiming(values, now, choice.generated);
  const target = await resolveTarget(values, io.env, devices, specs, now);
  const expect = await resolveExpect(values, io.env);
  if (expect) await warnIfServiceAhead(expect, devices, timing.from ?? now, io);

  if (!values.json) io.stderr.write(startLine(devices.length, choice.source, target, timing, seed));
  const plan = { fleet: choice.fleet, devices, specs, seed, timing, target, record: expect !== undefined };
  const result = await simulateRun(plan, values, io);
  const checks = expect ? await checkOutcomes(expect, result, seed, io, values.json ?? false) : [];
  return report(result, checks, plan, values, io);
}
