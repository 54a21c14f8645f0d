import { join } from 'node:path';
import type { DeadLetterQueue } from '../../functions/ports/dead-letters';
import { DeadLetterFile, LocalDeadLetterQueue } from '../../infra/local/dead-letter-file';

/**
 * A real local dead-letter queue over a file in `dir`, for API tests that run without the router. Redriven messages
 * are handed to `requeue` (by default dropped: these tests never redrive).
 */
export function fileDeadLetters(dir: string, requeue = async () => undefined): DeadLetterQueue {
  return new LocalDeadLetterQueue(new DeadLetterFile(join(dir, 'dlq.jsonl')), requeue);
}
