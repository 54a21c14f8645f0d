import type { OutboxLine } from '../../functions/adapters/outbox-notifier';
import { readJsonLinesFile } from '../../functions/shared/json-lines';

export type { OutboxLine };

/** Every SMS the local runtime has written to its outbox so far (none before the first); a torn line fails the test. */
export async function readOutbox(runtime: { outboxFile: string }): Promise<OutboxLine[]> {
  const lines = await readJsonLinesFile(runtime.outboxFile, (problem) => {
    throw new Error(problem);
  });
  return (lines ?? []) as OutboxLine[];
}
