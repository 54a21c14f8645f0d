import { z } from 'zod';
import { METRIC_NAME_PATTERN } from '../contract';
import { NotFoundError, ValidationError } from '../core/errors';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry } from '../ports/device-registry';
import type { ReadingStore } from '../ports/reading-store';
import type { RollupStore } from '../ports/rollup-store';
import { DAY_MS } from '../shared/time';
import { deviceSeries, SERIES_LIMITS } from '../use-cases/device-series';
import { type ApiEvent, type ApiResult, ID_FORMATS, json, parseQuery, pathParam, timeParam } from './http';

export interface SeriesApiDeps {
  registry: DeviceRegistry;
  readings: ReadingStore;
  rollups: Pick<RollupStore, 'range'>;
  clock: Clock;
}

/** Ten years: daily roll-ups are kept, but a chart of a longer range is a mistake in the query. */
const MAX_RANGE_MS = 3660 * DAY_MS;

const seriesQuery = z
  .object({
    metric: z.string().regex(METRIC_NAME_PATTERN, 'must be a metric name such as free_chlorine_mg_l'),
    from: timeParam.optional(),
    to: timeParam.optional(),
    points: z.coerce
      .number()
      .int('must be a whole number')
      .min(2, 'must be at least 2')
      .max(SERIES_LIMITS.maxPoints, `must be at most ${SERIES_LIMITS.maxPoints}`)
      .default(SERIES_LIMITS.defaultPoints),
  })
  .strict();

/** `GET /devices/{id}/series`: a chart's series of one metric, at most `points` points (docs/rollups.md). */
export const seriesRoutes: Record<string, (event: ApiEvent, deps: SeriesApiDeps) => Promise<ApiResult>> = {
  'GET /devices/{id}/series': async (event, deps) => {
    const id = pathParam(event, 'id', ID_FORMATS.device);
    const device = await deps.registry.get(id);
    if (!device)
      throw new NotFoundError(`device "${id}" is not registered; GET /devices lists the registered ones`);
    const q = parseQuery(seriesQuery, event);
    const to = q.to ?? deps.clock.now();
    const from = q.from ?? to - DAY_MS;
    if (from >= to) throw new ValidationError('query parameter from must be before to');
    if (to - from > MAX_RANGE_MS)
      throw new ValidationError('the range from–to must be at most 10 years; ask for a shorter one');
    return json(200, await deviceSeries(deps, device, { metric: q.metric, from, to, points: q.points }));
  },
};
