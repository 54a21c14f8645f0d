import type { FloodWindow } from '../../../ports/flood-windows';

/**
 * Key prefixes of the items that share the alarms table with the episodes. An episode's key is its bare alarm id, which
 * never holds the separator; every other item's key starts with its prefix and the separator. Stored keys depend on
 * these strings: changing one orphans the items already written.
 */
const PREFIX = {
  index: 'dev',
  history: 'hist',
  notification: 'note',
  heartbeat: 'hb',
  heartbeatBatch: 'hbb',
  pendingEvaluation: 'eval',
  detectorState: 'det',
  flood: 'flood',
  pace: 'pace',
  backfill: 'bf',
} as const;
const SEPARATOR = '#';

type PrefixedKind = keyof typeof PREFIX;
/** What a key of the alarms table names; `unknown` for a prefixed key this service does not write. */
export type ItemKind = 'episode' | PrefixedKind | 'unknown';

const join = (kind: PrefixedKind, ...parts: (string | number)[]) => [PREFIX[kind], ...parts].join(SEPARATOR);

/** Keys (`alarmId` values) of the alarms table, one builder per item kind. */
export const itemKey = {
  episode: (alarmId: string) => alarmId,
  /** A device's open index: which alarm holds each condition. */
  index: (deviceId: string) => join('index', deviceId),
  /** The `n`th history entry (from 1) of an alarm. */
  history: (alarmId: string, n: number) => join('history', alarmId, n),
  /** The `n`th notification record (from 1) of an alarm. */
  notification: (alarmId: string, n: number) => join('notification', alarmId, n),
  /** A device's heartbeat kept by the sweep: its offline mark, a zero for a device that never reported. */
  heartbeat: (deviceId: string) => join('heartbeat', deviceId),
  /** One ingest invocation's heartbeats (or a chunk of them), by a random id. */
  heartbeatBatch: (id: string) => join('heartbeatBatch', id),
  pendingEvaluation: (deviceId: string) => join('pendingEvaluation', deviceId),
  /** A device's event-detector state (its learned baseline and open event or faults). */
  detectorState: (deviceId: string) => join('detectorState', deviceId),
  flood: (w: Pick<FloodWindow, 'audience' | 'siteId' | 'windowStart'>) =>
    join('flood', w.audience, w.siteId, w.windowStart),
  /** When a device's condition last sent a raise SMS to an audience (`RAISE_SMS_MIN_INTERVAL_MIN`). */
  pace: (deviceId: string, condition: string, audience: string) =>
    join('pace', deviceId, condition, audience),
  /** A device's backfill summary under way. */
  backfill: (deviceId: string) => join('backfill', deviceId),
};

const isPrefixedKind = (kind: string): kind is PrefixedKind => kind in PREFIX;

/** The item kind a key names, so an id from outside (a URL) never reads an item of another kind. */
export function kindOf(key: string): ItemKind {
  const end = key.indexOf(SEPARATOR);
  if (end < 0) return 'episode';
  const prefix = key.slice(0, end);
  return (
    Object.keys(PREFIX)
      .filter(isPrefixedKind)
      .find((kind) => PREFIX[kind] === prefix) ?? 'unknown'
  );
}

/**
 * `status` values under which the `byStatus` index lists each kind (sort key `raisedAt`). Items without a status
 * (index and log items, windows whose digest went out) stay out of the index.
 */
export const STATUS = {
  open: 'open',
  closed: 'closed',
  heartbeat: 'heartbeat',
  /** Heartbeat batches, sorted by the time they were written (not by the devices' last seen times). */
  heartbeatBatch: 'heartbeat_batch',
  pendingEvaluation: 'pending_eval',
  digest: 'digest',
  /** Backfill summaries not yet sent, by the time they last changed. */
  backfill: 'backfill',
} as const;
