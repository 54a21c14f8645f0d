import { createHash } from 'node:crypto';
import type {
  Alarm,
  AlarmDetail,
  AlarmTransition,
  NotificationRecord,
  PendingNotification,
} from '../../core/alarm';
import { mergeHeartbeat } from '../../core/heartbeat-merge';
import type { Expectation, TransitionRequest } from '../../ports/alarm-episodes';
import type { AlarmHistory } from '../../ports/alarm-history';
import type { AlarmFilter } from '../../ports/alarm-queries';
import type { AlarmStore } from '../../ports/alarm-store';
import type { StoredDetectorState } from '../../ports/detector-states';
import type { FloodWindow } from '../../ports/flood-windows';
import type { Heartbeat } from '../../ports/heartbeats';
import type {
  BackfillEpisode,
  BackfillSummary,
  NotificationPacing,
  RaiseTurnKey,
} from '../../ports/notification-pacing';
import type { OpenSlot } from '../../ports/open-alarm-index';
import type { PendingEvaluation } from '../../ports/pending-evaluations';
import { toAlarm } from '../dynamodb/alarms/episode-item';
import { itemKey, kindOf } from '../dynamodb/alarms/item-keys';
import { decodeBackfillEpisode, encodeBackfillEpisode } from '../dynamodb/alarms/notification-pacing';
import { byStatusStartKey } from '../dynamodb/alarms/queries';
import { encodeCursor } from '../dynamodb/cursor';
import { storedCopy } from './stored-copy';

type Item = Record<string, unknown>;
type WindowKey = Omit<FloodWindow, 'count' | 'folded'>;

/** As the DynamoDB adapters: a backfill summary names this many episodes and counts the rest. */
const BACKFILL_EPISODES_KEPT = 200;
/** As the DynamoDB adapters: a claimed backfill summary not finished within this is taken over. */
const STALE_CLAIM_MS = 5 * 60_000;
/** As the DynamoDB adapters: a warm heartbeat read starts this far before the newest batch it saw. */
const READ_OVERLAP_MS = 60_000;
const MAX_ERROR_CHARS = 300;
const DEFAULT_HISTORY_LIMIT = 100;

/** A failed condition on a write whose DynamoDB call is not wrapped in `conditional` (it throws there too). */
class ConditionFailed extends Error {
  constructor(what: string) {
    super(`The conditional request failed (${what})`);
    this.name = 'ConditionalCheckFailedException';
  }
}

const sorted = (set: Set<string> | undefined) => (set ? [...set].sort() : []);
const tieKeys = new Map<string, string>();
/**
 * Where an item with this table key sits among items of equal `raisedAt` in the `byStatus` index. DynamoDB promises
 * no order there; dynalite orders them by a hash of the table key, and so does this store, so a replay on either
 * lists alarms raised in the same batch in the same order.
 */
function tieKey(key: string): string {
  let tie = tieKeys.get(key);
  if (tie === undefined) {
    tie = createHash('md5').update('Outliers').update(key, 'utf8').digest('hex').slice(0, 6);
    tieKeys.set(key, tie);
  }
  return tie;
}
/** The `byStatus` index order (oldest first) of items under their table keys. */
const indexOrder = (a: { raisedAt: number; key: string }, b: { raisedAt: number; key: string }) =>
  a.raisedAt - b.raisedAt || (tieKey(a.key) < tieKey(b.key) ? -1 : tieKey(a.key) > tieKey(b.key) ? 1 : 0);
const byRaisedAt = (a: Item, b: Item) =>
  indexOrder(
    { raisedAt: Number(a.raisedAt), key: String(a.alarmId) },
    { raisedAt: Number(b.raisedAt), key: String(b.alarmId) },
  );

/** Whether every expected attribute holds its value (undefined: absent), as `update`'s condition checks it. */
const meets = (item: Item, expect: Expectation) =>
  Object.entries(expect).every(([k, v]) => (v === undefined ? !(k in item) : item[k] === v));

interface PaceItem {
  lastAt: number;
  raiseId: string;
}
interface BackfillItem {
  deviceId?: string;
  status?: 'backfill';
  raisedAt: number;
  fromTs?: number;
  toTs?: number;
  held?: Set<string>;
  eps?: Set<string>;
  more?: number;
  sentAt?: number;
}
interface FloodItem {
  window: Partial<WindowKey>;
  ids: Set<string>;
  folded?: Set<string>;
  status?: 'digest';
  raisedAt?: number;
  digestSentAt?: number;
}

