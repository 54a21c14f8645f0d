/**
 * Calls `fn` on every item with at most `limit` calls under way at once, and returns the results in the order of
 * `items`. Each call that finishes takes the next item, so one slow item holds back only its own slot. The first
 * rejection rejects the whole; calls already under way still run to their end, and no new ones start.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  // One iterator shared by every worker: each `next()` hands out a different item.
  const queue = items.entries();
  let failed = false;
  const worker = async () => {
    for (const [i, item] of queue) {
      if (failed) return;
      try {
        results[i] = await fn(item, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
