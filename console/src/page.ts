import type { WhoAmI } from '../../functions/api/console-types';
import type { Permission } from '../../functions/core/roles';
import type { Api } from './api';
import type { Lang } from './i18n';

/** What the shell hands every page. */
export interface PageProps {
  api: Api;
  lang: Lang;
  me: WhoAmI;
  /** The route's parameters, e.g. `{ siteId }` for `#/sites/<siteId>`. */
  params: Record<string, string>;
  /** Goes to another page: `navigate('#/alarms')`. */
  navigate(hash: string): void;
}

/** Whether the signed-in user holds a permission (pages hide what the API would refuse). */
export function may(me: WhoAmI, permission: Permission): boolean {
  return me.permissions.includes(permission);
}