/**
 * The alarms table in memory, for a replay of one device's history through the real alarm engine and sweep
 * (`npm run eval:events`), where a write over HTTP per sample would take most of the time. Each method keeps the
 * semantics of its DynamoDB module (`adapters/dynamodb/alarms/`), which a shared contract test runs against both:
 * the same conditions on every conditional write (a failed one changes nothing), episodes read through the same
 * `toAlarm`, history and notification records numbered by the counters on the episode, the `byStatus` orders
 * (newest first for `list`, oldest first elsewhere, ties by key) and `Limit` counted before the filter. What
 * DynamoDB adds that a single process does not need is left out: TTL expiry (dynalite does not expire either), the
 * 1 MB page cap, and the eventual consistency of batched reads (every read here is current).
 */
export class InMemoryAlarmStore implements AlarmStore, NotificationPacing, AlarmHistory {
  private readonly episodes = new Map<string, Item>();
  private readonly logs = new Map<string, Map<number, AlarmTransition | NotificationRecord>>();
  private readonly indexes = new Map<string, Record<string, OpenSlot>>();
  private readonly floods = new Map<string, FloodItem>();
  private readonly ownBeats = new Map<string, { raisedAt: number; offlineFor?: number }>();
  private readonly beatBatches: { writtenAt: number; seen: Record<string, number> }[] = [];
  private readonly pendingEvals = new Map<string, PendingEvaluation>();
  private readonly paces = new Map<string, PaceItem>();
  private readonly backfills = new Map<string, BackfillItem>();
  private readonly detector = new Map<string, { rev: number; state: string }>();
  /** This reader's merged heartbeats (see `DynamoHeartbeats`). */
  private known: Map<string, Heartbeat> | undefined;
  private readUpTo = 0;

  // --- episodes -------------------------------------------------------------------------------------------------

  async create(alarm: Alarm, entry: AlarmTransition): Promise<boolean> {
    if (this.episodes.has(alarm.alarmId)) return false;
    this.episodes.set(
      alarm.alarmId,
      storedCopy({ ...alarm, historyCount: 1, lastChangeAt: entry.at, lastEntry: entry }),
    );
    this.append('history', alarm.alarmId, 1, entry);
    return true;
  }

  async head(alarmId: string): Promise<Alarm | undefined> {
    return this.read(alarmId);
  }

  async transition(r: TransitionRequest): Promise<Alarm | undefined> {
    const item = this.episodes.get(r.alarmId);
    if (!item || !r.from.includes(item.state as Alarm['state'])) return undefined;
    // The SET of a transition skips undefined attributes; it removes none.
    Object.assign(item, storedCopy(r.set ?? {}), {
      state: r.to,
      status: r.to === 'closed' ? 'closed' : 'open',
      lastChangeAt: r.entry.at,
      lastEntry: storedCopy(r.entry),
    });
    if (r.notify?.length) this.queue(item, r.notify);
    item.historyCount = Number(item.historyCount ?? 0) + 1;
    this.append('history', r.alarmId, item.historyCount as number, r.entry);
    return this.read(r.alarmId);
  }

  async update(
    alarmId: string,
    set: Partial<Alarm>,
    entry: AlarmTransition | undefined,
    options: Parameters<AlarmStore['update']>[3] = {},
  ): Promise<Alarm | undefined> {
    const item = this.episodes.get(alarmId);
    if (!item) return undefined;
    if (options.condition === 'open' && item.status !== 'open') return undefined;
    if (
      typeof options.condition === 'object' &&
      !meets(item, { lastNotifiedAt: options.condition.lastNotifiedAt })
    )
      return undefined;
    if (!meets(item, options.expect ?? {})) return undefined;
    for (const [k, v] of Object.entries(set)) {
      if (v === undefined) delete item[k];
      else item[k] = storedCopy(v);
    }
    if (entry) {
      item.lastChangeAt = entry.at;
      item.lastEntry = storedCopy(entry);
      item.historyCount = Number(item.historyCount ?? 0) + 1;
    }
    if (options.notify?.length) this.queue(item, options.notify);
    if (entry) this.append('history', alarmId, item.historyCount as number, entry);
    return this.read(alarmId);
  }

  // --- queries ----------------------------------------------------------------------------------------------------

