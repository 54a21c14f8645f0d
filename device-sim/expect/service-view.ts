import { z } from 'zod';
import type { OutboxLine } from '../../functions/adapters/outbox-notifier';
import { AUDIENCES, LANGUAGES, SEVERITIES } from '../../functions/core/alarm-types';
import { readJsonLines } from '../../functions/shared/json-lines';

export type { OutboxLine };

/** What one GET answered: `status` 0 and an `error` when the API could not be reached. */
export interface ApiAnswer {
  status: number;
  body: unknown;
  error?: string;
}

/** The service as the checks see it: its HTTP API and its SMS outbox. Tests stand in for it with plain data. */
export interface ServiceView {
  /** GET a JSON document from the API. */
  get(path: string): Promise<ApiAnswer>;
  /** The SMS outbox lines, parsed; undefined when the file does not exist. */
  outbox(): Promise<OutboxLine[] | undefined>;
  outboxFile: string;
}

const outboxLine = z.object({
  at: z.string(),
  to: z.string(),
  audience: z.enum(AUDIENCES),
  severity: z.enum(SEVERITIES),
  siteId: z.string(),
  deviceId: z.string(),
  alarmId: z.string(),
  lang: z.enum(LANGUAGES),
  text: z.string(),
}) satisfies z.ZodType<OutboxLine>;

/**
 * Every line of the SMS outbox, or undefined when there is no outbox file yet. The service appends while this reads,
 * so a torn last line is expected: it and any line that is not an outbox line go to `onBadLine`, which may throw.
 */
export async function readOutboxFile(
  file: string,
  onBadLine: (problem: string) => void = () => undefined,
): Promise<OutboxLine[] | undefined> {
  const lines: OutboxLine[] = [];
  try {
    for await (const value of readJsonLines(file, onBadLine)) {
      const line = outboxLine.safeParse(value);
      if (line.success) lines.push(line.data);
      else onBadLine(`${file}: not an outbox line: ${JSON.stringify(value).slice(0, 200)}`);
    }
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return undefined;
    throw err;
  }
  return lines;
}

/** Why fetch failed: Node puts the network error (ECONNREFUSED…) in `cause`. */
function unreachable(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { cause } = err;
  if (cause instanceof Error)
    return ('code' in cause && typeof cause.code === 'string' && cause.code) || cause.message;
  return err.message;
}

/** The local service over HTTP (bearer token) plus its SMS outbox file. */
export function httpServiceView(apiUrl: string, token: string, outboxFile: string): ServiceView {
  const base = apiUrl.replace(/\/+$/, '');
  return {
    outboxFile,
    async get(path) {
      try {
        const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Keep the text: an error page is still worth showing.
        }
        return { status: res.status, body };
      } catch (err) {
        return { status: 0, body: undefined, error: `cannot reach ${base}: ${unreachable(err)}` };
      }
    },
    outbox: () => readOutboxFile(outboxFile),
  };
}
