import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Fleet, parseFleet } from '../../functions/core/registry';

export const DEFAULT_FLEET_FILE = 'infra/fleet/example-county.json';

/** Reads and validates a fleet file; errors name the file and every problem in it. */
export async function readFleetFile(
  path: string = DEFAULT_FLEET_FILE,
): Promise<{ file: string; fleet: Fleet }> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read fleet file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`fleet file ${file} is not JSON: ${(err as Error).message}`);
  }
  try {
    return { file, fleet: parseFleet(doc) };
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}