  async list(filter: AlarmFilter): Promise<{ items: Alarm[]; cursor?: string }> {
    const all = [...this.episodes.values()].filter((i) => i.status === filter.status).sort(byRaisedAt);
    all.reverse();
    let start = 0;
    if (filter.cursor !== undefined) {
      const key = byStatusStartKey(filter.cursor, filter.status);
      // The page after the key, wherever the key itself went meanwhile (as an index query's start key).
      start = all.findIndex((i) => byRaisedAt(i, key) < 0);
      if (start < 0) start = all.length;
    }
    const matches = (i: Item) =>
      (['state', 'siteId', 'deviceId', 'severity'] as const).every(
        (k) => filter[k] === undefined || i[k] === filter[k],
      );
    const items: Alarm[] = [];
    let last: Item | undefined;
    let evaluated = 0;
    // Each page evaluates up to the items still wanted and filters afterwards, as DynamoDB's Limit does.
    for (let limit = filter.limit; start < all.length && items.length < filter.limit; ) {
      const page = all.slice(start, start + limit);
      start += page.length;
      evaluated = page.length;
      last = page[page.length - 1];
      for (const i of page) if (matches(i)) items.push(this.toAlarmCopy(i));
      if (evaluated < limit) break;
      limit = filter.limit - items.length;
    }
    const more = last !== undefined && evaluated > 0 && (start < all.length || items.length >= filter.limit);
    return more && last
      ? {
          items,
          cursor: encodeCursor({ alarmId: last.alarmId, status: last.status, raisedAt: last.raisedAt }),
        }
      : { items };
  }

  async get(alarmId: string, historyLimit = DEFAULT_HISTORY_LIMIT): Promise<AlarmDetail | undefined> {
    const alarm = this.read(alarmId);
    if (!alarm) return undefined;
    const newest = (count: number) =>
      Array.from(
        { length: Math.min(count, historyLimit) },
        (_, i) => count - Math.min(count, historyLimit) + 1 + i,
      );
    const log = this.logs.get(alarmId);
    return {
      ...alarm,
      history: newest(alarm.historyCount).flatMap((n) => {
        const e = log?.get(n) as AlarmTransition | undefined;
        return e ? [storedCopy(e)] : [];
      }),
      notifications: newest(alarm.notificationCount).flatMap((n) => {
        const e = log?.get(-n) as NotificationRecord | undefined;
        return e ? [storedCopy(e)] : [];
      }),
    };
  }

  async raisedBetween(status: 'open' | 'closed', from: number, to: number): Promise<Alarm[]> {
    return [...this.episodes.values()]
      .filter((i) => i.status === status && Number(i.raisedAt) >= from && Number(i.raisedAt) <= to)
      .sort(byRaisedAt)
      .map((i) => this.toAlarmCopy(i));
  }

  // --- notifications ------------------------------------------------------------------------------------------------

  async claimNotification(alarmId: string, kind: PendingNotification, at: number): Promise<boolean> {
    const item = this.episodes.get(alarmId);
    const pending = (item?.pending ?? []) as PendingNotification[];
    const index = pending.indexOf(kind);
    const sending = item?.sending as Record<string, number> | undefined;
    if (!item || index < 0 || !sending || kind in sending) return false;
    pending.splice(index, 1);
    sending[kind] = at;
    return true;
  }

  async recordNotification(
    alarmId: string,
    kind: PendingNotification,
    record: NotificationRecord,
  ): Promise<boolean> {
    const item = this.episodes.get(alarmId);
    const sending = item?.sending as Record<string, number> | undefined;
    if (!item || !sending || !(kind in sending)) return false;
    delete sending[kind];
    item.lastNotifiedAt = record.at;
    const n = Number(item.notificationCount ?? 0) + 1;
    item.notificationCount = n;
    if ((record.suppressed === 'flood' || record.suppressed === 'flapping') && record.kind === 'raised') {
      const folded = (item.floodFolded as Set<string> | undefined) ?? new Set<string>();
      folded.add(record.audience);
      item.floodFolded = folded;
    }
    this.append('notification', alarmId, n, record);
    return true;
  }

  async releaseNotification(alarmId: string, kind: PendingNotification): Promise<void> {
    const item = this.episodes.get(alarmId);
    const sending = item?.sending as Record<string, number> | undefined;
    if (!item || !sending || !(kind in sending)) return;
    delete sending[kind];
    this.queue(item, [kind]);
  }

