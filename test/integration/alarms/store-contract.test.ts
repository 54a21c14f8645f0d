import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAlarmStore } from '../../../functions/adapters/dynamodb/alarm-store';
import { documentClient } from '../../../functions/adapters/dynamodb/client';
import { DynamoReadingStore } from '../../../functions/adapters/dynamodb/reading-store';
import { InMemoryAlarmStore } from '../../../functions/adapters/memory/alarm-store';
import { InMemoryReadingStore } from '../../../functions/adapters/memory/reading-store';
import type { ServiceAlarms } from '../../../functions/composition';
import type { Alarm, AlarmTransition, NotificationRecord } from '../../../functions/core/alarm';
import type { DetectorState } from '../../../functions/core/event-detector';
import { type ReadingItem, readingSortKey } from '../../../functions/core/reading-item';
import type { ReadingStore } from '../../../functions/ports/reading-store';
import { ensureTables, LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../../infra/local/dynamo';

/**
 * One contract, two stores: every case runs against the DynamoDB adapters (real SDK over HTTP, on dynalite, tables
 * of their own per case) and against the in-memory ones the alarm replay uses, so the fake cannot drift from what the
 * service does in the cloud.
 */
const T0 = Date.UTC(2026, 5, 1);
const MIN = 60_000;

let dynamo: LocalDynamo;
let doc: DynamoDBDocumentClient;
let raw: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ prefix: 'contract-' });
  doc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
  raw = new DynamoDBClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
});

afterAll(async () => {
  doc?.destroy();
  raw?.destroy();
  await dynamo?.stop();
});

interface Stores {
  alarms: ServiceAlarms;
  readings: ReadingStore;
}

const BACKINGS: Record<string, () => Promise<Stores>> = {
  dynamodb: async () => {
    const names = await ensureTables(raw, `c${++tables}-`);
    return {
      alarms: new DynamoAlarmStore(doc, names.alarms),
      readings: new DynamoReadingStore(doc, names.readings),
    };
  },
  memory: async () => ({ alarms: new InMemoryAlarmStore(), readings: new InMemoryReadingStore() }),
};

const alarm = (alarmId: string, raisedAt: number, extra: Partial<Alarm> = {}): Alarm => ({
  alarmId,
  deviceId: 'wq-1',
  siteId: 's1',
  siteName: 'Site 1',
  township: 't1',
  condition: 'limit:ph:max',
  severity: 'critical',
  audience: 'operators',
  state: 'active_unack',
  status: 'open',
  raisedAt,
  sampleTs: raisedAt,
  sampleReceivedAt: raisedAt,
  late: false,
  historyCount: 1,
  notificationCount: 0,
  lastChangeAt: raisedAt,
  pending: ['raised'],
  sending: {},
  ...extra,
});
const entry = (at: number, to: AlarmTransition['to'], from?: AlarmTransition['from']): AlarmTransition =>
  from ? { at, from, to } : { at, to };
const note = (at: number, extra: Partial<NotificationRecord> = {}): NotificationRecord => ({
  at,
  kind: 'raised',
  audience: 'operators',
  recipients: 2,
  messageIds: ['m1', 'm2'],
  ...extra,
});
/** Closes an active alarm. */
const close = (alarms: ServiceAlarms, alarmId: string, at: number) =>
  alarms.transition({ alarmId, from: ['active_unack'], to: 'closed', at, entry: entry(at, 'closed') });
const reading = (deviceId: string, minute: number, m: Record<string, number>, seq = 0): ReadingItem => ({
  deviceId,
  sk: readingSortKey(T0 + minute * MIN, seq),
  ts: T0 + minute * MIN,
  seq,
  m,
  rcv: T0 + minute * MIN,
  ttl: 1,
});

