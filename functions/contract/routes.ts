export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway path syntax: `{id}` is a path parameter. */
  readonly path: string;
}

/** Every HTTP route; all require authentication. The API function serves them all. */
export const API_ROUTES = [
  { method: 'GET', path: '/devices' },
  { method: 'GET', path: '/devices/{id}' },
  { method: 'GET', path: '/devices/{id}/readings' },
  { method: 'GET', path: '/devices/{id}/latest' },
  { method: 'GET', path: '/devices/{id}/series' },
  { method: 'GET', path: '/quarantine' },
  { method: 'GET', path: '/alarms' },
  { method: 'GET', path: '/alarms/{id}' },
  { method: 'POST', path: '/alarms/{id}/ack' },
  { method: 'POST', path: '/alarms/{id}/shelve' },
  { method: 'POST', path: '/devices/{id}/maintenance' },
  { method: 'POST', path: '/devices/{id}/outages' },
  { method: 'GET', path: '/devices/{id}/windows' },
  { method: 'GET', path: '/subscriptions' },
  { method: 'POST', path: '/subscriptions' },
  // A static segment, listed before the `{id}` routes as for bins.
  { method: 'GET', path: '/subscriptions/audit' },
  { method: 'PATCH', path: '/subscriptions/{id}' },
  { method: 'DELETE', path: '/subscriptions/{id}' },
  { method: 'GET', path: '/bins' },
  // A static segment before the `{id}` route: API Gateway prefers it, and the local server matches in this order.
  { method: 'GET', path: '/bins/collections' },
  { method: 'GET', path: '/bins/{id}' },
  { method: 'GET', path: '/dead-letters' },
  { method: 'POST', path: '/dead-letters/redrive' },
  { method: 'GET', path: '/reports/compliance' },
  // The operator console: who the caller is, and the county at a glance.
  { method: 'GET', path: '/me' },
  { method: 'GET', path: '/overview' },
] as const satisfies readonly RouteSpec[];
