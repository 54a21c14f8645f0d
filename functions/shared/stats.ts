/** Order statistics shared by the bin forecast, the simulator's latency summary and the benches. */

/** The middle value, or the mean of the two middle ones for an even count; NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/** 1-based nearest rank of quantile `q` (0–1) among `count` values: the first rank with a share `q` at or below it. */
export function nearestRank(count: number, q: number): number {
  return Math.max(1, Math.ceil(q * count));
}

/** Nearest-rank quantile `q` (0–1) of values sorted ascending; NaN for none. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length, nearestRank(sorted.length, q)) - 1] ?? Number.NaN;
}
