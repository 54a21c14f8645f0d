import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { z } from 'zod';
import { REPORT_TIME_ZONE } from '../core/rollup-types';
import { logger } from '../shared/logger';
import { type RollupJobDeps, type RollupJobResult, runRollupJob } from '../use-cases/rollup-job';

/** A manual invocation may ask for a range to be recomputed (`{"recompute":{"from":…,"to":…}}`, epoch ms). */
const recomputeSchema = z
  .object({
    from: z.number().int().nonnegative(),
    to: z.number().int().positive(),
    deviceIds: z.array(z.string().min(1)).optional(),
  })
  .refine((r) => r.from < r.to, 'recompute.from must be before recompute.to');

type RollupEvent = Partial<ScheduledEvent> & { recompute?: unknown };

/** EventBridge schedule (or a manual invocation with `recompute`) → the roll-up job. */
export function buildRollupsHandler(deps: RollupJobDeps) {
  return middy<RollupEvent, RollupJobResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event, context: Context) => {
      const recompute = event?.recompute === undefined ? undefined : recomputeSchema.parse(event.recompute);
      const remainingMs =
        typeof context?.getRemainingTimeInMillis === 'function'
          ? () => context.getRemainingTimeInMillis()
          : undefined;
      const result = await runRollupJob(
        remainingMs ? { ...deps, remainingMs } : deps,
        recompute ? { recompute } : {},
      );
      // Days are the report calendar's: say which, so a reader of the log does not take them for UTC days.
      logger.info('roll-up job done', { ...result, dayTimeZone: REPORT_TIME_ZONE });
      return result;
    });
}
