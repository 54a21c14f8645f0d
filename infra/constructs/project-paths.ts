import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: function entries in `FUNCTIONS` are relative to it, and esbuild runs from it. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The lockfile NodejsFunction hashes and installs from. */
export const DEPS_LOCK_FILE = join(PROJECT_ROOT, 'package-lock.json');

/** Absolute path of a repository-relative path such as `FUNCTIONS.ingest.entry`. */
export function projectPath(relativePath: string): string {
  return join(PROJECT_ROOT, relativePath);
}
