import {
  type Alarm,
  alarmIdFor,
  LATE_AFTER_MS,
  type NotificationRecord,
  type PendingNotification,
  parsePending,
  pendingFor,
  SHELVE_WINDOW_MS,
  TRANSITIONS,
} from '../core/alarm';
import type { AlarmFacts, Audience, NotificationKind } from '../core/alarm-types';
import { conditionsFor } from '../core/conditions/build';
import { detectorStatuses, type Finding, suspectMetrics } from '../core/conditions/detector';
import { evaluateConditions, historyFor, observedValue } from '../core/conditions/evaluate';
import type { Condition, EvalSample, Status } from '../core/conditions/types';
import { ConflictError, NotFoundError, TooManyRequestsError, ValidationError } from '../core/errors';
import type { DetectorVerdict } from '../core/event-detector';
import { fromReadingItem } from '../core/reading-item';
import { type Device, inMaintenance } from '../core/registry';
import { renderBackfillSummary } from '../core/sms/backfill-summary';
import { renderNotification } from '../core/sms/templates';
import type { AlarmEpisodes } from '../ports/alarm-episodes';
import type { AlarmNotifications } from '../ports/alarm-notifications';
import type { Clock } from '../ports/clock';
import type { FloodWindows } from '../ports/flood-windows';
import type { LiveEvents } from '../ports/live-events';
import { noMetrics, type ServiceMetrics } from '../ports/metrics';
import type { NotificationPacing } from '../ports/notification-pacing';
import type { Notifier, SendResult } from '../ports/notifier';
import type { OpenAlarmIndex } from '../ports/open-alarm-index';
import type { ReadingStore } from '../ports/reading-store';
import { logger } from '../shared/logger';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../shared/time';
import { type RecentReadings, readingsBefore } from './recent-readings';

export interface AlarmSettings {
  /** More raise notifications than this per audience and site in one window are folded into a digest. */
  floodMaxAlarms: number;
  floodWindowMs: number;
  /** Reminder while a critical or warning alarm stays unacknowledged. */
  reminderMs: number;
  /** Reminders per alarm episode; after these the sweep stops reminding (escalation still happens once). */
  reminderMax: number;
  /**
   * At most one raise SMS per device, condition and audience in this period: a flapping alarm's re-raises inside it
   * are recorded (history, API) with their SMS folded (`suppressed: 'flapping'`), and so is their clear SMS.
   */
  raiseSmsMinIntervalMs: number;
  /** Escalation to supervisors of an unacknowledged critical alarm. */
  escalateAfterMs: number;
  shelveMaxMs: number;
  /** Shelves allowed per alarm in a rolling 24 hours; beyond it shelving answers 429. */
  shelveMaxPerDay: number;
}

export const ALARM_SETTING_DEFAULTS: AlarmSettings = {
  floodMaxAlarms: 5,
  floodWindowMs: 10 * MINUTE_MS,
  reminderMs: 30 * MINUTE_MS,
  reminderMax: 3,
  raiseSmsMinIntervalMs: HOUR_MS,
  escalateAfterMs: HOUR_MS,
  shelveMaxMs: DAY_MS,
  shelveMaxPerDay: 20,
};

/** Pending entries of `kinds` not already pending on the alarm: a failing channel cannot grow the list. */
const notYetPending = (alarm: Alarm, kinds: readonly PendingNotification[]) =>
  kinds.filter((k) => !alarm.pending.includes(k));

export interface AlarmEngineDeps {
  alarms: AlarmEpisodes & OpenAlarmIndex & AlarmNotifications & FloodWindows;
  readings: ReadingStore;
  notifier: Notifier;
  live: LiveEvents;
  clock: Clock;
  settings: AlarmSettings;
  /** Counts alarms raised and SMS sent or failed; nothing is counted when absent. */
  metrics?: ServiceMetrics;
  /**
   * Raise-SMS pacing and backfill summaries (docs/alarm-rules.md); without it every raise sends and an alarm from
   * backfilled data is sent at once, marked late.
   */
  pacing?: NotificationPacing;
}

