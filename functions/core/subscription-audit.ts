import type { Subscription } from './subscription';

/** Who made a change: the token's user through the API, `fleet-file:<path>` for `fleet:load`. */
export interface AuditActor {
  id: string;
  name: string;
  role: string;
}

/** What happened to a subscription. */
export type AuditAction = 'create' | 'update' | 'delete' | 'fleet-put' | 'fleet-remove';

/** One recorded subscription change: who, when, and the subscription before and after (absent when none). */
export interface SubscriptionAuditEntry {
  /** ISO-8601 UTC. */
  at: string;
  actor: AuditActor;
  action: AuditAction;
  subscriptionId: string;
  phone: string;
  before?: Subscription;
  after?: Subscription;
}

/** The actor of a fleet sync: the file it came from. */
export function fleetFileActor(path: string): AuditActor {
  const id = `fleet-file:${path}`;
  return { id, name: id, role: 'fleet' };
}

/**
 * Whether a write changes a stored subscription: the two differ in anything but creation time and a pre-union
 * provider handle. Unchanged writes are not audited, so reloading the same fleet file leaves no trace.
 */
export function subscriptionChanged(before: Subscription | undefined, after: Subscription): boolean {
  if (!before) return true;
  const { createdAt: _a, providerRef: _r, ...was } = before;
  const { createdAt: _b, providerRef: _s, ...now } = after;
  return JSON.stringify(sortKeys(was)) !== JSON.stringify(sortKeys(now));
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
