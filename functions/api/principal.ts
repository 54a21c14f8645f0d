import { ForbiddenError, UnauthorizedError } from '../core/errors';
import { highestRole, isRole, ROLES, type Role } from '../core/roles';
import type { ApiEvent } from './http';

/** Who is calling, as the verified token says: the actor recorded on every change they make. */
export interface Principal {
  /** The token's `sub`: stable for the life of the account. */
  id: string;
  /** What the service records as the actor: the e-mail address, else the user name, else the id. */
  name: string;
  role: Role;
}

/** A claim as API Gateway's JWT authorizer hands it to the function (payload format 2.0). */
type ClaimValue = string | number | boolean | readonly unknown[] | null | undefined;
type Claims = Record<string, ClaimValue>;

/** The group claim's wording on the wire: the group names, however they are packed. */
const GROUPS_CLAIM = 'cognito:groups';

function claimsOf(event: ApiEvent): Claims | undefined {
  const context = event.requestContext as { authorizer?: { jwt?: { claims?: Claims } } };
  return context.authorizer?.jwt?.claims;
}

function text(value: ClaimValue): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The group names of a `cognito:groups` claim. An array claim reaches a Lambda function behind an HTTP API's JWT
 * authorizer as one string, the names between brackets and separated by spaces (`"[operator admin]"`); a test or
 * another integration may hand over a real array, a JSON array or a comma-separated list. Cognito group names hold no
 * white space, so every form splits unambiguously.
 */
export function groupsOf(value: ClaimValue): string[] {
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && g !== '');
  if (typeof value !== 'string') return [];
  const raw = value.trim();
  if (raw.startsWith('[') && raw.includes('"')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed)) return groupsOf(parsed);
    } catch {
      // Not JSON after all: read it as the bracketed, space-separated form.
    }
  }
  const inner = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  return inner.split(/[\s,]+/).filter((g) => g !== '');
}

/**
 * The caller of an API request, from the claims API Gateway's JWT authorizer verified (the local server puts its
 * named tokens' identities in the same place). A person in several role groups acts with the highest of them; groups
 * that are not roles are ignored. An account in no role group is refused (403) on every route, so a new account
 * sees nothing until an administrator gives it a role.
 */
export function principalOf(event: ApiEvent): Principal {
  const claims = claimsOf(event);
  const id = text(claims?.sub);
  if (!claims || !id)
    throw new UnauthorizedError(
      'the request carries no verified identity (no token claims); sign in and send Authorization: Bearer <token>',
    );
  const name = text(claims.email) ?? text(claims['cognito:username']) ?? text(claims.username) ?? id;
  const role = highestRole(groupsOf(claims[GROUPS_CLAIM]).filter(isRole));
  if (!role)
    throw new ForbiddenError(
      `${name} has no role: an administrator must add the account to one of the groups ${ROLES.join(', ')}`,
    );
  return { id, name, role };
}
