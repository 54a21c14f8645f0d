/** An invocation ran past its function's timeout (as Lambda would end it). */
export class FunctionTimeoutError extends Error {
  constructor(
    readonly functionName: string,
    readonly timeoutMs: number,
  ) {
    super(`${functionName} timed out after ${timeoutMs / 1000} s (its timeout in infra/wiring.ts)`);
    this.name = 'FunctionTimeoutError';
  }
}

/**
 * Settles like `work`, or rejects with FunctionTimeoutError after `timeoutMs`. Unlike Lambda, a local invocation
 * cannot be killed: a late one runs on in the background, and its result is ignored. What it writes late is what a
 * retry writes again (every store write is an idempotent put or conditional update), so it cannot corrupt state.
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, functionName: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeoutError(functionName, timeoutMs)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
