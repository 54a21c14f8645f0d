import { randomBytes } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { rollupJobDeps, type Service, sweepDeps } from '../../functions/composition';
import { buildAlarmSweepHandler } from '../../functions/handlers/alarm-sweep-handler';
import { buildRollupsHandler } from '../../functions/handlers/rollups-handler';
import { MINUTE_MS } from '../../functions/shared/time';
import { FUNCTIONS, SCHEDULES, type ScheduleSpec } from '../wiring';
import { withTimeout } from './function-timeout';
import { localContext } from './lambda-context';

function scheduledEvent(id: string): ScheduledEvent {
  return {
    version: '0',
    id: randomBytes(8).toString('hex'),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'local',
    resources: [`arn:aws:events:local:000000000000:rule/${id}`],
    detail: {},
  };
}

/**
 * Runs `run` every `spec.everyMinutes`, bounded by its function's timeout; returns the timer's stop, which waits for a
 * run still under way.
 */
function startTimer(spec: ScheduleSpec, run: () => Promise<unknown>, log: (line: string) => void) {
  const timeoutMs = FUNCTIONS[spec.function].timeoutS * 1000;
  // The invocation still under way, if any: a tick while it runs is skipped, so runs never overlap (a run past
  // its timeout is reported as failed, as Lambda would, but it cannot be killed, so it still holds the slot).
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) {
      log(`schedule ${spec.id}: skipped, the previous run is still going`);
      return;
    }
    const invocation = run();
    running = invocation.finally(() => {
      running = undefined;
    });
    withTimeout(invocation, timeoutMs, spec.function).catch((err: Error) =>
      log(`schedule ${spec.id} failed: ${err.message}`),
    );
    running.catch(() => undefined);
  }, spec.everyMinutes * MINUTE_MS);
  return async () => {
    clearInterval(timer);
    await running?.catch(() => undefined);
  };
}

/**
 * Plays EventBridge for every entry in SCHEDULES, one timer each. Hands each timer's stop to `onStop` as soon as the
 * timer exists, so a failure part-way still clears the ones already started. Returns a way to run a schedule now.
 */
export function startLocalSchedules(
  service: Service,
  log: (line: string) => void,
  onStop: (stop: () => Promise<void>) => void,
): (id: string) => Promise<unknown> {
  const sweep = buildAlarmSweepHandler(sweepDeps(service));
  const rollups = buildRollupsHandler(rollupJobDeps(service));
  const schedules: Record<string, () => Promise<unknown>> = {
    'alarm-sweep': () => sweep(scheduledEvent('alarm-sweep'), localContext('alarm-sweep')),
    rollups: () =>
      rollups(scheduledEvent('rollups'), localContext('rollups', FUNCTIONS.rollups.timeoutS * 1000)),
  };
  for (const spec of SCHEDULES) {
    const run = schedules[spec.id];
    if (!run) throw new Error(`no local runner for schedule ${spec.id}`);
    onStop(startTimer(spec, run, log));
  }
  return async (id: string) => {
    const run = schedules[id];
    if (!run) throw new Error(`unknown schedule ${id}`);
    return run();
  };
}
