import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROLES, type Role } from '../../functions/core/roles';
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

/** A caller of the local API: a name (recorded as the actor of its changes), a role and its bearer token. */
export interface NamedApiToken {
  name: string;
  role: Role;
  token: string;
}

/** The generated (or `API_TOKEN`) token's identity: the local administrator. */
export const LOCAL_ADMIN_NAME = 'local-admin';

/** Where `npm start` reads further named tokens with roles: `[{"name","role","token"}]`. */
function apiTokensFile(dataDir: string): string {
  return join(dataDir, 'api-tokens.json');
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;
/** As long as the generated one is guessable: 16 characters of base64url hold 96 bits. */
const MIN_TOKEN_CHARS = 16;

function entryProblems(entry: unknown): string[] {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    return ['must be an object {"name","role","token"}'];
  const e = entry as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(e))
    if (!['name', 'role', 'token'].includes(key)) problems.push(`unknown field ${JSON.stringify(key)}`);
  if (typeof e.name !== 'string' || !NAME_PATTERN.test(e.name))
    problems.push(
      'name: 1–100 characters of letters, digits, ".", "_", "@" and "-", starting with a letter or digit',
    );
  if (typeof e.role !== 'string' || !(ROLES as readonly string[]).includes(e.role))
    problems.push(`role: must be one of ${ROLES.join(', ')}`);
  if (typeof e.token !== 'string' || e.token.length < MIN_TOKEN_CHARS || /\s/.test(e.token))
    problems.push(
      `token: at least ${MIN_TOKEN_CHARS} characters, no white space (e.g. openssl rand -base64 24)`,
    );
  return problems;
}

/**
 * Parses the named-tokens file. Every problem is reported at once, each naming its entry by position and name, and the
 * file is refused whole: a half-read file would lock somebody out without saying why. Names and tokens are unique,
 * and none may take the administrator's name or token (`reserved`).
 */
export function parseApiTokens(
  text: string,
  file: string,
  reserved: { name: string; token: string },
): NamedApiToken[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON (${(err as Error).message}); write [{"name","role","token"}, …]`);
  }
  if (!Array.isArray(doc)) throw new Error(`${file} must be a JSON array [{"name","role","token"}, …]`);
  const problems: string[] = [];
  const names = new Set([reserved.name]);
  const tokens = new Set([reserved.token]);
  doc.forEach((entry: unknown, i) => {
    const name = (entry as { name?: unknown } | null)?.name;
    const label = `entry ${i + 1}${typeof name === 'string' ? ` (${JSON.stringify(name)})` : ''}`;
    const own = entryProblems(entry);
    if (own.length === 0) {
      const e = entry as NamedApiToken;
      if (names.has(e.name)) own.push(`name: ${JSON.stringify(e.name)} is taken`);
      // The token itself is never echoed: the error may end up in a log.
      if (tokens.has(e.token)) own.push('token: the same token as another entry or the admin token');
      names.add(e.name);
      tokens.add(e.token);
    }
    for (const p of own) problems.push(`  ${label}: ${p}`);
  });
  if (problems.length) throw new Error(`${file} is invalid:\n${problems.join('\n')}`);
  return (doc as NamedApiToken[]).map(({ name, role, token }) => ({ name, role, token }));
}

/** The named tokens of `<dataDir>/api-tokens.json`, none when the file does not exist. */
export async function readApiTokens(
  dataDir: string,
  reserved: { name: string; token: string },
): Promise<NamedApiToken[]> {
  const file = apiTokensFile(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw err;
  }
  return parseApiTokens(text, file, reserved);
}
