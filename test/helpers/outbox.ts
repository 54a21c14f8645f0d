import { readFile } from 'node:fs/promises';
import type { OutboxLine } from '../../functions/adapters/outbox-notifier';

export type { OutboxLine };

/** Every SMS the local runtime has written to its outbox so far (none before the first). */
export async function readOutbox(runtime: { outboxFile: string }): Promise<OutboxLine[]> {
  try {
    return (await readFile(runtime.outboxFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as OutboxLine);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
