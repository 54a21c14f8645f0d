import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Fleet, parseFleet } from '../../functions/core/registry';

/** The fleet `npm start`, `fleet:load` and the simulator use unless told otherwise (FLEET_FILE, --file, --fleet). */
export const DEFAULT_FLEET_FILE = 'infra/fleet/example-county.json';

/** A fleet file that cannot be read, is not JSON or is not a valid fleet; the message names the file. */
export class FleetFileError extends Error {
  override name = 'FleetFileError';
}

/** Reads and validates a fleet file; errors name the file and every problem in it. */
export async function readFleetFile(
  path: string = DEFAULT_FLEET_FILE,
): Promise<{ file: string; fleet: Fleet }> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const why =
      err instanceof Error && 'code' in err && err.code === 'ENOENT' ? 'no such file' : messageOf(err);
    throw new FleetFileError(`cannot read fleet file ${file}: ${why}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new FleetFileError(`fleet file ${file} is not JSON: ${messageOf(err)}`, { cause: err });
  }
  try {
    return { file, fleet: parseFleet(doc) };
  } catch (err) {
    throw new FleetFileError(`${file}: ${messageOf(err)}`, { cause: err });
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