  // --- open-alarm index ---------------------------------------------------------------------------------------------

  async openIndex(deviceId: string): Promise<Record<string, OpenSlot>> {
    return storedCopy(this.indexes.get(deviceId) ?? {});
  }

  async openIndexes(deviceIds: readonly string[]): Promise<Map<string, Record<string, OpenSlot>>> {
    const ids = [...new Set(deviceIds)];
    return new Map(ids.map((id) => [id, storedCopy(this.indexes.get(id) ?? {})]));
  }

  async acquire(deviceId: string, condition: string, alarmId: string, at: number): Promise<string> {
    const slots = this.indexes.get(deviceId) ?? {};
    this.indexes.set(deviceId, slots);
    const held = slots[condition];
    if (held && held.alarmId !== alarmId) return held.alarmId;
    slots[condition] = { alarmId, at };
    return alarmId;
  }

  async release(deviceId: string, condition: string, alarmId: string): Promise<void> {
    const slots = this.indexes.get(deviceId);
    if (slots?.[condition]?.alarmId === alarmId) delete slots[condition];
  }

  // --- flood windows ----------------------------------------------------------------------------------------------

  async addToFloodWindow(w: WindowKey, alarmId: string): Promise<number> {
    const item = this.flood(w);
    item.ids.add(alarmId);
    item.window = {
      audience: w.audience,
      siteId: w.siteId,
      windowStart: w.windowStart,
      township: w.township,
      severity: w.severity,
    };
    return item.ids.size;
  }

  async foldIntoDigest(w: WindowKey, alarmId: string): Promise<void> {
    const item = this.flood(w);
    if (item.digestSentAt !== undefined) throw new ConditionFailed('digest already sent');
    item.folded = item.folded ?? new Set();
    item.folded.add(alarmId);
    item.status = item.status ?? 'digest';
    item.raisedAt = w.windowStart;
  }

  async dueDigests(before: number): Promise<FloodWindow[]> {
    return [...this.floods.entries()]
      .filter(([, i]) => i.status === 'digest' && (i.raisedAt as number) < before)
      .sort(([ka, a], [kb, b]) =>
        indexOrder({ raisedAt: a.raisedAt as number, key: ka }, { raisedAt: b.raisedAt as number, key: kb }),
      )
      .map(([, i]) => ({
        ...(i.window as WindowKey),
        count: i.ids.size,
        folded: sorted(i.folded),
      }));
  }

  async markDigestSent(w: FloodWindow, at: number): Promise<boolean> {
    const item = this.flood(w);
    if (item.digestSentAt !== undefined) return false;
    item.digestSentAt = at;
    delete item.status;
    return true;
  }

  // --- heartbeats ---------------------------------------------------------------------------------------------------

  async recordHeartbeat(deviceId: string, lastSeenTs: number): Promise<void> {
    const own = this.ownBeats.get(deviceId);
    if (own && own.raisedAt >= lastSeenTs) return;
    this.ownBeats.set(deviceId, { raisedAt: lastSeenTs });
    if (this.known) mergeHeartbeat(this.known, { deviceId, lastSeenTs });
  }

  async recordHeartbeats(
    beats: readonly { deviceId: string; lastSeenTs: number }[],
    writtenAt: number,
  ): Promise<string[]> {
    if (beats.length === 0) return [];
    // Kept in write-time order, as the index keeps them, so a read from a time skips the older ones.
    let at = this.beatBatches.length;
    while (at > 0 && (this.beatBatches[at - 1] as { writtenAt: number }).writtenAt > writtenAt) at--;
    this.beatBatches.splice(at, 0, {
      writtenAt,
      seen: Object.fromEntries(beats.map((b) => [b.deviceId, b.lastSeenTs])),
    });
    return [];
  }

