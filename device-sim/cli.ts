import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Device, type Fleet, fleetDevices } from '../functions/core/registry';
import { apiTokenFile, readApiToken } from '../infra/local/api-token';
import type { Emission } from './device';
import { type CheckResult, devicesAhead, httpServiceView, planChecks, runChecks } from './expect';
import { DEFAULT_FLEET_FILE, generateFleet, loadFleet, UsageError, writeFleet } from './fleet';
import { parseSeed } from './random';
import { runSimulation, type SimulationResult } from './run';
import { parseScenarioSpecs, SCENARIO_SYNTAX, SCENARIOS } from './scenarios';
import { progressLine, RateMeter, RunStats } from './stats';
import { awsTarget, ConnectError, dataDirCredentials, localTarget, type Target } from './target';
import { formatDuration, parseDuration, parseInstant } from './time';

/** Where the CLI talks to: streams, environment and a stop signal (Ctrl-C), so tests can drive it in-process. */
export interface CliIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C: the run stops cleanly, drains acknowledgements and prints its summary. */
  signal?: AbortSignal;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, connect: 3 } as const;

export const HELP = `Usage: pamir-sim [options]        (npm run sim -- [options])

Simulates a county's water-quality and waste-bin sensors over MQTT: one connection per device
(client id = device id, QoS 1), realistic seeded signals, faults and events, against the local
service (npm start) or AWS IoT Core.

Fleet
  --fleet FILE          fleet file (default $FLEET_FILE or ${DEFAULT_FLEET_FILE}, as npm start)
  --water N --bins M    generate a county instead, over --townships K (default 3)
  --write-fleet FILE    write the fleet to FILE and exit (then: FLEET_FILE=FILE npm start)
  --devices LIST        only these devices or sites (comma-separated ids)
  --interval S          every device reports each S seconds instead of its intervalS

Target
  --broker URL          local broker (default mqtt://127.0.0.1:$MQTT_PORT, 1883)
  --endpoint HOST       AWS IoT Core data endpoint (mqtts, port 8883; --port P to change)
  --cert FILE --key FILE  device certificate and key, PEM; {id} in a path stands for the device id
  --ca FILE             CA certificate (Amazon Root CA 1; default: Node's trust store)
  --basic-ingest        publish to $aws/rules/<rule>/dt/<kind>/<id> (AWS Basic Ingest)
  --dry-run             print the messages as JSON lines instead of publishing

Time
  --speed N             simulated seconds per real second (default 1, real time)
  --from T --to T       simulated window (ISO time, epoch ms, now-6h); --to without --speed
                        backfills the window as samples batches, as fast as acknowledged
  --duration D          real run time (90s, 10m, 2h; default: until Ctrl-C or --to)
  --samples N           stop each device after N samples
  --batch-size N        samples per backfill message (default and maximum 100)
  --seed N              seed for signals, schedule and scenarios (default random, printed)

Scenarios
  --scenario SPEC       repeatable or comma-separated:
                        ${SCENARIO_SYNTAX}
  --list-scenarios      list scenarios, their parameters and expected outcomes

Expectations
  --expect              at the end, check each scenario's expected outcome against the service's
                        HTTP API and SMS outbox; exit 1 on any mismatch
  --api URL             default http://127.0.0.1:$HTTP_PORT (3000)
  --token T             API bearer token (default $API_TOKEN, else <data-dir>/api-token)
  --data-dir DIR        the service's data folder (default $DATA_DIR or .data)
  --expect-timeout D    how long to wait for the service to catch up (default 30s)

Output
  --json                machine-readable summary on stdout
  --quiet               no progress line
  -h, --help

Exit codes: 0 done, 1 expectation mismatch or unacknowledged messages, 2 bad option, fleet file or
certificate, 3 broker unreachable or refusing the devices.

Examples
  npm run sim -- --speed 60 --duration 5m --scenario chlorine-loss@wq-town-outlet+10m --expect
  npm run sim -- --from now-6h --to now --scenario offline-backfill,duplicate-delivery --expect
  npm run sim -- --from now-8h --to now --devices market-town,village-dabudar \\
      --scenario bin-steady-fill@bin-bazaar-01,bin-collection-round@village-dabudar --expect
  npm run sim -- --water 1500 --bins 500 --townships 12 --write-fleet .data/big-fleet.json
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  fleet: { type: 'string' },
  water: { type: 'string' },
  bins: { type: 'string' },
  townships: { type: 'string' },
  'write-fleet': { type: 'string' },
  devices: { type: 'string' },
  interval: { type: 'string' },
  broker: { type: 'string' },
  endpoint: { type: 'string' },
  port: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  'basic-ingest': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  speed: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  duration: { type: 'string' },
  samples: { type: 'string' },
  'batch-size': { type: 'string' },
  seed: { type: 'string' },
  scenario: { type: 'string', multiple: true },
  'list-scenarios': { type: 'boolean' },
  expect: { type: 'boolean' },
  api: { type: 'string' },
  token: { type: 'string' },
  'data-dir': { type: 'string' },
  'expect-timeout': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

function positive(
  option: string,
  value: string | undefined,
  { integer = true, max = Number.POSITIVE_INFINITY } = {},
) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)) || n > max) {
    throw new UsageError(
      `--${option} ${value} must be a positive ${integer ? 'integer' : 'number'}${Number.isFinite(max) ? ` up to ${max}` : ''}`,
    );
  }
  return n;
}

function usage<T>(fn: () => T, option: string): T {
  try {
    return fn();
  } catch (err) {
    throw new UsageError(`--${option}: ${(err as Error).message}`);
  }
}

function listScenarios(): string {
  const lines = ['Scenarios (combine with commas; each runs at its own devices and time):', ''];
  for (const s of SCENARIOS) {
    const window = `from +${s.defaultStartSamples} samples${s.defaultDurationSamples === undefined ? ' to the end' : ` for ${s.defaultDurationSamples}`}`;
    lines.push(`  ${s.name}`);
    lines.push(`      ${s.description}`);
    lines.push(
      `      applies to: ${s.appliesTo.text}; default target: ${s.defaultTarget === 'all' ? 'all of them' : 'the first (most frequent reporter)'}; ${window}`,
    );
    for (const [name, p] of Object.entries(s.params ?? {}))
      lines.push(`      :${name}=${p.default}   ${p.description}`);
    lines.push(`      expect: ${s.expected}`, '');
  }
  lines.push(`Syntax: ${SCENARIO_SYNTAX}`);
  return `${lines.join('\n')}\n`;
}

async function resolveFleet(
  values: Record<string, unknown>,
  env: CliIo['env'],
  seed: number,
): Promise<{ fleet: Fleet; source: string }> {
  const water = positive('water', values.water as string | undefined) ?? 0;
  const bins = positive('bins', values.bins as string | undefined) ?? 0;
  if (water > 0 || bins > 0) {
    if (values.fleet) throw new UsageError('give either --fleet or --water/--bins, not both');
    const townships = positive('townships', values.townships as string | undefined) ?? 3;
    const intervalS = positive('interval', values.interval as string | undefined, { max: 86_400 });
    const fleet = generateFleet({ water, bins, townships, seed, ...(intervalS ? { intervalS } : {}) });
    return { fleet, source: `generated (${water} water, ${bins} bins, ${townships} townships)` };
  }
  const file = (values.fleet as string | undefined) ?? env.FLEET_FILE ?? DEFAULT_FLEET_FILE;
  return { fleet: await loadFleet(file), source: file };
}

function selectDevices(all: Device[], list: string | undefined): Device[] {
  if (!list) return all;
  const wanted = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !all.some((d) => d.id === w || d.siteId === w));
  if (unknown.length) throw new UsageError(`--devices: no device or site ${unknown.join(', ')} in the fleet`);
  return all.filter((d) => wanted.includes(d.id) || wanted.includes(d.siteId));
}

async function resolveToken(
  values: Record<string, unknown>,
  env: CliIo['env'],
  dataDir: string,
  why = '--expect needs the API token',
): Promise<string> {
  const found = await readApiToken(dataDir, (values.token as string | undefined) ?? env.API_TOKEN);
  if (found) return found.token;
  throw new UsageError(
    `${why}: pass --token, set API_TOKEN, or point --data-dir at the service's data folder (no ${apiTokenFile(dataDir)})`,
  );
}