/**
 * The open-alarm index slot that says a device has a backfill summary under way, so the evaluation that sees the
 * device live again finishes it without an extra read. Its holder names the summary item, never an alarm episode.
 */
const BACKFILL_SLOT = 'backfill';
const backfillHolder = (deviceId: string) => `bf#${deviceId}`;

/** A sample that reached the broker long after it was taken. */
const isLate = (sample: EvalSample) => sample.receivedAt - sample.ts > LATE_AFTER_MS;
/**
 * Backfilled: late, and sent in a batch of samples, as a device back from offline sends what it stored. A late single
 * sample is a delayed message, still news: it is sent at once, marked late.
 */
const isBackfill = (sample: EvalSample) => sample.batched === true && isLate(sample);

/** The message a sample came in, as alarm fields: nothing for a sample read back from storage. */
const correlationOf = (sample: EvalSample) =>
  sample.correlationId === undefined ? {} : { correlationId: sample.correlationId };

/** A condition's verdict at one sample of a device: what `apply` acts on. */
interface Verdict {
  device: Device;
  condition: Condition;
  status: Exclude<Status, 'hold'>;
  sample: EvalSample;
  /** What the event detector found, for an event or drift condition. */
  finding?: Finding;
}

/** The device's open alarms while a batch is evaluated: slots by condition key, and the alarms read so far. */
interface OpenAlarms {
  index: Record<string, { alarmId: string; at: number }>;
  load: (id: string) => Promise<Alarm | undefined>;
  loaded: Map<string, Alarm | undefined>;
}

/** A slot held longer than this by an alarm that was never written belongs to a crashed raise and may be taken. */
const ORPHAN_SLOT_MS = 2 * MINUTE_MS;

function describe(condition: Condition, value: number | boolean | undefined): Partial<Alarm> {
  const out: Partial<Alarm> = {};
  if (condition.metric !== undefined) out.metric = condition.metric;
  if (value !== undefined) out.value = value;
  if (condition.kind === 'limit' || condition.kind === 'warn' || condition.kind === 'battery') {
    out.limit = { value: condition.level, direction: condition.direction, citation: condition.citation };
  } else if (condition.kind === 'fill' || condition.kind === 'fire') {
    out.limit = { value: condition.level, direction: 'max', citation: condition.citation };
  } else if (condition.kind === 'range') {
    out.limit = {
      value: condition.range[1],
      direction: 'max',
      citation: `instrument range ${condition.range[0]}–${condition.range[1]}`,
    };
  }
  return out;
}

export function alarmFacts(alarm: Alarm, kind: NotificationKind): AlarmFacts {
  const facts: AlarmFacts = {
    alarmId: alarm.alarmId,
    kind,
    severity: alarm.severity,
    deviceId: alarm.deviceId,
    siteId: alarm.siteId,
    siteName: alarm.siteName,
    township: alarm.township,
    condition: alarm.condition,
    sampleTs:
      kind === 'cleared' && alarm.clearedSampleTs !== undefined ? alarm.clearedSampleTs : alarm.sampleTs,
  };
  if (alarm.siteNameZh !== undefined) facts.siteNameZh = alarm.siteNameZh;
  if (alarm.measurementPoint !== undefined) facts.measurementPoint = alarm.measurementPoint;
  if (alarm.metric !== undefined) facts.metric = alarm.metric;
  const value = kind === 'cleared' ? alarm.lastValue : alarm.value;
  if (value !== undefined) facts.value = value;
  if (alarm.limit !== undefined) facts.limit = alarm.limit;
  if (alarm.finding !== undefined) facts.finding = alarm.finding;
  if (alarm.late && kind === 'raised') facts.late = true;
  return facts;
}

/**
 * Stored readings evaluation reads before a device's `newSamples` new samples: the conditions' longest window, plus
 * the new samples themselves (stored already, so the newest-first read returns them too).
 */
