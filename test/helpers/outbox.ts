import { type OutboxLine, readOutboxFile } from '../../device-sim/expect/service-view';

export type { OutboxLine };

/** Every SMS the local runtime has written to its outbox so far (none before the first); a bad line fails the test. */
export async function readOutbox(runtime: { outboxFile: string }): Promise<OutboxLine[]> {
  const lines = await readOutboxFile(runtime.outboxFile, (problem) => {
    throw new Error(problem);
  });
  return lines ?? [];
}
