import type { CheckResult } from '../expect/check';
import type { SimulationResult } from '../run';
import type { Target } from '../target';

/** An instant for the summary; `open-ended` for a run without an end. */
export function toIso(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : 'open-ended';
}

/** What a run did, printed at the end (or as JSON with --json). */
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

/** The run's summary, as --json prints it. */
export function buildSummary(
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

/** The summary for people: counts, latency, scenarios and each check's PASS/FAIL. */
export function formatSummary(s: Summary): string {
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