export function alarmHistoryNeed(
  device: Device,
  newSamples: number,
  conditions: readonly Condition[] = conditionsFor(device),
): number {
  return historyFor(conditions) + newSamples;
}

/** The alarm lifecycle: raise, clear, re-activate, acknowledge, shelve, and the notifications they record. */
export class AlarmEngine {
  constructor(private readonly deps: AlarmEngineDeps) {}

  /**
   * Evaluates a device's new samples in timestamp order against its conditions, with the stored samples just
   * before them as history, and applies the transitions they cause. State is written only on transitions.
   * `prefetched.index` is the device's open-alarm index when the caller read it already (one batched read for a
   * whole ingest batch); it is read here otherwise. `prefetched.recent` shares the history read with the batch's
   * other stages. `prefetched.detector` holds the event detector's verdict per new sample (key `<ts>#<seq>`); without
   * it the detector's conditions hold their state.
   */
  async evaluateDevice(
    device: Device,
    newSamples: readonly EvalSample[],
    prefetched: {
      index?: Record<string, { alarmId: string; at: number }>;
      recent?: RecentReadings;
      detector?: ReadonlyMap<string, DetectorVerdict>;
    } = {},
  ): Promise<void> {
    if (inMaintenance(device, this.deps.clock.now()) || newSamples.length === 0) return;
    const conditions = conditionsFor(device);
    const sorted = [...newSamples].sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    const last = sorted[sorted.length - 1] as EvalSample;
    const limit = alarmHistoryNeed(device, sorted.length, conditions);
    const stored = await readingsBefore(
      this.deps.readings,
      prefetched.recent,
      device,
      sorted.length,
      last.ts,
      limit,
    );
    const historySize = historyFor(conditions);
    const timeline = new Map<string, EvalSample>();
    for (const item of stored) {
      const s = fromReadingItem(item);
      timeline.set(`${s.ts}#${s.seq}`, s);
    }
    for (const s of sorted) timeline.set(`${s.ts}#${s.seq}`, s);
    const ordered = [...timeline.values()].sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    const isNew = new Set(sorted.map((s) => `${s.ts}#${s.seq}`));

    // A copy: the index is updated below as slots are taken and released.
    const index = prefetched.index ? { ...prefetched.index } : await this.deps.alarms.openIndex(device.id);
    const loaded = new Map<string, Alarm | undefined>();
    const load = async (alarmId: string) => {
      if (!loaded.has(alarmId)) loaded.set(alarmId, await this.deps.alarms.head(alarmId));
      return loaded.get(alarmId);
    };
    // A retried batch finishes notifications an earlier attempt recorded but did not send.
    for (const slot of Object.values(index)) {
      const alarm = await load(slot.alarmId);
      if (alarm && alarm.pending.length > 0) loaded.set(alarm.alarmId, await this.dispatchPending(alarm));
    }

    for (let p = 0; p < ordered.length; p++) {
      const sample = ordered[p] as EvalSample;
      if (!isNew.has(`${sample.ts}#${sample.seq}`)) continue;
      const window = ordered.slice(Math.max(0, p - historySize + 1), p + 1);
      const verdict = prefetched.detector?.get(`${sample.ts}#${sample.seq}`);
      const statuses = evaluateConditions(
        conditions,
        window,
        new Set(Object.keys(index)),
        suspectMetrics(verdict),
      );
      const detected = detectorStatuses(conditions, verdict);
      for (const condition of conditions) {
        const found = detected.get(condition.key);
        const status = found?.status ?? statuses.get(condition.key) ?? 'hold';
        // Only a breach or an open alarm has anything to do (`apply` would return at once): most conditions are normal
        // at most samples, and skipping here saves an asynchronous call for each of them.
        if (status === 'hold' || (status !== 'breach' && !index[condition.key])) continue;
        const finding = found?.finding ? { finding: found.finding } : {};
        await this.apply({ device, condition, status, sample, ...finding }, { index, load, loaded });
      }
    }
    // Live again after a backfill that held raises back: send what is still active, summarise what is over.
    if (index[BACKFILL_SLOT] && !isBackfill(last)) {
      await this.finishBackfill(device);
      delete index[BACKFILL_SLOT];
    }
  }

