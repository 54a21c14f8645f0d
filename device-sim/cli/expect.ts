import { join } from 'node:path';
import type { Device } from '../../functions/core/registry';
import { MINUTE_MS } from '../../functions/shared/time';
import type { CliIo } from '../cli';
import type { CheckResult } from '../expect/check';
import { planChecks } from '../expect/plan';
import { devicesAhead, runChecks } from '../expect/runner';
import { httpServiceView, type ServiceView } from '../expect/service-view';
import { UsageError } from '../fleet';
import type { SimulationResult } from '../run';
import { formatDuration, parseDuration } from '../time';
import { dataDirOf, resolveToken } from './connect';
import type { CliValues } from './options';
import { parsed } from './values';

/** Where and how long --expect looks for the outcomes. */
interface ExpectSetup {
  view: ServiceView;
  apiUrl: string;
  timeoutMs: number;
}

/** The service to check against, when --expect asks for it. */
export async function resolveExpect(values: CliValues, env: CliIo['env']): Promise<ExpectSetup | undefined> {
  if (!values.expect) return undefined;
  if (values['dry-run'])
    throw new UsageError('--expect checks what was published: it cannot be combined with --dry-run');
  const token = await resolveToken(values, env);
  const apiUrl = values.api ?? `http://127.0.0.1:${env.HTTP_PORT || 3000}`;
  const timeoutMs = parsed('expect-timeout', values['expect-timeout'] || undefined, parseDuration) ?? 30_000;
  const view = httpServiceView(apiUrl, token, join(dataDirOf(values, env), 'outbox', 'sms.jsonl'));
  return { view, apiUrl, timeoutMs };
}

/** Warns when the service already holds newer samples: this run's would interleave with them. */
export async function warnIfServiceAhead(
  setup: ExpectSetup,
  devices: readonly Device[],
  simStart: number,
  io: CliIo,
): Promise<void> {
  const ahead = await devicesAhead(
    setup.view,
    devices.slice(0, 50).map((d) => d.id),
    simStart,
  );
  const first = ahead[0];
  if (first) {
    io.stderr.write(
      `pamir-sim: warning: the service already holds samples up to ${new Date(first.latest).toISOString()} for ${ahead.length} device(s) (e.g. ${first.deviceId}); this run's samples will interleave with them and expectations may not hold: start after it with --from ${new Date(first.latest + MINUTE_MS).toISOString()}\n`,
    );
  }
}

/** Checks every scenario's expected outcome against the service, waiting for it to catch up. */
export async function checkOutcomes(
  setup: ExpectSetup,
  result: SimulationResult,
  seed: number,
  io: CliIo,
  quietStart: boolean,
): Promise<CheckResult[]> {
  if (!result.record) return [];
  if (!quietStart)
    io.stderr.write(
      `pamir-sim: checking expected outcomes against ${setup.apiUrl} (up to ${formatDuration(setup.timeoutMs)})…\n`,
    );
  const planned = planChecks(result.instances, {
    record: result.record,
    simStart: result.simStart,
    since: result.record.startedAt - 1000,
    seed,
  });
  return runChecks(planned, setup.view, {
    timeoutMs: setup.timeoutMs,
    settleMs: 3000,
    pollMs: 500,
    ...(io.signal ? { signal: io.signal } : {}),
  });
}
