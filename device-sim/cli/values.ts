import { UsageError } from '../fleet';

/** A positive number option (an integer unless told otherwise), or undefined when not given. */
export function positive(
  option: string,
  value: string | undefined,
  { integer = true, max = Number.POSITIVE_INFINITY } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)) || n > max) {
    throw new UsageError(
      `--${option} ${value} must be a positive ${integer ? 'integer' : 'number'}${Number.isFinite(max) ? ` up to ${max}` : ''}`,
    );
  }
  return n;
}

/** An option's value through `parse`, or undefined when not given; a parse error names the option. */
export function parsed<T>(
  option: string,
  value: string | undefined,
  parse: (text: string) => T,
): T | undefined {
  if (value === undefined) return undefined;
  try {
    return parse(value);
  } catch (err) {
    throw new UsageError(`--${option}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
