import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh empty folder under the OS temp dir; remove it with `removeTempDir`. */
export function makeTempDir(prefix = 'pamir-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function removeTempDir(path: string): Promise<void> {
  return rm(path, { recursive: true, force: true });
}