describe.each(Object.keys(BACKINGS))('alarm and reading stores (%s)', (backing) => {
  const fresh = BACKINGS[backing] as () => Promise<Stores>;

  it('creates an episode once and reads it with its counters, history and defaults', async () => {
    const { alarms } = await fresh();
    const a = alarm('a1', T0, { value: 9.2, lastValue: undefined });
    expect(await alarms.create(a, entry(T0, 'active_unack'))).toBe(true);
    expect(await alarms.create({ ...a, value: 1 }, entry(T0 + MIN, 'active_unack'))).toBe(false);
    const head = await alarms.head('a1');
    expect(head).toMatchObject({
      value: 9.2,
      historyCount: 1,
      pending: ['raised'],
      sending: {},
      lastChangeAt: T0,
    });
    expect(head && 'lastValue' in head).toBe(false);
    expect(await alarms.head('dev#wq-1')).toBeUndefined();
    expect(await alarms.head('nope')).toBeUndefined();
    const detail = await alarms.get('a1');
    expect(detail?.history).toEqual([entry(T0, 'active_unack')]);
    expect(detail?.notifications).toEqual([]);
  });

  it('moves state only from the states asked, appends notifications and counts history', async () => {
    const { alarms } = await fresh();
    await alarms.create(alarm('a1', T0), entry(T0, 'active_unack'));
    const refused = await alarms.transition({
      alarmId: 'a1',
      from: ['cleared_unack'],
      to: 'closed',
      at: T0 + MIN,
      entry: entry(T0 + MIN, 'closed'),
    });
    expect(refused).toBeUndefined();
    expect(
      await alarms.transition({
        alarmId: 'zz',
        from: ['active_unack'],
        to: 'closed',
        at: 1,
        entry: entry(1, 'closed'),
      }),
    ).toBeUndefined();
    const cleared = await alarms.transition({
      alarmId: 'a1',
      from: ['active_unack', 'active_ack'],
      to: 'cleared_unack',
      at: T0 + 2 * MIN,
      entry: entry(T0 + 2 * MIN, 'cleared_unack', 'active_unack'),
      set: { clearedAt: T0 + 2 * MIN, shelveReason: undefined },
      notify: ['cleared', 'cleared@supervisors'],
    });
    expect(cleared).toMatchObject({
      state: 'cleared_unack',
      status: 'open',
      clearedAt: T0 + 2 * MIN,
      historyCount: 2,
      lastChangeAt: T0 + 2 * MIN,
      pending: ['raised', 'cleared', 'cleared@supervisors'],
    });
    const closed = await alarms.transition({
      alarmId: 'a1',
      from: ['cleared_unack'],
      to: 'closed',
      at: T0 + 3 * MIN,
      entry: entry(T0 + 3 * MIN, 'closed', 'cleared_unack'),
      notify: 'cleared',
    });
    expect(closed).toMatchObject({ status: 'closed', historyCount: 3 });
    expect(closed?.pending).toHaveLength(4);
    expect((await alarms.get('a1', 2))?.history.map((h) => h.to)).toEqual(['cleared_unack', 'closed']);
  });

  it('updates under its conditions: open, the last notification, expected values; removes what is set undefined', async () => {
    const { alarms } = await fresh();
    await alarms.create(alarm('a1', T0, { shelveReason: 'x' }), entry(T0, 'active_unack'));
    expect(
      await alarms.update('a1', { remindersSent: 1 }, undefined, { condition: { lastNotifiedAt: T0 } }),
    ).toBeUndefined();
    const first = await alarms.update('a1', { remindersSent: 1, shelveReason: undefined }, undefined, {
      condition: { lastNotifiedAt: undefined },
      expect: { remindersSent: undefined },
      notify: 'reminder',
    });
    expect(first).toMatchObject({ remindersSent: 1, historyCount: 1, pending: ['raised', 'reminder'] });
    expect(first && 'shelveReason' in first).toBe(false);
    expect(
      await alarms.update('a1', { remindersSent: 2 }, undefined, { expect: { remindersSent: 0 } }),
    ).toBeUndefined();
    const second = await alarms.update('a1', { remindersSent: 2 }, entry(T0 + MIN, 'shelved'), {
      condition: 'open',
      expect: { remindersSent: 1 },
    });
    expect(second).toMatchObject({ remindersSent: 2, historyCount: 2, lastChangeAt: T0 + MIN });
    await close(alarms, 'a1', T0 + 2 * MIN);
    expect(await alarms.update('a1', { remindersSent: 3 }, undefined, { condition: 'open' })).toBeUndefined();
    expect(await alarms.update('nope', { remindersSent: 3 }, undefined, {})).toBeUndefined();
    expect((await alarms.get('a1'))?.history.map((h) => h.to)).toEqual(['active_unack', 'shelved', 'closed']);
  });

  it('hands each pending notification to one sender, records it and takes back a released one', async () => {
    const { alarms } = await fresh();
    await alarms.create(
      alarm('a1', T0, { pending: ['raised', 'raised@supervisors'] }),
      entry(T0, 'active_unack'),
    );
    expect(await alarms.recordNotification('a1', 'raised', note(T0))).toBe(false);
    expect(await alarms.claimNotification('a1', 'raised', T0)).toBe(true);
    expect(await alarms.claimNotification('a1', 'raised', T0)).toBe(false);
    expect(await alarms.claimNotification('a1', 'reminder', T0)).toBe(false);
    expect(await alarms.head('a1')).toMatchObject({
      pending: ['raised@supervisors'],
      sending: { raised: T0 },
    });
    expect(await alarms.recordNotification('a1', 'raised', note(T0 + 1, { suppressed: 'flapping' }))).toBe(
      true,
    );
    expect(await alarms.claimNotification('a1', 'raised@supervisors', T0 + 2)).toBe(true);
    await alarms.releaseNotification('a1', 'raised@supervisors');
    await alarms.releaseNotification('a1', 'raised@supervisors');
    const head = await alarms.head('a1');
    expect(head).toMatchObject({
      pending: ['raised@supervisors'],
      sending: {},
      notificationCount: 1,
      lastNotifiedAt: T0 + 1,
      floodFolded: ['operators'],
    });
    expect((await alarms.get('a1'))?.notifications).toEqual([note(T0 + 1, { suppressed: 'flapping' })]);
  });

  it('holds one alarm per device and condition in the open index', async () => {
    const { alarms } = await fresh();
    expect(await alarms.acquire('wq-1', 'limit:ph:max', 'a1', T0)).toBe('a1');
    expect(await alarms.acquire('wq-1', 'limit:ph:max', 'a2', T0 + 1)).toBe('a1');
    expect(await alarms.acquire('wq-1', 'limit:ph:max', 'a1', T0 + 2)).toBe('a1');
    await alarms.acquire('wq-1', 'stuck:ph', 'a3', T0 + 3);
    await alarms.release('wq-1', 'stuck:ph', 'a2');
    expect(await alarms.openIndex('wq-1')).toEqual({
      'limit:ph:max': { alarmId: 'a1', at: T0 + 2 },
      'stuck:ph': { alarmId: 'a3', at: T0 + 3 },
    });
    await alarms.release('wq-1', 'stuck:ph', 'a3');
    await alarms.release('wq-9', 'stuck:ph', 'a3');
    const many = await alarms.openIndexes(['wq-1', 'wq-2', 'wq-1']);
    expect([...many]).toEqual([
      ['wq-1', { 'limit:ph:max': { alarmId: 'a1', at: T0 + 2 } }],
      ['wq-2', {}],
    ]);
  });

  it('lists newest first, counts the limit before the filter and pages by cursor', async () => {
    const { alarms } = await fresh();
    for (const [id, minute, deviceId] of [
      ['a1', 1, 'wq-1'],
      ['a2', 2, 'wq-2'],
      ['a3', 3, 'wq-1'],
      ['a4', 3, 'wq-1'],
      ['a5', 5, 'wq-2'],
    ] as const)
      await alarms.create(alarm(id, T0 + minute * MIN, { deviceId }), entry(T0, 'active_unack'));
    await close(alarms, 'a2', T0 + 9 * MIN);
    const ids = (page: { items: Alarm[] }) => page.items.map((a) => a.alarmId);
    const all = await alarms.list({ status: 'open', limit: 10 });
    // a3 and a4 were raised at the same time: their order is the index's own (a hash of the key), the same in both.
    expect(ids(all)).toEqual(['a5', 'a3', 'a4', 'a1']);
    expect(all.cursor).toBeUndefined();
    const first = await alarms.list({ status: 'open', deviceId: 'wq-1', limit: 2 });
    expect(ids(first)).toEqual(['a3', 'a4']);
    expect(first.cursor).toBeDefined();
    const second = await alarms.list({ status: 'open', deviceId: 'wq-1', limit: 2, cursor: first.cursor });
    expect(ids(second)).toEqual(['a1']);
    expect(second.cursor).toBeUndefined();
    // A full page carries a cursor even when nothing follows; the next page is then empty.
    const exact = await alarms.list({ status: 'open', limit: 4 });
    expect(exact.cursor).toBeDefined();
    expect(await alarms.list({ status: 'open', limit: 4, cursor: exact.cursor })).toEqual({ items: [] });
    expect(ids(await alarms.list({ status: 'closed', limit: 10 }))).toEqual(['a2']);
    await expect(alarms.list({ status: 'closed', limit: 2, cursor: first.cursor })).rejects.toThrow(
      /open alarms/,
    );
    expect((await alarms.raisedBetween('open', T0 + 2 * MIN, T0 + 5 * MIN)).map((a) => a.alarmId)).toEqual([
      'a4',
      'a3',
      'a5',
    ]);
  });

  it('counts flood windows per alarm, lists due digests and sends each once', async () => {
    const { alarms } = await fresh();
    const w = {
      audience: 'operators',
      siteId: 's1',
      windowStart: T0,
      township: 't1',
      severity: 'critical',
    } as const;
    expect(await alarms.addToFloodWindow(w, 'a1')).toBe(1);
    expect(await alarms.addToFloodWindow(w, 'a1')).toBe(1);
    expect(await alarms.addToFloodWindow(w, 'a2')).toBe(2);
    expect(await alarms.addToFloodWindow({ ...w, windowStart: T0 + 15 * MIN }, 'a3')).toBe(1);
    await alarms.foldIntoDigest(w, 'a2');
    await alarms.foldIntoDigest(w, 'a2');
    expect(await alarms.dueDigests(T0)).toEqual([]);
    const due = await alarms.dueDigests(T0 + 1);
    expect(due).toEqual([{ ...w, count: 2, folded: ['a2'] }]);
    expect(await alarms.markDigestSent(due[0] as (typeof due)[0], T0 + 20 * MIN)).toBe(true);
    expect(await alarms.markDigestSent(due[0] as (typeof due)[0], T0 + 21 * MIN)).toBe(false);
    expect(await alarms.dueDigests(T0 + 60 * MIN)).toEqual([]);
    await expect(alarms.foldIntoDigest(w, 'a4')).rejects.toThrow(/conditional request failed/i);
  });

  it('merges heartbeats: newest time wins, warm reads see new batches, offline marks stay with their silence', async () => {
    const { alarms } = await fresh();
    expect(
      await alarms.recordHeartbeats(
        [
          { deviceId: 'wq-1', lastSeenTs: T0 },
          { deviceId: 'wq-2', lastSeenTs: T0 },
        ],
        T0,
      ),
    ).toEqual([]);
    await alarms.recordHeartbeat('wq-3', 0);
    await alarms.markOffline('wq-3', 5);
    await alarms.markOffline('wq-3', 0);
    const byDevice = (beats: { deviceId: string }[]) =>
      [...beats].sort((a, b) => a.deviceId.localeCompare(b.deviceId));
    expect(byDevice(await alarms.heartbeats())).toEqual([
      { deviceId: 'wq-1', lastSeenTs: T0 },
      { deviceId: 'wq-2', lastSeenTs: T0 },
      { deviceId: 'wq-3', lastSeenTs: 0, offlineFor: 0 },
    ]);
    await alarms.recordHeartbeats([{ deviceId: 'wq-1', lastSeenTs: T0 + 5 * MIN }], T0 + 5 * MIN);
    await alarms.recordHeartbeat('wq-2', T0 - MIN);
    await alarms.recordHeartbeat('wq-3', T0 + MIN);
    expect(byDevice(await alarms.heartbeats())).toEqual([
      { deviceId: 'wq-1', lastSeenTs: T0 + 5 * MIN },
      { deviceId: 'wq-2', lastSeenTs: T0 },
      // A warm reader keeps the mark; it belongs to the older silence (lastSeenTs moved past it).
      { deviceId: 'wq-3', lastSeenTs: T0 + MIN, offlineFor: 0 },
    ]);
    // Read afresh from a time: older batches are not read again, the sweep's own items always are.
    expect(byDevice(await alarms.heartbeats({ since: T0 + MIN }))).toEqual([
      { deviceId: 'wq-1', lastSeenTs: T0 + 5 * MIN },
      { deviceId: 'wq-2', lastSeenTs: T0 - MIN },
      { deviceId: 'wq-3', lastSeenTs: T0 + MIN },
    ]);
  });

  it('keeps one pending evaluation per device, widened, cleared only as read', async () => {
    const { alarms } = await fresh();
    await alarms.addPendingEvaluation('wq-1', { fromTs: 10, toTs: 20 }, T0, 'boom');
    await alarms.addPendingEvaluation('wq-1', { fromTs: 5, toTs: 15 }, T0 + MIN, 'x'.repeat(400));
    await alarms.addPendingEvaluation('wq-2', { fromTs: 1, toTs: 2 }, T0 - MIN, 'e');
    await alarms.failPendingEvaluation('wq-9', 'none');
    const [two, one] = await alarms.pendingEvaluations();
    expect(two).toMatchObject({ deviceId: 'wq-2', failures: 1 });
    expect(one).toEqual({
      deviceId: 'wq-1',
      fromTs: 5,
      toTs: 20,
      failures: 2,
      firstFailedAt: T0,
      lastError: 'x'.repeat(300),
    });
    await alarms.failPendingEvaluation('wq-1', 'again');
    expect(await alarms.clearPendingEvaluation(one as NonNullable<typeof one>)).toBe(false);
    const [, now] = await alarms.pendingEvaluations();
    expect(now).toMatchObject({ failures: 3, lastError: 'again' });
    expect(await alarms.clearPendingEvaluation(now as NonNullable<typeof now>)).toBe(true);
    expect((await alarms.pendingEvaluations()).map((p) => p.deviceId)).toEqual(['wq-2']);
  });

  it('paces raise SMS per device, condition and audience', async () => {
    const { alarms } = await fresh();
    const key = { deviceId: 'wq-1', condition: 'limit:ph:max', audience: 'operators' } as const;
    expect(await alarms.takeRaiseTurn(key, 'r1', T0, 60 * MIN)).toBe(true);
    expect(await alarms.takeRaiseTurn(key, 'r1', T0 + MIN, 60 * MIN)).toBe(true);
    expect(await alarms.takeRaiseTurn(key, 'r2', T0 + 30 * MIN, 60 * MIN)).toBe(false);
    expect(await alarms.takeRaiseTurn({ ...key, audience: 'engineers' }, 'r2', T0 + 30 * MIN, 60 * MIN)).toBe(
      true,
    );
    expect(await alarms.takeRaiseTurn(key, 'r2', T0 + 61 * MIN, 60 * MIN)).toBe(true);
  });

  it('collects a backfill summary, lists it while quiet, lets one sender claim it and empties it', async () => {
    const { alarms } = await fresh();
    await alarms.holdForBackfill('wq-1', 'a1', T0, T0 + 60 * MIN);
    await alarms.holdForBackfill('wq-1', 'a2', T0 + 2 * MIN, T0 + 61 * MIN);
    const ep = {
      alarmId: 'a1',
      condition: 'limit:ph:max',
      severity: 'critical',
      audience: 'operators',
      metric: 'ph',
    } as const;
    await alarms.addBackfillEpisode('wq-1', { ...ep, startTs: T0, endTs: T0 + 5 * MIN }, T0 + 62 * MIN);
    await alarms.addBackfillEpisode('wq-1', { ...ep, startTs: T0, endTs: T0 + 5 * MIN }, T0 + 62 * MIN);
    expect(await alarms.dueBackfills(T0 + 62 * MIN)).toEqual([]);
    expect(await alarms.dueBackfills(T0 + 63 * MIN)).toEqual(['wq-1']);
    const summary = await alarms.claimBackfillSummary('wq-1', T0 + 70 * MIN);
    expect(summary).toEqual({
      deviceId: 'wq-1',
      fromTs: T0,
      toTs: T0 + 5 * MIN,
      episodes: [{ ...ep, startTs: T0, endTs: T0 + 5 * MIN }],
      more: 0,
      held: ['a2'],
    });
    expect(await alarms.claimBackfillSummary('wq-1', T0 + 71 * MIN)).toBeUndefined();
    expect(await alarms.dueBackfills(T0 + 80 * MIN)).toEqual([]);
    // A claim left by a sender that died is taken over.
    expect(await alarms.claimBackfillSummary('wq-1', T0 + 76 * MIN)).toMatchObject({ held: ['a2'] });
    await alarms.finishBackfillSummary('wq-1');
    expect(await alarms.claimBackfillSummary('wq-1', T0 + 90 * MIN)).toBeUndefined();
    await alarms.holdForBackfill('wq-1', 'a9', T0 + 100 * MIN, T0 + 120 * MIN);
    expect(await alarms.claimBackfillSummary('wq-1', T0 + 130 * MIN)).toEqual({
      deviceId: 'wq-1',
      fromTs: T0 + 100 * MIN,
      toTs: T0 + 100 * MIN,
      episodes: [],
      more: 0,
      held: ['a9'],
    });
  });

  it('stores detector states under a revision that every write checks', async () => {
    const { alarms } = await fresh();
    const state = { v: 1, hour: 7, hours: [1, 2] } as unknown as DetectorState;
    expect(await alarms.saveDetectorState('wq-1', state, 3)).toBe(false);
    expect(await alarms.saveDetectorState('wq-1', state, undefined)).toBe(true);
    expect(await alarms.saveDetectorState('wq-1', { ...state, hour: 8 }, undefined)).toBe(false);
    expect(await alarms.saveDetectorState('wq-1', { ...state, hour: 8 }, 1)).toBe(true);
    const read = await alarms.detectorStates(['wq-1', 'wq-2']);
    expect([...read]).toEqual([['wq-1', { state: { ...state, hour: 8 }, rev: 2 }]]);
    expect([...(await alarms.detectorStates(['wq-1']))]).toEqual([...read]);
  });

  it('stores readings by key and queries ranges in either order, by metric, page by page', async () => {
    const { readings } = await fresh();
    await readings.putItems([
      reading('wq-1', 3, { ph: 7.3 }),
      reading('wq-1', 1, { ph: 7.1, orp_mv: 700 }),
      reading('wq-1', 2, { orp_mv: 702 }),
      reading('wq-1', 2, { orp_mv: 701 }, 1),
      reading('wq-2', 1, { ph: 9 }),
    ]);
    await readings.putItems([reading('wq-1', 3, { ph: 7.35 })]);
    const q = { deviceId: 'wq-1', from: T0 + MIN, to: T0 + 3 * MIN };
    const page = await readings.query({ ...q, limit: 10 });
    expect(page.items.map((i) => i.m)).toEqual([
      { ph: 7.1, orp_mv: 700 },
      { orp_mv: 702 },
      { orp_mv: 701 },
      { ph: 7.35 },
    ]);
    expect(page.cursor).toBeUndefined();
    const newest = await readings.query({ ...q, limit: 2, newestFirst: true });
    expect(newest.items.map((i) => i.sk)).toEqual([
      readingSortKey(T0 + 3 * MIN, 0),
      readingSortKey(T0 + 2 * MIN, 1),
    ]);
    const older = await readings.query({ ...q, limit: 2, newestFirst: true, cursor: newest.cursor });
    expect(older.items.map((i) => i.sk)).toEqual([
      readingSortKey(T0 + 2 * MIN, 0),
      readingSortKey(T0 + MIN, 0),
    ]);
    expect(older.cursor).toBeDefined();
    expect(await readings.query({ ...q, limit: 2, newestFirst: true, cursor: older.cursor })).toEqual({
      items: [],
    });
    // The limit counts items read, before the metric filter; the page keeps only that metric.
    const ph = await readings.query({ ...q, limit: 3, metric: 'ph' });
    expect(ph.items).toEqual([
      {
        deviceId: 'wq-1',
        sk: readingSortKey(T0 + MIN, 0),
        ts: T0 + MIN,
        seq: 0,
        rcv: T0 + MIN,
        m: { ph: 7.1 },
      },
    ]);
    const rest = await readings.query({ ...q, limit: 3, metric: 'ph', cursor: ph.cursor });
    expect(rest.items.map((i) => i.m)).toEqual([{ ph: 7.35 }]);
    expect(
      (await readings.query({ ...q, from: T0 + 2 * MIN, to: T0 + 2 * MIN, limit: 5 })).items,
    ).toHaveLength(2);
    expect((await readings.latest('wq-1'))?.m).toEqual({ ph: 7.35 });
    expect(await readings.latest('wq-9')).toBeUndefined();
    await expect(readings.query({ ...q, deviceId: 'wq-2', limit: 1, cursor: ph.cursor })).rejects.toThrow(
      /this device/,
    );
    await expect(readings.query({ ...q, from: T0 + 3 * MIN, limit: 1, cursor: ph.cursor })).rejects.toThrow(
      /outside/,
    );
  });
});