  private async apply(verdict: Verdict, open: OpenAlarms): Promise<void> {
    const { device, condition, status, sample, finding } = verdict;
    const { index, load, loaded } = open;
    const slot = index[condition.key];
    const now = this.deps.clock.now();
    if (status === 'breach') {
      if (slot) {
        const held = await load(slot.alarmId);
        if (held && held.status === 'open') {
          if (held.state === 'cleared_unack' && sample.ts > (held.clearedSampleTs ?? held.sampleTs)) {
            const again = await this.reactivate(held, sample, condition);
            loaded.set(held.alarmId, again);
            if (again?.backfillHeld) index[BACKFILL_SLOT] = { alarmId: backfillHolder(device.id), at: now };
          }
          return;
        }
        if (!held && now - slot.at < ORPHAN_SLOT_MS) return;
        await this.deps.alarms.release(device.id, condition.key, slot.alarmId);
        delete index[condition.key];
      }
      const alarm = await this.raise(device, condition, sample, finding);
      if (alarm) {
        index[condition.key] = { alarmId: alarm.alarmId, at: now };
        loaded.set(alarm.alarmId, alarm);
        if (alarm.backfillHeld) index[BACKFILL_SLOT] = { alarmId: backfillHolder(device.id), at: now };
      }
      return;
    }
    if (!slot) return;
    const held = await load(slot.alarmId);
    // A sample older than the one that raised the alarm (a redelivered batch, late data) says nothing about now.
    if (
      held &&
      (held.state === 'active_unack' || held.state === 'active_ack') &&
      sample.ts >= held.sampleTs
    ) {
      const cleared = await this.clear(held, sample, observedValue(condition, sample));
      loaded.set(held.alarmId, cleared);
      if (cleared?.state === 'closed') {
        await this.deps.alarms.release(device.id, condition.key, held.alarmId);
        delete index[condition.key];
      }
    } else if (held?.status === 'closed') {
      await this.deps.alarms.release(device.id, condition.key, held.alarmId);
      delete index[condition.key];
    }
  }

  /** Raises an alarm for a condition once, whatever the concurrency or redelivery. */
  async raise(
    device: Device,
    condition: Condition,
    sample: EvalSample,
    finding?: Finding,
  ): Promise<Alarm | undefined> {
    const now = this.deps.clock.now();
    const alarmId = alarmIdFor(device.id, condition.key, sample.ts, sample.seq);
    const holder = await this.deps.alarms.acquire(device.id, condition.key, alarmId, now);
    if (holder !== alarmId) {
      logger.info('condition already alarmed', {
        deviceId: device.id,
        alarmId: holder,
        condition: condition.key,
      });
      return undefined;
    }
    const late = isLate(sample);
    // Backfilled data: the raise SMS waits for the end of the backfill (an episode over by then is only summarised).
    const hold = isBackfill(sample) && this.deps.pacing !== undefined && condition.kind !== 'offline';
    const first = {
      at: now,
      to: 'active_unack' as const,
      note: late ? `raised from late data: sample taken ${new Date(sample.ts).toISOString()}` : undefined,
      ...correlationOf(sample),
    };
    const alarm: Alarm = {
      alarmId,
      deviceId: device.id,
      siteId: device.siteId,
      siteName: device.siteName,
      township: device.township,
      condition: condition.key,
      severity: condition.severity,
      audience:
        device.kind === 'bin' && condition.audience === 'operators' ? 'sanitation' : condition.audience,
      state: 'active_unack',
      status: 'open',
      raisedAt: now,
      sampleTs: sample.ts,
      sampleReceivedAt: sample.receivedAt,
      late,
      ...describe(condition, observedValue(condition, sample)),
      ...(finding ? { finding } : {}),
      ...correlationOf(sample),
      ...(condition.alsoNotify?.length ? { alsoNotify: [...condition.alsoNotify] } : {}),
      historyCount: 1,
      notificationCount: 0,
      lastChangeAt: now,
      pending: hold
        ? []
        : pendingFor({ alsoNotify: condition.alsoNotify ? [...condition.alsoNotify] : undefined }, 'raised'),
      sending: {},
      ...(hold ? { backfillHeld: true } : {}),
    };
    if (device.siteNameZh !== undefined) alarm.siteNameZh = device.siteNameZh;
    if (device.kind === 'water') alarm.measurementPoint = device.measurementPoint;
    const created = await this.deps.alarms.create(stripUndefined(alarm), stripUndefined(first));
    const stored = created ? alarm : await this.deps.alarms.head(alarmId);
    if (!stored) return undefined;
    if (created) (this.deps.metrics ?? noMetrics).count({ name: 'alarmsRaised', severity: alarm.severity });
    if (created && hold) await this.deps.pacing?.holdForBackfill(device.id, alarmId, sample.ts, now);
    if (created && hold)
      await this.deps.alarms.acquire(device.id, BACKFILL_SLOT, backfillHolder(device.id), now);
    logger.info('alarm raised', {
      deviceId: device.id,
      alarmId,
      condition: condition.key,
      late,
      ...correlationOf(sample),
    });
    return this.dispatchPending(stored);
  }

