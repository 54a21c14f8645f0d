import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '../../functions/shared/error-code';

/** The local API's bearer token and where it came from (printed at start, so an engineer knows which one is in use). */
export interface ApiToken {
  token: string;
  source: string;
}

/** Where `npm start` keeps the local API's bearer token. */
export function apiTokenFile(dataDir: string): string {
  return join(dataDir, 'api-token');
}

/**
 * The local API's bearer token as every local command finds it: `given` (API_TOKEN, or a command's own option) when
 * set, else the one `npm start` keeps in `<dataDir>/api-token`. Undefined when there is neither (an empty file counts
 * as none); a token file that exists but cannot be read is an error, not a missing token.
 */
export async function readApiToken(
  dataDir: string,
  given: string | undefined,
): Promise<ApiToken | undefined> {
  if (given) return { token: given, source: 'API_TOKEN' };
  const file = apiTokenFile(dataDir);
  try {
    const token = (await readFile(file, 'utf8')).trim();
    return token ? { token, source: file } : undefined;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * As `readApiToken`, but with neither a given token nor a kept one, generates one and keeps it in `<dataDir>/api-token`
 * (readable by this user only), so the token stays the same from one `npm start` to the next.
 */
export async function ensureApiToken(dataDir: string, given: string | undefined): Promise<ApiToken> {
  const found = await readApiToken(dataDir, given);
  if (found) return found;
  const file = apiTokenFile(dataDir);
  const token = randomBytes(24).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { token, source: `${file} (generated)` };
}
