const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b);

/** The middle value, or the mean of the two middle ones for an even count; NaN for no values. */
export function median(values: readonly number[]): number {
  const sorted = ascending(values);
  const mid = sorted.length >> 1;
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/**
 * The nearest-rank percentile (`p` from 0 to 100): the smallest value with at least p % of the values at or below
 * it, always one of the values themselves; NaN for no values.
 */
export function percentile(values: readonly number[], p: number): number {
  const sorted = ascending(values);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? Number.NaN;
}