  private async reactivate(
    alarm: Alarm,
    sample: EvalSample,
    condition: Condition,
  ): Promise<Alarm | undefined> {
    const now = this.deps.clock.now();
    const value = observedValue(condition, sample);
    // A held episode back in alarm within the backfill stays held; live data ends the hold.
    const hold = alarm.backfillHeld === true && isBackfill(sample);
    const updated = await this.deps.alarms.transition({
      alarmId: alarm.alarmId,
      from: ['cleared_unack'],
      to: 'active_unack',
      at: now,
      entry: {
        at: now,
        from: 'cleared_unack',
        to: 'active_unack',
        note: 'returned to alarm before acknowledgement',
        ...correlationOf(sample),
      },
      set: {
        sampleTs: sample.ts,
        ...(value === undefined ? {} : { value }),
        ...correlationOf(sample),
        ...(alarm.backfillHeld ? { backfillHeld: hold } : {}),
      },
      notify: hold ? [] : notYetPending(alarm, pendingFor(alarm, 'raised')),
    });
    if (updated && hold)
      await this.deps.pacing?.holdForBackfill(alarm.deviceId, alarm.alarmId, sample.ts, now);
    return updated ? this.dispatchPending(updated) : alarm;
  }

  private async clear(
    alarm: Alarm,
    sample: EvalSample,
    value: number | boolean | undefined,
  ): Promise<Alarm | undefined> {
    const to = TRANSITIONS.clear[alarm.state];
    if (!to) return alarm;
    const now = this.deps.clock.now();
    // An episode held for a backfill and over before its end sent nothing: its clear goes into the summary instead.
    const held = alarm.backfillHeld === true && this.deps.pacing !== undefined;
    const updated = await this.deps.alarms.transition({
      alarmId: alarm.alarmId,
      from: [alarm.state],
      to,
      at: now,
      entry: {
        at: now,
        from: alarm.state,
        to,
        note: value === undefined ? undefined : `back to ${String(value)}`,
        ...correlationOf(sample),
      },
      set: {
        clearedAt: now,
        clearedSampleTs: sample.ts,
        ...(value === undefined ? {} : { lastValue: value }),
        ...correlationOf(sample),
      },
      notify: held ? [] : notYetPending(alarm, pendingFor(alarm, 'cleared')),
    });
    if (!updated) return this.deps.alarms.head(alarm.alarmId);
    if (held)
      await this.deps.pacing?.addBackfillEpisode(
        alarm.deviceId,
        {
          alarmId: alarm.alarmId,
          condition: alarm.condition,
          severity: alarm.severity,
          audience: alarm.audience,
          ...(alarm.metric === undefined ? {} : { metric: alarm.metric }),
          startTs: alarm.sampleTs,
          endTs: sample.ts,
        },
        now,
      );
    logger.info('alarm cleared', {
      deviceId: alarm.deviceId,
      alarmId: alarm.alarmId,
      state: to,
      ...correlationOf(sample),
    });
    return this.dispatchPending(updated);
  }

