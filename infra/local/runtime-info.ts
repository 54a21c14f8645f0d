import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '../../functions/shared/error-code';
import { jsonLine } from '../../functions/shared/json-lines';

/** What a running `npm start` tells other commands (e.g. `npm run dlq`) about itself. */
export interface RuntimeInfo {
  pid: number;
  httpPort: number;
}

const FILE = 'runtime.json';

/** Records the running runtime in `$DATA_DIR/runtime.json`; returns the file's path (removed on a clean stop). */
export async function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): Promise<string> {
  const path = join(dataDir, FILE);
  await writeFile(path, jsonLine(info), { mode: 0o600 });
  return path;
}

/**
 * The runtime using `dataDir`, if one is running: the file names a live process. A file left by a killed runtime
 * names a dead one and is ignored.
 */
export async function runningRuntime(dataDir: string): Promise<RuntimeInfo | undefined> {
  let info: RuntimeInfo;
  try {
    info = JSON.parse(await readFile(join(dataDir, FILE), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(info.pid) || !Number.isInteger(info.httpPort)) return undefined;
  try {
    process.kill(info.pid, 0);
    return info;
  } catch (err) {
    // EPERM: alive but another user's; still running.
    return errorCode(err) === 'EPERM' ? info : undefined;
  }
}
