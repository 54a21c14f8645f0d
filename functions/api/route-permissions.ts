import type { API_ROUTES } from '../contract';
import { ForbiddenError } from '../core/errors';
import { can, type Permission, type Role, rolesWith } from '../core/roles';

/** A route key as API Gateway names it, e.g. `POST /alarms/{id}/ack`. */
type KeyOf<R> = R extends { method: infer M extends string; path: infer P extends string }
  ? `${M} ${P}`
  : never;
type RouteKey = KeyOf<(typeof API_ROUTES)[number]>;

/**
 * The one place that says who may call what: every route of the contract and the permission it needs (the roles
 * holding each permission are in functions/core/roles.ts). Typed over the contract's routes, so a new route does not
 * compile without its line here. Acknowledging and shelving are further limited to the alarms of the audiences the
 * caller's role acts for (checked once the alarm is read).
 */
export const ROUTE_PERMISSIONS: Readonly<Record<RouteKey, Permission>> = {
  'GET /devices': 'read',
  'GET /devices/{id}': 'read',
  'GET /devices/{id}/readings': 'read',
  'GET /devices/{id}/latest': 'read',
  'GET /devices/{id}/series': 'read',
  'GET /quarantine': 'quarantine:read',
  'GET /alarms': 'read',
  'GET /alarms/{id}': 'read',
  'POST /alarms/{id}/ack': 'alarm:acknowledge',
  'POST /alarms/{id}/shelve': 'alarm:shelve',
  'POST /devices/{id}/maintenance': 'device:maintenance',
  'POST /devices/{id}/outages': 'device:maintenance',
  'GET /devices/{id}/windows': 'read',
  'GET /subscriptions': 'subscriptions:read',
  'POST /subscriptions': 'subscriptions:write',
  'PATCH /subscriptions/{id}': 'subscriptions:write',
  'DELETE /subscriptions/{id}': 'subscriptions:write',
  'GET /subscriptions/audit': 'subscriptions:read',
  'GET /bins': 'read',
  'GET /bins/collections': 'read',
  'GET /bins/{id}': 'read',
  'GET /dead-letters': 'dead-letters:read',
  'POST /dead-letters/redrive': 'dead-letters:redrive',
  'GET /reports/compliance': 'read',
  'GET /me': 'read',
  'GET /overview': 'read',
};

/** Formats a list of roles for a message: "engineer or admin". */
export function roleList(roles: readonly Role[]): string {
  return roles.length <= 1 ? (roles[0] ?? 'no role') : `${roles.slice(0, -1).join(', ')} or ${roles.at(-1)}`;
}

/**
 * Refuses (403) a caller whose role lacks the route's permission, naming the roles that have it. A route missing
 * from the table is refused too: a route nobody classified is nobody's.
 */
export function authorizeRoute(routeKey: string, role: Role): void {
  const permission = (ROUTE_PERMISSIONS as Record<string, Permission | undefined>)[routeKey];
  if (permission === undefined)
    throw new ForbiddenError(`${routeKey} has no entry in the authorization table; nobody may call it`);
  if (!can(role, permission))
    throw new ForbiddenError(
      `${routeKey} needs the role ${roleList(rolesWith(permission))} (permission ${permission}); you are ${role}`,
    );
}
