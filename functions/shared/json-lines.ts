import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * One record as a line of a JSON-lines file. Every `.jsonl` file the service writes (the SMS outbox, the router's
 * spool and dead-letter file) is a sequence of these, so one reader reads them all.
 */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/**
 * Reads a JSON-lines file as a stream, one record at a time, so a file of any size is read in bounded memory. A line
 * that is not JSON (a record torn by a crash mid-write, or a corrupt one) is skipped and reported to `log` with its
 * byte offset. A missing file rejects with `ENOENT` at the first read.
 */
export async function* readJsonLines(
  path: string,
  log: (line: string) => void,
): AsyncGenerator<unknown, void, undefined> {
  const input = createReadStream(path);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let offset = 0;
  try {
    for await (const line of lines) {
      const at = offset;
      offset += Buffer.byteLength(line) + 1;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        log(`skipped a torn or corrupt record in ${path} at byte ${at} (${line.length} characters)`);
        continue;
      }
      yield value;
    }
  } finally {
    lines.close();
    input.destroy();
  }
}
