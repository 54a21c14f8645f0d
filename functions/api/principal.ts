import type { ApiEvent } from './http';

/** The caller, as the token's claims name them. */
export interface Principal {
  id: string;
  name: string;
  role: string;
}

type Claims = Record<string, string | number | boolean | string[] | undefined>;

/** The first of a claim that API Gateway may pass as a list, a JSON list or a bracketed, space-separated string. */
function firstOf(value: Claims[string]): string | undefined {
  if (Array.isArray(value)) return value[0];
  if (typeof value !== 'string' || value === '') return undefined;
  return value.replace(/^\[|\]$/g, '').split(/[\s,]+/)[0] || undefined;
}

/**
 * Who is calling, from the JWT authorizer's claims (`sub`, `cognito:username` or `email`, `cognito:groups`), never
 * from the request body. Without claims (no authorizer) the caller is `unknown` with the least role.
 */
export function principalOf(event: ApiEvent): Principal {
  const context = event.requestContext as ApiEvent['requestContext'] & {
    authorizer?: { jwt?: { claims?: Claims } };
  };
  const claims: Claims = context.authorizer?.jwt?.claims ?? {};
  const text = (v: Claims[string]) => (typeof v === 'string' && v !== '' ? v : undefined);
  const id = text(claims.sub) ?? 'unknown';
  return {
    id,
    name: text(claims['cognito:username']) ?? text(claims.email) ?? text(claims.sub) ?? 'unknown',
    role: firstOf(claims['cognito:groups']) ?? 'viewer',
  };
}
