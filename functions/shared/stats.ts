/** Order statistics shared by the bin forecast, the simulator's latency summary and the benches. */

/** The middle value, or the mean of the two middle ones for an even count; NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/** Reused by `numericMedian`; grows to the largest array seen. */
let scratch = new Float64Array(256);

/**
 * `median` for hot loops (the event detector's windows): the same value (zeros compare equal, their sign may
 * differ) for finite values, sorted as doubles in a reused buffer, so there is no copy as an array and no comparator
 * call per comparison; NaN for none.
 */
export function numericMedian(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  const sorted = scratch.subarray(0, n);
  sorted.set(values);
  return sortedMedian(sorted.sort());
}

/** The median of values already sorted ascending in a typed array (the detector's windows keep theirs so); NaN for none. */
export function sortedMedian(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** 1-based nearest rank of quantile `q` (0–1) among `count` values: the first rank with a share `q` at or below it. */
export function nearestRank(count: number, q: number): number {
  return Math.max(1, Math.ceil(q * count));
}

/** Nearest-rank quantile `q` (0–1) of values sorted ascending; NaN for none. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length, nearestRank(sorted.length, q)) - 1] ?? Number.NaN;
}
