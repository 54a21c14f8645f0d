import { failed, ServiceApi } from './api-client';
import { type CheckResult, fewAtATime, type PlannedCheck } from './check';
import type { ServiceView } from './service-view';

export interface ExpectOptions {
  /** Give up waiting for the service to catch up after this long. */
  timeoutMs: number;
  pollMs?: number;
  /** Once everything passes, look again after this long, so "exactly one" is not judged too early. */
  settleMs?: number;
  signal?: AbortSignal;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One round: every check against what the service holds now, shared answers fetched once. */
async function evaluateAll(checks: readonly PlannedCheck[], view: ServiceView): Promise<CheckResult[]> {
  const api = new ServiceApi(view);
  const results: CheckResult[] = [];
  for (const { scenario, check, subject, expected, evaluate } of checks) {
    const { ok, found } = await evaluate(api);
    results.push({ scenario, check, subject, ok, expected, found });
  }
  return results;
}

/**
 * Evaluates the checks until all pass (then once more after a settle time) or the timeout passes; ingest is
 * asynchronous, so the first look may be too early.
 */
export async function runChecks(
  checks: readonly PlannedCheck[],
  view: ServiceView,
  options: ExpectOptions,
): Promise<CheckResult[]> {
  const deadline = Date.now() + options.timeoutMs;
  const allOk = (results: CheckResult[]) => results.every((r) => r.ok);
  let results = await evaluateAll(checks, view);
  while (!allOk(results) && Date.now() < deadline && !options.signal?.aborted) {
    await pause(options.pollMs ?? 500);
    results = await evaluateAll(checks, view);
  }
  if (allOk(results) && (options.settleMs ?? 0) > 0) {
    await pause(options.settleMs ?? 0);
    results = await evaluateAll(checks, view);
  }
  return results;
}

/**
 * Devices for which the service already holds samples newer than `simStart`: a run that starts there interleaves its
 * samples with the earlier ones, and the service judges the mixture (e.g. a breach no longer holds for N samples).
 */
export async function devicesAhead(
  view: ServiceView,
  deviceIds: readonly string[],
  simStart: number,
): Promise<{ deviceId: string; latest: number }[]> {
  const api = new ServiceApi(view);
  const ahead: { deviceId: string; latest: number }[] = [];
  await fewAtATime(deviceIds, async (deviceId) => {
    const latest = await api.latestTs(deviceId);
    if (!failed(latest) && latest >= simStart) ahead.push({ deviceId, latest });
  });
  return ahead.sort((a, b) => b.latest - a.latest);
}