  /**
   * Ends a device's backfill: each alarm it held that is still active gets its raise SMS now (marked late, with the
   * sample time it began), and the episodes over by now go out as one summary per audience. The summary is claimed
   * with a conditional write, so concurrent callers (ingest, the sweep) or a redelivered batch send it once.
   */
  async finishBackfill(device: Device): Promise<void> {
    const pacing = this.deps.pacing;
    if (!pacing) return;
    const now = this.deps.clock.now();
    const summary = await pacing.claimBackfillSummary(device.id, now);
    if (summary) {
      for (const alarmId of summary.held) {
        const alarm = await this.deps.alarms.head(alarmId);
        if (!alarm?.backfillHeld || (alarm.state !== 'active_unack' && alarm.state !== 'active_ack'))
          continue;
        const marked = await this.deps.alarms.update(
          alarmId,
          { backfillHeld: false },
          { at: now, to: alarm.state, note: 'backfill over: still active, sent' },
          { condition: 'open', notify: notYetPending(alarm, pendingFor(alarm, 'raised')) },
        );
        if (marked) await this.dispatchPending(marked);
      }
      await this.sendBackfillSummary(device, summary, now);
      await pacing.finishBackfillSummary(device.id);
    }
    await this.deps.alarms.release(device.id, BACKFILL_SLOT, backfillHolder(device.id));
  }

  private async sendBackfillSummary(
    device: Device,
    summary: NonNullable<Awaited<ReturnType<NotificationPacing['claimBackfillSummary']>>>,
    now: number,
  ): Promise<void> {
    const audiences = [...new Set(summary.episodes.map((e) => e.audience))];
    const metrics = this.deps.metrics ?? noMetrics;
    for (const audience of audiences) {
      const episodes = summary.episodes.filter((e) => e.audience === audience);
      const notification = renderBackfillSummary(
        {
          deviceId: device.id,
          siteId: device.siteId,
          siteName: device.siteName,
          ...(device.siteNameZh === undefined ? {} : { siteNameZh: device.siteNameZh }),
          township: device.township,
          alarmId: (episodes[0] as (typeof episodes)[number]).alarmId,
          // The span of the episodes summarised, not of the held raises sent on their own.
          fromTs: Math.min(...episodes.map((e) => e.startTs)),
          toTs: Math.max(...episodes.map((e) => e.endTs)),
          episodes,
          // Episodes beyond those kept are counted once, with the first audience.
          more: audience === audiences[0] ? summary.more : 0,
        },
        device.kind === 'bin' && audience === 'operators' ? 'sanitation' : audience,
        now,
      );
      try {
        await this.deps.notifier.send(notification);
        metrics.count({ name: 'smsSent' });
      } catch (err) {
        // Claimed already: sending it again could repeat it, so it is logged, not retried (at most once).
        metrics.count({ name: 'smsFailed' });
        logger.error('backfill summary not sent', { deviceId: device.id, audience, error: err as Error });
      }
    }
  }

