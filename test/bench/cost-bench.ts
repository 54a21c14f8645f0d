import { Logger } from '@aws-lambda-powertools/logger';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { emptySweepResult } from '../../functions/use-cases/alarm-sweep';
import { projectPath } from '../../infra/constructs/project-paths';
import { DEFAULT_FLEET_FILE, readFleetFile } from '../../infra/fleet/read-fleet';
import { addTelemetryStacks } from '../../infra/stacks/telemetry-app';
import { FUNCTIONS } from '../../infra/wiring';
import { lambdaContext } from '../helpers/aws-events';
import { type Bill, DEFAULT_USAGE, type Fleet, monthlyBill, type Usage } from './cost-model';
import { PRICES } from './prices';

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const usd = (n: number) => (n >= 100 ? `$${fmt(n, 0)}` : n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(4)}`);

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '))
    .join('\n');
}

/** Bytes the service's logger writes for one call, at INFO, inside a Lambda context (as the handlers log). */
function loggedBytes(message: string, attributes: Record<string, unknown>, functionName: string): number {
  const logger = new Logger({ serviceName: 'pamir-telemetry', logLevel: 'INFO' });
  logger.addContext(lambdaContext(functionName));
  let bytes = 0;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    bytes += Buffer.byteLength(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    logger.info(message, attributes);
  } finally {
    process.stdout.write = write;
  }
  // The logger writes its JSON straight to stdout (no runtime prefix); the newline ends the event, not part of it.
  return bytes - 1;
}

/** The ingest and sweep functions' INFO lines, measured from the logger's real output. */
export function measuredLogBytes(): Pick<Usage, 'ingestLogBytes' | 'sweepLogBytes'> {
  const sweep = emptySweepResult();
  return {
    ingestLogBytes: loggedBytes(
      'batch ingested',
      { records: 17, storedSamples: 17, quarantined: 0, failed: 0 },
      'PamirTelemetry-Stateless-IngestFunction1A2B3C4D-AbCdEfGh1234',
    ),
    sweepLogBytes: loggedBytes(
      'alarm sweep done',
      { ...sweep },
      'PamirTelemetry-Stateless-AlarmSweepFunction5E6F7A8B-IjKlMnOp5678',
    ),
  };
}

/**
 * Fixed-cost resources counted in the synthesised stacks with the default context (assets not bundled: only the
 * templates matter here), and how many functions have active X-Ray tracing.
 */
export function countedResources(): {
  alarms: number;
  dashboards: number;
  kmsKeys: number;
  tracedFunctions: number;
} {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const { stateful, stateless } = addTelemetryStacks(app);
  const stacks: Stack[] = [stateful, stateless];
  const count = (type: string, props?: object) =>
    stacks.reduce((n, s) => n + Object.keys(Template.fromStack(s).findResources(type, props)).length, 0);
  return {
    alarms: count('AWS::CloudWatch::Alarm'),
    dashboards: count('AWS::CloudWatch::Dashboard'),
    kmsKeys: count('AWS::KMS::Key'),
    tracedFunctions: count('AWS::Lambda::Function', {
      Properties: { TracingConfig: { Mode: 'Active' } },
    }),
  };
}

/** The example county's device count (infra/fleet/example-county.json). */
export async function exampleCountyDevices(): Promise<number> {
  const { fleet } = await readFleetFile(projectPath(DEFAULT_FLEET_FILE));
  return fleet.devices.length;
}

const xrayOf = (bill: Bill) => bill.lines.find((l) => l.item.startsWith('X-Ray'));

/** The bills as printed; `ifTraced` are the same fleets with `tracing: 'active'`, shown as one extra row. */
function billTable(bills: Bill[], ifTraced: Bill[]): string {
  const [first] = bills;
  if (!first) return '';
  return table([
    ['item', ...bills.flatMap((b) => [`${fmt(b.fleet.devices)} dev: qty`, 'USD/month'])],
    ...first.lines.map((l, i) => [
      `${l.item}${l.fixed ? ' (fixed)' : ''}`,
      ...bills.flatMap((b) => {
        const line = b.lines[i];
        return line
          ? [`${fmt(line.quantity, line.quantity < 10 ? 2 : 0)} ${line.unit}`, usd(line.usd)]
          : ['', ''];
      }),
    ]),
    ['total', ...bills.flatMap((b) => ['', usd(b.total)])],
    ['per device', ...bills.flatMap((b) => ['', usd(b.perDevice)])],
    [
      'X-Ray if -c tracing=active (adds)',
      ...ifTraced.flatMap((b, i) => {
        const xray = xrayOf(b);
        return [`${fmt(xray?.quantity ?? 0)} traces`, `+${usd(b.total - (bills[i]?.total ?? 0))}`];
      }),
    ],
    [
      'ingest invocations / messages per batch',
      ...bills.flatMap((b) => [fmt(b.invocations), fmt(b.batchFill, 1)]),
    ],
  ]);
}

/**
 * Prints the monthly bill for the example county, 1,000 and 10,000 devices at 1 sample a minute, then what
 * device-side batching changes, and returns the figures for BENCH_JSON. `measured` replaces the defaults that the
 * calling bench measured itself.
 */
export async function costBench(measured: Partial<Usage> = {}) {
  const resources = countedResources();
  const usage: Usage = {
    ...DEFAULT_USAGE,
    ...measuredLogBytes(),
    cloudwatchAlarms: resources.alarms,
    dashboards: resources.dashboards,
    kmsKeys: resources.kmsKeys,
    // As deployed with the default context (`-c tracing=off` unless cdk.json says otherwise).
    tracing: resources.tracedFunctions > 0 ? 'active' : 'off',
    ingestMemoryMb: FUNCTIONS.ingest.memoryMb,
    sweepMemoryMb: FUNCTIONS.alarmSweep.memoryMb,
    apiMemoryMb: FUNCTIONS.api.memoryMb,
    ...measured,
  };
  const county = await exampleCountyDevices();
  const fleets: Fleet[] = [county, 1000, 10_000].map((devices) => ({
    devices,
    samplesPerMinute: 1,
    samplesPerMessage: 1,
  }));
  const bills = fleets.map((f) => monthlyBill(f, usage));
  const traced: Usage = { ...usage, tracing: 'active' };
  const ifTraced = fleets.map((f) => monthlyBill(f, traced));
  console.log(
    `\n(d) monthly bill at 1 sample/min, ${PRICES.region} list prices of ${PRICES.asOf} (no free tier); ` +
      `example county = ${county} devices; counted in the synthesised stacks: ${resources.alarms} alarms, ` +
      `${resources.dashboards} dashboards, ${resources.kmsKeys} KMS keys; X-Ray tracing ${usage.tracing} ` +
      `(${resources.tracedFunctions} traced functions). Model and assumptions: docs/cost.md.\n`,
  );
  console.log(billTable(bills, ifTraced));

  const batching = [1, 5, 10].map((samplesPerMessage) =>
    monthlyBill({ devices: 1000, samplesPerMinute: 1, samplesPerMessage }, usage),
  );
  console.log(
    '\n    device-side batching, 1,000 devices (samples per message → bill; alarm seen up to N−1 min later):',
  );
  console.log(
    table([
      [
        'samples/message',
        'IoT + SQS + Lambda',
        'DynamoDB writes',
        'X-Ray if active',
        'total',
        'per device',
        'extra alarm delay',
      ],
      ...batching.map((b) => {
        const sum = (prefixes: string[]) =>
          b.lines.filter((l) => prefixes.some((p) => l.item.startsWith(p))).reduce((n, l) => n + l.usd, 0);
        return [
          String(b.fleet.samplesPerMessage),
          usd(sum(['IoT', 'SQS', 'Lambda'])),
          usd(sum(['DynamoDB writes'])),
          usd(xrayOf(monthlyBill(b.fleet, traced))?.usd ?? 0),
          usd(b.total),
          usd(b.perDevice),
          `≤ ${b.fleet.samplesPerMessage - 1} min`,
        ];
      }),
    ]),
  );
  return {
    pricesAsOf: PRICES.asOf,
    usage,
    bills: bills.map((b) => ({
      devices: b.fleet.devices,
      totalUsd: Number(b.total.toFixed(2)),
      perDeviceUsd: Number(b.perDevice.toFixed(4)),
      batchFill: Number(b.batchFill.toFixed(1)),
      tracingActiveAddsUsd: Number(((ifTraced[bills.indexOf(b)]?.total ?? 0) - b.total).toFixed(2)),
      lines: Object.fromEntries(b.lines.map((l) => [l.item, Number(l.usd.toFixed(4))])),
    })),
    batching: batching.map((b) => ({
      samplesPerMessage: b.fleet.samplesPerMessage,
      totalUsd: Number(b.total.toFixed(2)),
    })),
  };
}