function toIso(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : 'open-ended';
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr.write(`pamir-sim: ${(err as Error).message}\n(pamir-sim --help lists the options)\n`);
      return EXIT.usage;
    }
    if (err instanceof ConnectError) {
      io.stderr.write(`pamir-sim: ${err.message}\n`);
      return EXIT.connect;
    }
    io.stderr.write(`pamir-sim: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.failed;
  }
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (values['list-scenarios']) {
    io.stdout.write(listScenarios());
    return EXIT.ok;
  }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const { env } = io;
  const now = Date.now();
  const seed = values.seed === undefined ? randomInt(0, 2 ** 32 - 1) : parseSeed(values.seed);

  const { fleet, source } = await resolveFleet(values, env, seed);
  const generated = values.water !== undefined || values.bins !== undefined;
  if (values['write-fleet']) {
    await writeFleet(values['write-fleet'], fleet);
    io.stderr.write(
      `pamir-sim: wrote ${fleet.devices.length} devices at ${fleet.sites.length} sites to ${values['write-fleet']}\n` +
        `  register them with FLEET_FILE=${values['write-fleet']} npm start, then: npm run sim -- --fleet ${values['write-fleet']}\n`,
    );
    return EXIT.ok;
  }
  const devices = selectDevices(fleetDevices(fleet), values.devices);
  if (devices.length === 0) throw new UsageError(`the fleet (${source}) has no devices`);
  const specs = parseScenarioSpecs(values.scenario ?? []);

  const backfill = values.to !== undefined && values.speed === undefined;
  const speed = positive('speed', values.speed, { integer: false }) ?? 1;
  const from =
    values.from === undefined ? undefined : usage(() => parseInstant(values.from as string, now), 'from');
  const to = values.to === undefined ? undefined : usage(() => parseInstant(values.to as string, now), 'to');
  if (backfill && from === undefined)
    throw new UsageError('--to without --speed backfills a window: give --from too');
  if (from !== undefined && to !== undefined && from >= to)
    throw new UsageError('--from must be before --to');
  const durationMs =
    values.duration === undefined
      ? undefined
      : usage(() => parseDuration(values.duration as string), 'duration');
  const samplesPerDevice = positive('samples', values.samples);
  const batchSize = positive('batch-size', values['batch-size'], { max: 100 }) ?? 100;
  const intervalS = generated ? undefined : positive('interval', values.interval, { max: 86_400 });
  const dryRun = values['dry-run'] ?? false;

  const dataDir = values['data-dir'] ?? env.DATA_DIR ?? '.data';
  let target: Target | undefined;
  if (!dryRun) {
    if (values.endpoint) {
      if (!values.cert || !values.key)
        throw new UsageError(
          '--endpoint needs --cert and --key (the device certificate and its private key)',
        );
      const port = positive('port', values.port, { max: 65_535 });
      target = awsTarget(
        {
          endpoint: values.endpoint,
          cert: values.cert,
          key: values.key,
          ...(values.ca ? { ca: values.ca } : {}),
          ...(port ? { port } : {}),
        },
        devices.map((d) => d.id),
        now,
      );
    } else {
      if (values['basic-ingest'])
        throw new UsageError('--basic-ingest is an AWS IoT Core feature: use it with --endpoint');
      // The wrong-topic case publishes from a client that is not a device: the broker admits it as a console.
      const consoleToken = specs.some((s) => s.name === 'malformed')
        ? await resolveToken(
            values,
            env,
            dataDir,
            'the malformed scenario connects a console client to publish on a device topic, which needs the API token',
          )
        : undefined;
      target = localTarget(
        values.broker ?? `mqtt://127.0.0.1:${env.MQTT_PORT || 1883}`,
        dataDirCredentials(
          dataDir,
          devices.map((d) => d.id),
          env.ALLOW_ANONYMOUS_DEVICES === '1',
          consoleToken,
        ),
      );
    }
  }

  const expect = values.expect ?? false;
  if (expect && dryRun)
    throw new UsageError('--expect checks what was published: it cannot be combined with --dry-run');
  const token = expect ? await resolveToken(values, env, dataDir) : undefined;
  const apiUrl = values.api ?? `http://127.0.0.1:${env.HTTP_PORT || 3000}`;
  const expectTimeoutMs = values['expect-timeout']
    ? usage(() => parseDuration(values['expect-timeout'] as string), 'expect-timeout')
    : 30_000;

  const json = values.json ?? false;
  const view =
    token === undefined ? undefined : httpServiceView(apiUrl, token, join(dataDir, 'outbox', 'sms.jsonl'));
  if (view) {
    const ahead = await devicesAhead(
      view,
      devices.slice(0, 50).map((d) => d.id),
      from ?? now,
    );
    const first = ahead[0];
    if (first) {
      io.stderr.write(
        `pamir-sim: warning: the service already holds samples up to ${new Date(first.latest).toISOString()} for ${ahead.length} device(s) (e.g. ${first.deviceId}); this run's samples will interleave with them and expectations may not hold: start after it with --from ${new Date(first.latest + 60_000).toISOString()}\n`,
      );
    }
  }
  const human = dryRun ? io.stderr : io.stdout;
  const stats = new RunStats();
  const modeText = backfill ? 'backfill' : speed === 1 ? 'real time' : `×${speed}`;
  if (!json) {
    io.stderr.write(
      `pamir-sim: ${devices.length} devices (${source}) → ${target ? target.url : 'dry run'} · ${modeText} · seed ${seed}\n`,
    );
  }

  const progress = io.stderr.isTTY && !values.quiet && !json && !dryRun;
  const meter = new RateMeter();
  let timer: NodeJS.Timeout | undefined;
  const result: SimulationResult = await runSimulation({
    fleet,
    devices,
    specs,
    seed,
    mode: backfill ? 'backfill' : 'live',
    speed,
    batchSize,
    basicIngest: values['basic-ingest'] ?? false,
    record: expect,
    stats,
    ...(target ? { target } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(samplesPerDevice !== undefined ? { samplesPerDevice } : {}),
    ...(intervalS !== undefined ? { intervalS } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    onEmission: dryRun
      ? (e: Emission) =>
          io.stdout.write(`${JSON.stringify({ at: e.at, topic: e.topic, payload: e.payload })}\n`)
      : undefined,
    warn: (message) => io.stderr.write(`pamir-sim: warning: ${message}\n`),
    onStart: ({ simStart, simEnd, instances }) => {
      if (!json) {
        io.stderr.write(`  simulated ${toIso(simStart)} → ${toIso(simEnd)}\n`);
        for (const i of instances.filter((x) => x.def.name !== 'normal')) {
          io.stderr.write(
            `  ${i.label}: ${i.affected.map((a) => a.device.id).join(', ')} from +${formatDuration(i.startOffsetMs)}${i.durationMs === undefined ? '' : ` for ${formatDuration(i.durationMs)}`}\n`,
          );
        }
      }
      if (progress) {
        timer = setInterval(() => {
          io.stderr.write(
            `\r\x1b[2K${progressLine(stats, meter.rate(Date.now(), stats.acked), stats.simTime)}`,
          );
        }, 500);
      }
    },
  }).finally(() => {
    if (timer) {
      clearInterval(timer);
      io.stderr.write('\r\x1b[2K');
    }
  });

  let checks: CheckResult[] = [];
  if (view && result.record) {
    if (!json)
      io.stderr.write(
        `pamir-sim: checking expected outcomes against ${apiUrl} (up to ${formatDuration(expectTimeoutMs)})…\n`,
      );
    const planned = planChecks(result.instances, {
      record: result.record,
      simStart: result.simStart,
      since: result.record.startedAt - 1000,
      seed,
    });
    checks = await runChecks(planned, view, {
      timeoutMs: expectTimeoutMs,
      settleMs: 3000,
      pollMs: 500,
      ...(io.signal ? { signal: io.signal } : {}),
    });
  }

  const failedChecks = checks.filter((c) => !c.ok).length;
  const exitCode = failedChecks > 0 || stats.failed > 0 ? EXIT.failed : EXIT.ok;
  const summary = buildSummary(result, {
    seed,
    mode: backfill ? 'backfill' : 'live',
    speed,
    target,
    checks,
    exitCode,
  });
  if (json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else human.write(formatSummary(summary));
  return exitCode;
}

export interface Summary {
  seed: number;
  mode: 'live' | 'backfill';
  speed: number;
  target: string;
  simStart: string;
  simEnd: string;
  wallSeconds: number;
  interrupted: boolean;
  devices: number;
  /** Most devices connected at once. */
  connected: number;
  reconnects: number;
  sent: number;
  acked: number;
  failed: number;
  refused: number;
  samples: number;
  ackedPerS: number;
  latencyMs: { p50: number; p99: number; max: number };
  schedulerLagMs: { p50: number; p99: number };
  rssMb: number;
  scenarios: {
    name: string;
    sent: number;
    acked: number;
    failed: number;
    refused: number;
    samples: number;
  }[];
  instances: { scenario: string; devices: string[]; expected: string }[];
  errors: Record<string, string>;
  expect?: { passed: number; failed: number; checks: CheckResult[] };
  exitCode: number;
}

const r2 = (n: number) => Math.round(n * 100) / 100;

function buildSummary(
  result: SimulationResult,
  info: {
    seed: number;
    mode: 'live' | 'backfill';
    speed: number;
    target: Target | undefined;
    checks: CheckResult[];
    exitCode: number;
  },
): Summary {
  const { stats } = result;
  const wallSeconds = Math.max(0.001, (result.publishEndedAt - result.startedAt) / 1000);
  const summary: Summary = {
    seed: info.seed,
    mode: info.mode,
    speed: info.speed,
    target: info.target?.url ?? 'dry-run',
    simStart: toIso(result.simStart),
    simEnd: toIso(Math.min(result.simEnd, stats.simTime ?? result.simEnd)),
    wallSeconds: r2(wallSeconds),
    interrupted: result.interrupted,
    devices: stats.devices || result.instances[0]?.affected.length || 0,
    connected: stats.peakConnected,
    reconnects: stats.reconnects,
    sent: stats.sent,
    acked: stats.acked,
    failed: stats.failed,
    refused: stats.refused,
    samples: stats.samples,
    ackedPerS: r2(stats.acked / wallSeconds),
    latencyMs: {
      p50: r2(stats.latency.quantile(0.5)),
      p99: r2(stats.latency.quantile(0.99)),
      max: r2(stats.latency.max),
    },
    schedulerLagMs: { p50: r2(stats.lag.quantile(0.5)), p99: r2(stats.lag.quantile(0.99)) },
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
    scenarios: [...stats.byScenario].map(([name, c]) => ({ name, ...c })),
    instances: result.instances.map((i) => ({
      scenario: i.label,
      devices: i.affected.map((a) => a.device.id),
      expected: i.def.expected,
    })),
    errors: Object.fromEntries([...stats.errors].slice(0, 20)),
    exitCode: info.exitCode,
  };
  if (info.checks.length > 0) {
    const failed = info.checks.filter((c) => !c.ok).length;
    summary.expect = { passed: info.checks.length - failed, failed, checks: info.checks };
  }
  return summary;
}

function formatSummary(s: Summary): string {
  const pad = (v: string | number, n: number) => String(v).padEnd(n);
  const lines = [
    '',
    `Summary: seed ${s.seed} · ${s.mode === 'backfill' ? 'backfill' : s.speed === 1 ? 'real time' : `×${s.speed}`} · simulated ${s.simStart} → ${s.simEnd} · ${s.wallSeconds} s${s.interrupted ? ' · interrupted' : ''}`,
    ...(s.target === 'dry-run'
      ? [
          `  devices    ${s.devices}`,
          `  messages   ${s.sent} generated, ${s.samples} samples (dry run: nothing published)`,
        ]
      : [
          `  devices    ${s.devices} (${s.connected} connected at once, reconnects ${s.reconnects})`,
          `  messages   sent ${s.sent} · acked ${s.acked} · failed ${s.failed}${s.refused ? ` · refused by the broker as expected ${s.refused}` : ''} · ${s.ackedPerS} acked/s`,
          `  samples    ${s.samples} acknowledged`,
          `  latency    publish→PUBACK p50 ${s.latencyMs.p50} ms · p99 ${s.latencyMs.p99} ms · max ${s.latencyMs.max} ms (scheduler lag p99 ${s.schedulerLagMs.p99} ms)`,
        ]),
    `  memory     rss ${s.rssMb} MB`,
    `  ${pad('scenario', 22)}${pad('sent', 9)}${pad('acked', 9)}${pad('failed', 8)}${pad('refused', 9)}samples`,
    ...s.scenarios.map(
      (c) =>
        `  ${pad(c.name, 22)}${pad(c.sent, 9)}${pad(c.acked, 9)}${pad(c.failed, 8)}${pad(c.refused, 9)}${c.samples}`,
    ),
  ];
  const errors = Object.entries(s.errors);
  if (errors.length)
    lines.push('  connection errors:', ...errors.slice(0, 5).map(([id, e]) => `    ${id}: ${e}`));
  if (s.expect) {
    lines.push('', `Expected outcomes: ${s.expect.passed} passed, ${s.expect.failed} failed`);
    for (const c of s.expect.checks) {
      lines.push(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.scenario}  ${c.check}  ${c.subject}`);
      lines.push(`        expected ${c.expected}`);
      lines.push(`        found    ${c.found}`);
    }
  }
  if (s.failed > 0) lines.push('', `${s.failed} message(s) were not acknowledged by the broker.`);
  return `${lines.join('\n')}\n`;
}
