/**
 * A deep copy of a value as DynamoDB would store and return it through this service's document client
 * (`removeUndefinedValues`): undefined attributes and list members dropped, sets copied. Handing out copies keeps a
 * caller's later change of an object it wrote or read from reaching the store, as it cannot over the wire.
 */
export function storedCopy<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(storedCopy) as T;
  if (value instanceof Set) return new Set(value) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = storedCopy(v);
  return out as T;
}