  async heartbeats(options: { since?: number } = {}): Promise<Heartbeat[]> {
    const fresh = options.since !== undefined || !this.known;
    const known = fresh ? new Map<string, Heartbeat>() : (this.known as Map<string, Heartbeat>);
    const from = fresh ? (options.since ?? 0) : Math.max(0, this.readUpTo - READ_OVERLAP_MS);
    if (fresh) {
      for (const [deviceId, own] of this.ownBeats) {
        const beat: Heartbeat = { deviceId, lastSeenTs: own.raisedAt };
        if (own.offlineFor !== undefined) beat.offlineFor = own.offlineFor;
        mergeHeartbeat(known, beat);
      }
    }
    let upTo = fresh ? from : this.readUpTo;
    let lo = 0;
    for (let hi = this.beatBatches.length; lo < hi; ) {
      const mid = (lo + hi) >>> 1;
      if ((this.beatBatches[mid] as { writtenAt: number }).writtenAt < from) lo = mid + 1;
      else hi = mid;
    }
    for (const batch of this.beatBatches.slice(lo)) {
      upTo = Math.max(upTo, batch.writtenAt);
      for (const [deviceId, ts] of Object.entries(batch.seen))
        mergeHeartbeat(known, { deviceId, lastSeenTs: ts });
    }
    this.known = known;
    this.readUpTo = upTo;
    return [...known.values()].map((b) => ({ ...b }));
  }

  async markOffline(deviceId: string, lastSeenTs: number): Promise<void> {
    const own = this.ownBeats.get(deviceId);
    if (own?.raisedAt !== lastSeenTs) return;
    own.offlineFor = lastSeenTs;
    if (this.known) mergeHeartbeat(this.known, { deviceId, lastSeenTs, offlineFor: lastSeenTs });
  }

  // --- pending evaluations ------------------------------------------------------------------------------------------

  async addPendingEvaluation(
    deviceId: string,
    range: { fromTs: number; toTs: number },
    at: number,
    error: string,
  ): Promise<void> {
    const prev = this.pendingEvals.get(deviceId);
    this.pendingEvals.set(deviceId, {
      deviceId,
      fromTs: Math.min(prev?.fromTs ?? range.fromTs, range.fromTs),
      toTs: Math.max(prev?.toTs ?? range.toTs, range.toTs),
      failures: (prev?.failures ?? 0) + 1,
      firstFailedAt: prev?.firstFailedAt ?? at,
      lastError: error.slice(0, MAX_ERROR_CHARS),
    });
  }

  async pendingEvaluations(): Promise<PendingEvaluation[]> {
    return [...this.pendingEvals.values()]
      .sort((a, b) =>
        indexOrder(
          { raisedAt: a.firstFailedAt, key: itemKey.pendingEvaluation(a.deviceId) },
          { raisedAt: b.firstFailedAt, key: itemKey.pendingEvaluation(b.deviceId) },
        ),
      )
      .map((p) => ({ ...p }));
  }

  async clearPendingEvaluation(pending: PendingEvaluation): Promise<boolean> {
    const stored = this.pendingEvals.get(pending.deviceId);
    if (
      !stored ||
      stored.failures !== pending.failures ||
      stored.fromTs !== pending.fromTs ||
      stored.toTs !== pending.toTs
    )
      return false;
    this.pendingEvals.delete(pending.deviceId);
    return true;
  }

  async failPendingEvaluation(deviceId: string, error: string): Promise<void> {
    const stored = this.pendingEvals.get(deviceId);
    if (!stored) return;
    stored.failures++;
    stored.lastError = error.slice(0, MAX_ERROR_CHARS);
  }

  // --- notification pacing ------------------------------------------------------------------------------------------

  async takeRaiseTurn(key: RaiseTurnKey, raiseId: string, at: number, periodMs: number): Promise<boolean> {
    const id = [key.deviceId, key.condition, key.audience].join('#');
    const prev = this.paces.get(id);
    if (prev && prev.lastAt > at - periodMs && prev.raiseId !== raiseId) return false;
    this.paces.set(id, { lastAt: at, raiseId });
    return true;
  }

  async holdForBackfill(deviceId: string, alarmId: string, sampleTs: number, at: number): Promise<void> {
    const item = this.touch(deviceId, sampleTs, sampleTs, at);
    item.held = item.held ?? new Set();
    item.held.add(alarmId);
  }

  async addBackfillEpisode(deviceId: string, episode: BackfillEpisode, at: number): Promise<void> {
    const room = (this.backfills.get(deviceId)?.eps?.size ?? 0) < BACKFILL_EPISODES_KEPT;
    const item = this.touch(deviceId, episode.startTs, episode.endTs, at);
    if (room) {
      item.eps = item.eps ?? new Set();
      item.eps.add(encodeBackfillEpisode(episode));
    } else item.more = (item.more ?? 0) + 1;
    item.held?.delete(episode.alarmId);
    // DynamoDB removes a set emptied by DELETE.
    if (item.held?.size === 0) delete item.held;
  }

