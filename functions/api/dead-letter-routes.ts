import { z } from 'zod';
import type { DeadLetterQueue } from '../ports/dead-letters';
import { type ApiEvent, type ApiResult, json, parseBody, parseQuery } from './http';

export interface DeadLetterApiDeps {
  deadLetters: DeadLetterQueue;
}

const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().min(1).max(1024).optional(),
  })
  .strict();

const redriveBody = z
  .object({
    ids: z.array(z.string().min(1).max(200)).min(1).max(1000).optional(),
    all: z.literal(true).optional(),
  })
  .strict()
  .refine((b) => (b.ids === undefined) !== (b.all === undefined), {
    message: 'send either {"ids": ["<id>", …]} or {"all": true}',
  });

/** Dead-letter routes, keyed by API Gateway route key. */
export const deadLetterRoutes: Record<
  string,
  (event: ApiEvent, deps: DeadLetterApiDeps) => Promise<ApiResult>
> = {
  'GET /dead-letters': async (event, deps) => {
    const q = parseQuery(listQuery, event);
    const page = await deps.deadLetters.list(q.limit, q.cursor);
    return json(200, { items: page.items, total: page.total, nextCursor: page.cursor });
  },

  'POST /dead-letters/redrive': async (event, deps) => {
    const body = parseBody(redriveBody, event);
    const result = await deps.deadLetters.redrive(body.ids ? { ids: body.ids } : { all: true });
    return json(200, result);
  },
};
