import type { Audience } from './alarm-types';

/**
 * The roles of the county programme, lowest first. Each role holds every right of the roles before it, so a person
 * in several groups acts with the highest one and loses nothing (see {@link highestRole}).
 */
export const ROLES = ['viewer', 'sanitation', 'operator', 'engineer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a caller may do; the API's route table (functions/api/route-permissions.ts) names one per route. */
export const PERMISSIONS = [
  /** Devices, readings, alarms, bins and collections. */
  'read',
  /** Rejected device messages with their raw payloads: a device-diagnosis tool. */
  'quarantine:read',
  /** Acknowledge an alarm of an audience the role acts for (`ALARM_AUDIENCES`). */
  'alarm:acknowledge',
  /** Shelve an alarm of an audience the role acts for: no SMS until a time at most 24 h away. */
  'alarm:shelve',
  /** Take a device out of service (no alarms) until a time, or back. */
  'device:maintenance',
  /** SMS subscriptions: phone numbers (personal data) and who pays for the messages. */
  'subscriptions:read',
  'subscriptions:write',
  /** Messages ingest failed on: list them, and move them back to ingest. */
  'dead-letters:read',
  'dead-letters:redrive',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const VIEWER: readonly Permission[] = ['read'];
const SANITATION: readonly Permission[] = [...VIEWER, 'alarm:acknowledge', 'alarm:shelve'];
const OPERATOR: readonly Permission[] = SANITATION;
const ENGINEER: readonly Permission[] = [
  ...OPERATOR,
  'quarantine:read',
  'device:maintenance',
  'dead-letters:read',
  'dead-letters:redrive',
];
const ADMIN: readonly Permission[] = [...ENGINEER, 'subscriptions:read', 'subscriptions:write'];

/**
 * The permissions of each role. Subscriptions are admin-only: they hold phone numbers and every SMS costs money (an
 * open subscription route is an SMS toll-fraud route).
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: VIEWER,
  sanitation: SANITATION,
  operator: OPERATOR,
  engineer: ENGINEER,
  admin: ADMIN,
};

/**
 * Whose alarms a role may acknowledge and shelve, by the alarm's audience: sanitation crews act on bin alarms (their
 * audience is `sanitation`), operators on water-quality alarms (and bins, as the duty desk), engineers also on sensor
 * faults and device alarms, admins on all (supervisors' too).
 */
export const ALARM_AUDIENCES: Readonly<Record<Role, readonly Audience[]>> = {
  viewer: [],
  sanitation: ['sanitation'],
  operator: ['sanitation', 'operators'],
  engineer: ['sanitation', 'operators', 'engineers'],
  admin: ['sanitation', 'operators', 'engineers', 'supervisors'],
};

/** Narrows a string (a group name, a token file's role) to a role. */
export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** The highest of some roles, or undefined for none. */
export function highestRole(roles: Iterable<Role>): Role | undefined {
  let best = -1;
  for (const role of roles) best = Math.max(best, ROLES.indexOf(role));
  return best < 0 ? undefined : ROLES[best];
}

/** Whether a role holds a permission. */
export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/** The roles holding a permission, lowest first: what a 403 tells the caller to ask for. */
export function rolesWith(permission: Permission): Role[] {
  return ROLES.filter((role) => can(role, permission));
}

/** Whether a role may act (acknowledge, shelve) on an alarm sent to `audience`. */
export function mayActOnAlarm(role: Role, audience: Audience): boolean {
  return ALARM_AUDIENCES[role].includes(audience);
}

/** The roles that may act on an alarm sent to `audience`, lowest first. */
export function rolesActingOn(audience: Audience): Role[] {
  return ROLES.filter((role) => mayActOnAlarm(role, audience));
}
