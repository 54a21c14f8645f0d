import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { logger } from '../shared/logger';
import { runAlarmSweep, type SweepDeps, type SweepResult } from '../use-cases/alarm-sweep';
import { flushMetrics } from './flush-metrics';

/** EventBridge schedule → reminders, escalation, shelve expiry, offline detection, flood digests. */
export function buildAlarmSweepHandler(deps: SweepDeps) {
  return middy<ScheduledEvent, SweepResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(flushMetrics(deps.metrics))
    .handler(async () => {
      const result = await runAlarmSweep(deps);
      logger.info('alarm sweep done', { ...result });
      return result;
    });
}
