import { ValidationError } from '../../core/errors';

/**
 * Longest cursor accepted. The cursors this service issues hold one table key (a device id and a sort key, an alarm id
 * and its index key, a quarantine day and sort key) and stay under 400 characters; anything longer was not issued here.
 */
const MAX_CURSOR_CHARS = 2048;

const NOT_OURS = 'cursor is not valid: pass the nextCursor value of the previous page unchanged';

/** Opaque pagination cursor: a small JSON object (usually a DynamoDB key), base64url. */
export function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor into a plain JSON object. Anything else (over-long, outside the base64url alphabet, padded or not in
 * the canonical encoding, not JSON, not an object) is a 400, so a tampered cursor never reaches a query.
 */
export function decodeCursor(cursor: string): Record<string, unknown> {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor))
    throw new ValidationError(NOT_OURS);
  const bytes = Buffer.from(cursor, 'base64url');
  // Buffer.from skips what it cannot decode; a cursor that does not survive the round trip was edited.
  if (bytes.toString('base64url') !== cursor) throw new ValidationError(NOT_OURS);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ValidationError(NOT_OURS);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ValidationError(NOT_OURS);
  return value as Record<string, unknown>;
}

/** The attributes of a table key and their DynamoDB types: strings (`S`) or whole numbers (`N`, epoch ms here). */
export type KeyShape = Readonly<Record<string, 'S' | 'N'>>;

/** DynamoDB allows sort keys up to 1,024 bytes and partition keys up to 2,048; ours are far shorter. */
const MAX_KEY_STRING = 1024;

/**
 * Decodes a cursor that must be exactly a table key of the given shape: the same attributes, no others, of the right
 * types and sizes. DynamoDB answers a malformed ExclusiveStartKey with a ValidationException (a 500 to the caller);
 * this answers 400 first. The caller still checks the key belongs to its query (device, status, range).
 */
export function decodeKeyCursor(cursor: string, shape: KeyShape): Record<string, string | number> {
  const value = decodeCursor(cursor);
  const names = Object.keys(shape);
  const keys = Object.keys(value);
  if (keys.length !== names.length) throw new ValidationError(NOT_OURS);
  for (const name of names) {
    const v = value[name];
    const ok =
      shape[name] === 'S'
        ? typeof v === 'string' && v.length > 0 && v.length <= MAX_KEY_STRING
        : Number.isSafeInteger(v);
    if (!Object.hasOwn(value, name) || !ok) throw new ValidationError(NOT_OURS);
  }
  return value as Record<string, string | number>;
}