  /**
   * Acknowledges an alarm: active → acknowledged, or cleared → closed. `authorize` sees the alarm before anything is
   * written and throws to refuse (the API checks the caller may act on the alarm's audience).
   */
  async acknowledge(
    alarmId: string,
    by: string,
    comment?: string,
    authorize?: (alarm: Alarm) => void,
  ): Promise<Alarm> {
    const alarm = await this.deps.alarms.head(alarmId);
    if (!alarm) throw new NotFoundError(`alarm ${alarmId} does not exist; GET /alarms lists them`);
    authorize?.(alarm);
    const to = TRANSITIONS.ack[alarm.state];
    if (!to)
      throw new ConflictError(
        `alarm ${alarmId} is ${alarm.state}; only unacknowledged alarms can be acknowledged`,
      );
    const now = this.deps.clock.now();
    const set: Partial<Alarm> = { ackedAt: now, ackedBy: by };
    if (comment !== undefined) set.ackComment = comment;
    const updated = await this.deps.alarms.transition({
      alarmId,
      from: [alarm.state],
      to,
      at: now,
      entry: { at: now, from: alarm.state, to, by, note: comment },
      set,
    });
    if (!updated)
      throw new ConflictError(`alarm ${alarmId} changed while acknowledging it; fetch it and try again`);
    if (updated.state === 'closed')
      await this.deps.alarms.release(updated.deviceId, updated.condition, alarmId);
    await this.publishLive(updated, 'acknowledged');
    return updated;
  }

  /**
   * Shelves an open alarm until a time (at most the configured maximum): no SMS while shelved. At most
   * `shelveMaxPerDay` shelves per alarm in a rolling 24 hours: shelving is for a known, passing cause.
   */
  async shelve(
    alarmId: string,
    until: number,
    reason: string,
    by: string,
    authorize?: (alarm: Alarm) => void,
  ): Promise<Alarm> {
    const now = this.deps.clock.now();
    if (until <= now) throw new ValidationError('until must be in the future');
    if (until - now > this.deps.settings.shelveMaxMs) {
      throw new ValidationError(
        `until may be at most ${this.deps.settings.shelveMaxMs / HOUR_MS} h from now`,
      );
    }
    const alarm = await this.deps.alarms.head(alarmId);
    if (!alarm) throw new NotFoundError(`alarm ${alarmId} does not exist; GET /alarms lists them`);
    authorize?.(alarm);
    if (alarm.status !== 'open')
      throw new ConflictError(`alarm ${alarmId} is closed; only open alarms can be shelved`);
    const inWindow =
      alarm.shelveWindowStart !== undefined && now - alarm.shelveWindowStart < SHELVE_WINDOW_MS;
    const count = inWindow ? (alarm.shelvesInWindow ?? 0) : 0;
    const max = this.deps.settings.shelveMaxPerDay;
    if (count >= max) {
      const next = new Date((alarm.shelveWindowStart as number) + SHELVE_WINDOW_MS).toISOString();
      throw new TooManyRequestsError(
        `alarm ${alarmId} was shelved ${count} times in the last 24 h, the most SHELVE_MAX_PER_DAY allows (${max}); ` +
          `acknowledge it or put the device in maintenance instead, or shelve again after ${next}`,
      );
    }
    const updated = await this.deps.alarms.update(
      alarmId,
      {
        shelvedUntil: until,
        shelveReason: reason,
        shelvedBy: by,
        shelveWindowStart: inWindow ? alarm.shelveWindowStart : now,
        shelvesInWindow: count + 1,
      },
      { at: now, to: 'shelved', by, note: `${reason} (until ${new Date(until).toISOString()})` },
      {
        condition: 'open',
        // The count read above is still the stored one: two concurrent shelves cannot both take the last slot.
        expect: { shelveWindowStart: alarm.shelveWindowStart, shelvesInWindow: alarm.shelvesInWindow },
      },
    );
    if (!updated) {
      const now2 = await this.deps.alarms.head(alarmId);
      if (now2?.status === 'open')
        throw new ConflictError(`alarm ${alarmId} changed while shelving it; fetch it and try again`);
      throw new ConflictError(`alarm ${alarmId} is closed; only open alarms can be shelved`);
    }
    await this.publishLive(updated, 'shelved');
    return updated;
  }