  async claimBackfillSummary(deviceId: string, at: number): Promise<BackfillSummary | undefined> {
    const item = this.backfills.get(deviceId);
    if (!item?.deviceId || (item.sentAt !== undefined && item.sentAt >= at - STALE_CLAIM_MS))
      return undefined;
    item.sentAt = at;
    delete item.status;
    return {
      deviceId,
      fromTs: Number(item.fromTs),
      toTs: Number(item.toTs),
      episodes: sorted(item.eps).map(decodeBackfillEpisode),
      more: item.more ?? 0,
      held: sorted(item.held),
    };
  }

  async finishBackfillSummary(deviceId: string): Promise<void> {
    const item = this.backfills.get(deviceId);
    // Emptied, not deleted, as in DynamoDB: only its change time stays.
    if (item) this.backfills.set(deviceId, { raisedAt: item.raisedAt });
  }

  async dueBackfills(before: number): Promise<string[]> {
    return [...this.backfills.entries()]
      .filter(([, i]) => i.status === 'backfill' && i.raisedAt < before)
      .sort(([ka, a], [kb, b]) =>
        indexOrder(
          { raisedAt: a.raisedAt, key: itemKey.backfill(ka) },
          { raisedAt: b.raisedAt, key: itemKey.backfill(kb) },
        ),
      )
      .map(([, i]) => String(i.deviceId));
  }

  // --- detector states ----------------------------------------------------------------------------------------------

  async detectorStates(deviceIds: readonly string[]): Promise<Map<string, StoredDetectorState>> {
    const out = new Map<string, StoredDetectorState>();
    for (const id of deviceIds) {
      const item = this.detector.get(id);
      if (item) out.set(id, { state: JSON.parse(item.state), rev: item.rev });
    }
    return out;
  }

  async saveDetectorState(
    deviceId: string,
    state: Parameters<AlarmStore['saveDetectorState']>[1],
    rev: number | undefined,
  ): Promise<boolean> {
    const stored = this.detector.get(deviceId);
    if (rev === undefined ? stored !== undefined : stored?.rev !== rev) return false;
    this.detector.set(deviceId, { rev: (rev ?? 0) + 1, state: JSON.stringify(state) });
    return true;
  }

  // --- helpers ------------------------------------------------------------------------------------------------------

  /** The episode as `head` returns it: a copy through the DynamoDB adapter's own `toAlarm`. */
  private read(alarmId: string): Alarm | undefined {
    if (kindOf(alarmId) !== 'episode') return undefined;
    const item = this.episodes.get(alarmId);
    return item ? this.toAlarmCopy(item) : undefined;
  }

  private toAlarmCopy(item: Item): Alarm {
    return toAlarm(storedCopy(item)) as Alarm;
  }

  /** `list_append` of notifications to `pending`. */
  private queue(item: Item, notify: PendingNotification | readonly PendingNotification[]): void {
    const more = typeof notify === 'string' ? [notify] : [...notify];
    item.pending = [...((item.pending ?? []) as PendingNotification[]), ...more];
  }

  /** Log entry `n` of an alarm's history (positive) or notification records (stored under `-n`). */
  private append(
    kind: 'history' | 'notification',
    alarmId: string,
    n: number,
    entry: AlarmTransition | NotificationRecord,
  ): void {
    const log = this.logs.get(alarmId) ?? new Map();
    log.set(kind === 'history' ? n : -n, storedCopy(entry));
    this.logs.set(alarmId, log);
  }

  private flood(w: Pick<FloodWindow, 'audience' | 'siteId' | 'windowStart'>): FloodItem {
    const key = itemKey.flood(w);
    const item = this.floods.get(key) ?? { window: {}, ids: new Set<string>() };
    this.floods.set(key, item);
    return item;
  }

  /** Lists the device's backfill summary under `backfill` at `at`, covering [fromTs (first kept), toTs]. */
  private touch(deviceId: string, fromTs: number, toTs: number, at: number): BackfillItem {
    const item = this.backfills.get(deviceId) ?? { raisedAt: at };
    item.deviceId = deviceId;
    item.status = 'backfill';
    item.raisedAt = at;
    item.fromTs = item.fromTs ?? fromTs;
    item.toTs = toTs;
    this.backfills.set(deviceId, item);
    return item;
  }
}
