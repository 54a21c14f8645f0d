/**
 * The `code` of a Node.js system error (`ENOENT`, `ENOSPC`, `EPERM`…), or undefined for anything else. Read from the
 * value itself rather than cast, since a `catch` may receive anything.
 */
export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}