  /**
   * Sends every notification recorded on the alarm and not yet sent; returns the alarm as it now stands. Each (kind,
   * audience) is claimed first with a conditional write, so concurrent or retried attempts send it once.
   */
  async dispatchPending(alarm: Alarm): Promise<Alarm> {
    let current = alarm;
    for (const entry of [...new Set(alarm.pending)]) {
      if (!(await this.deps.alarms.claimNotification(current.alarmId, entry, this.deps.clock.now())))
        continue;
      const { kind, audience } = parsePending(entry);
      let record: NotificationRecord;
      try {
        record = await this.deliver(current, kind, audience);
      } catch (err) {
        await this.deps.alarms.releaseNotification(current.alarmId, entry);
        throw err;
      }
      await this.deps.alarms.recordNotification(current.alarmId, entry, record);
      current = {
        ...current,
        pending: current.pending.filter((k) => k !== entry),
        notificationCount: current.notificationCount + 1,
      };
      if ((record.suppressed === 'flood' || record.suppressed === 'flapping') && kind === 'raised')
        current.floodFolded = [...new Set([...(current.floodFolded ?? []), record.audience])];
    }
    await this.publishLive(current, current.state);
    return current;
  }

  private async deliver(alarm: Alarm, kind: NotificationKind, extra?: Audience): Promise<NotificationRecord> {
    const now = this.deps.clock.now();
    const audience: Audience = extra ?? (kind === 'escalation' ? 'supervisors' : alarm.audience);
    const correlation = alarm.correlationId === undefined ? {} : { correlationId: alarm.correlationId };
    const base = { at: now, kind, audience, recipients: 0, messageIds: [] as string[], ...correlation };
    if (alarm.shelvedUntil !== undefined && alarm.shelvedUntil > now)
      return { ...base, suppressed: 'shelved' };
    if (kind === 'raised' && this.deps.pacing && this.deps.settings.raiseSmsMinIntervalMs > 0) {
      const turn = await this.deps.pacing.takeRaiseTurn(
        { deviceId: alarm.deviceId, condition: alarm.condition, audience },
        `${alarm.alarmId}#${alarm.sampleTs}`,
        now,
        this.deps.settings.raiseSmsMinIntervalMs,
      );
      if (!turn) return { ...base, suppressed: 'flapping' };
    }
    if (kind === 'raised') {
      const windowStart =
        Math.floor(now / this.deps.settings.floodWindowMs) * this.deps.settings.floodWindowMs;
      const window = {
        audience,
        siteId: alarm.siteId,
        windowStart,
        township: alarm.township,
        severity: alarm.severity,
      };
      const count = await this.deps.alarms.addToFloodWindow(window, alarm.alarmId);
      if (count > this.deps.settings.floodMaxAlarms) {
        await this.deps.alarms.foldIntoDigest(window, alarm.alarmId);
        return { ...base, suppressed: 'flood' };
      }
    }
    // A raise folded by flood control or pacing folds its clear too.
    if (kind === 'cleared' && alarm.floodFolded?.includes(audience)) {
      return { ...base, suppressed: 'flood' };
    }
    const metrics = this.deps.metrics ?? noMetrics;
    let sent: SendResult;
    try {
      sent = await this.deps.notifier.send({
        ...renderNotification(alarmFacts(alarm, kind), audience, now),
        ...correlation,
      });
    } catch (err) {
      metrics.count({ name: 'smsFailed' });
      throw err;
    }
    metrics.count({ name: 'smsSent' });
    logger.info('notification sent', {
      alarmId: alarm.alarmId,
      kind,
      audience,
      recipients: sent.recipients,
      ...correlation,
    });
    return { ...base, recipients: sent.recipients, messageIds: sent.messageIds };
  }

  async publishLive(alarm: Alarm, event: string): Promise<void> {
    try {
      await this.deps.live.alarmChanged(alarm.siteId, {
        event,
        alarmId: alarm.alarmId,
        deviceId: alarm.deviceId,
        siteId: alarm.siteId,
        condition: alarm.condition,
        severity: alarm.severity,
        state: alarm.state,
        value: alarm.value,
        sampleTs: alarm.sampleTs,
        at: this.deps.clock.now(),
      });
    } catch (err) {
      // Live events feed dashboards; the alarm and its SMS do not depend on them.
      logger.warn('live event not published', { alarmId: alarm.alarmId, error: err as Error });
    }
  }
}

function stripUndefined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
