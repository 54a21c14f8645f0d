import { describe, expect, it } from 'vitest';
import { groupsOf, principalOf } from '../../../functions/api/principal';
import { authorizeRoute, ROUTE_PERMISSIONS } from '../../../functions/api/route-permissions';
import { API_ROUTES } from '../../../functions/contract';
import { AUDIENCES } from '../../../functions/core/alarm-types';
import { ForbiddenError, UnauthorizedError } from '../../../functions/core/errors';
import {
  ALARM_AUDIENCES,
  can,
  highestRole,
  mayActOnAlarm,
  PERMISSIONS,
  ROLE_PERMISSIONS,
  ROLES,
  rolesWith,
} from '../../../functions/core/roles';
import { apiEvent } from '../../helpers/aws-events';

const routeKeys = API_ROUTES.map((r) => `${r.method} ${r.path}`);

function eventWithClaims(claims: Record<string, unknown> | undefined) {
  const event = apiEvent('GET /alarms');
  (event.requestContext as { authorizer?: unknown }).authorizer =
    claims === undefined ? undefined : { jwt: { claims, scopes: null } };
  return event;
}

describe('roles', () => {
  it('are nested: each role holds every permission and alarm audience of the roles below it', () => {
    for (const [i, role] of ROLES.entries()) {
      const lower = ROLES[i - 1];
      if (!lower) continue;
      expect(ROLE_PERMISSIONS[role]).toEqual(expect.arrayContaining([...ROLE_PERMISSIONS[lower]]));
      expect(ALARM_AUDIENCES[role]).toEqual(expect.arrayContaining([...ALARM_AUDIENCES[lower]]));
    }
  });

  it('give admin every permission and every audience, and a viewer only reading', () => {
    expect([...ROLE_PERMISSIONS.admin].sort()).toEqual([...PERMISSIONS].sort());
    expect([...ALARM_AUDIENCES.admin].sort()).toEqual([...AUDIENCES].sort());
    expect(ROLE_PERMISSIONS.viewer).toEqual(['read']);
  });

  it('split the alarms by audience: crews act on bins, operators on water, engineers on devices', () => {
    expect(mayActOnAlarm('sanitation', 'sanitation')).toBe(true);
    expect(mayActOnAlarm('sanitation', 'operators')).toBe(false);
    expect(mayActOnAlarm('operator', 'operators')).toBe(true);
    expect(mayActOnAlarm('operator', 'engineers')).toBe(false);
    expect(mayActOnAlarm('engineer', 'engineers')).toBe(true);
    expect(mayActOnAlarm('engineer', 'supervisors')).toBe(false);
    expect(mayActOnAlarm('viewer', 'sanitation')).toBe(false);
  });

  it('keep SMS subscriptions (phone numbers, paid messages) to admins', () => {
    expect(rolesWith('subscriptions:write')).toEqual(['admin']);
    expect(rolesWith('subscriptions:read')).toEqual(['admin']);
    expect(rolesWith('device:maintenance')).toEqual(['engineer', 'admin']);
  });

  it('pick the highest of several', () => {
    expect(highestRole(['operator', 'viewer', 'sanitation'])).toBe('operator');
    expect(highestRole([])).toBeUndefined();
  });
});

describe('route authorization table', () => {
  it('has exactly one entry per contract route', () => {
    expect(Object.keys(ROUTE_PERMISSIONS).sort()).toEqual([...routeKeys].sort());
  });

  it.each(routeKeys)(
    '%s: allows the roles holding its permission and refuses the others with a 403 naming them',
    (key) => {
      const permission = ROUTE_PERMISSIONS[key as keyof typeof ROUTE_PERMISSIONS];
      for (const role of ROLES) {
        if (can(role, permission)) expect(() => authorizeRoute(key, role)).not.toThrow();
        else {
          expect(() => authorizeRoute(key, role)).toThrow(ForbiddenError);
          expect(() => authorizeRoute(key, role)).toThrow(`needs the role`);
        }
      }
    },
  );

  it('lets every role read, and keeps every write away from a viewer', () => {
    for (const key of routeKeys) {
      if (key.startsWith('GET ') && ROUTE_PERMISSIONS[key as keyof typeof ROUTE_PERMISSIONS] === 'read')
        expect(() => authorizeRoute(key, 'viewer')).not.toThrow();
      if (!key.startsWith('GET ')) expect(() => authorizeRoute(key, 'viewer')).toThrow(ForbiddenError);
    }
  });

  it('refuses a route missing from the table', () => {
    expect(() => authorizeRoute('PUT /devices/{id}', 'admin')).toThrow(/no entry in the authorization table/);
  });
});

describe('principalOf', () => {
  it('reads an access token as API Gateway hands it over: groups as one bracketed, space-separated string', () => {
    const p = principalOf(
      eventWithClaims({
        sub: 'a1b2c3d4-0000-4000-8000-000000000001',
        username: 'a1b2c3d4-0000-4000-8000-000000000001',
        'cognito:groups': '[viewer operator]',
        token_use: 'access',
      }),
    );
    expect(p).toEqual({
      id: 'a1b2c3d4-0000-4000-8000-000000000001',
      name: 'a1b2c3d4-0000-4000-8000-000000000001',
      role: 'operator',
    });
  });

  it('names the caller by e-mail from an ID token, and accepts a groups array', () => {
    const p = principalOf(
      eventWithClaims({
        sub: 'sub-2',
        'cognito:username': 'sub-2',
        email: 'li@county.example.cn',
        'cognito:groups': ['engineer', 'sanitation'],
        token_use: 'id',
      }),
    );
    expect(p).toEqual({ id: 'sub-2', name: 'li@county.example.cn', role: 'engineer' });
  });

  it('ignores groups that are not roles, and refuses an account with no role group', () => {
    expect(principalOf(eventWithClaims({ sub: 's', 'cognito:groups': '[supervisors admin]' })).role).toBe(
      'admin',
    );
    expect(() => principalOf(eventWithClaims({ sub: 's', email: 'new@x.cn' }))).toThrow(ForbiddenError);
    expect(() => principalOf(eventWithClaims({ sub: 's', 'cognito:groups': '[]' }))).toThrow(
      /new|has no role/,
    );
  });

  it('answers 401 when the claims or the subject are missing', () => {
    expect(() => principalOf(eventWithClaims(undefined))).toThrow(UnauthorizedError);
    expect(() => principalOf(eventWithClaims({ 'cognito:groups': '[admin]' }))).toThrow(UnauthorizedError);
  });

  it('splits every packing of the groups claim', () => {
    expect(groupsOf('[operator admin]')).toEqual(['operator', 'admin']);
    expect(groupsOf('["operator","admin"]')).toEqual(['operator', 'admin']);
    expect(groupsOf('operator,admin')).toEqual(['operator', 'admin']);
    expect(groupsOf('admin')).toEqual(['admin']);
    expect(groupsOf(['admin', 3, ''])).toEqual(['admin']);
    expect(groupsOf(undefined)).toEqual([]);
    expect(groupsOf('[]')).toEqual([]);
  });
});
