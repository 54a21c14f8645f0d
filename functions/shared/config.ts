import { z } from 'zod';
import { TABLES, type TableName } from '../contract';
import { ConfigError } from '../core/errors';

/** A required, non-empty environment variable (resource names have no default). */
export const required = z.string({ error: 'is not set' }).min(1, 'is empty');
/** A positive integer with a documented default. */
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** A whole number, 0 or more, with a documented default (0 turns the feature it bounds off). */
export const nonNegativeInt = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

/**
 * Country calling codes, comma-separated, without the plus (`86` or `86,852`); parsed into a list. Each is 1 to 3
 * digits not starting with 0, as E.164 defines them.
 */
export const countryCodes = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s) => s.split(',').map((c) => c.trim().replace(/^\+/, '')))
    .pipe(
      z
        .array(z.string().regex(/^[1-9]\d{0,2}$/, 'must be country calling codes such as 86 or 86,852'))
        .min(1, 'must name at least one country calling code'),
    );

/** The environment variables naming the given tables, all required. */
export function tableVars<const T extends readonly TableName[]>(...names: T) {
  return Object.fromEntries(names.map((n) => [TABLES[n].envVar, required])) as {
    [K in T[number] as (typeof TABLES)[K]['envVar']]: typeof required;
  };
}

/**
 * Reads and validates configuration once, at cold start. Every missing or malformed variable is reported in one
 * error, so a misconfigured deployment is fixed in one go.
 */
export function readConfig<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<S>> {
  const parsed = z.object(shape).safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
  throw new ConfigError(`invalid configuration: ${problems}`);
}
