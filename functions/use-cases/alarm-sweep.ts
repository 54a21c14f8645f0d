import { HEALTH_LOG_EVENTS } from '../contract';
import type { Alarm, PendingNotification } from '../core/alarm';
import { conditionsFor } from '../core/conditions/build';
import type { EvalSample, OfflineCondition } from '../core/conditions/types';
import { fromReadingItem } from '../core/reading-item';
import { type Device, inMaintenance } from '../core/registry';
import { renderNotification } from '../core/sms/templates';
import type { AlarmEpisodes } from '../ports/alarm-episodes';
import type { AlarmNotifications } from '../ports/alarm-notifications';
import type { AlarmQueries } from '../ports/alarm-queries';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry, RegistrySnapshot } from '../ports/device-registry';
import type { FloodWindows } from '../ports/flood-windows';
import type { Heartbeat, Heartbeats } from '../ports/heartbeats';
import { noMetrics, type ServiceMetrics } from '../ports/metrics';
import type { NotificationPacing } from '../ports/notification-pacing';
import type { Notifier } from '../ports/notifier';
import type { PendingEvaluation, PendingEvaluations } from '../ports/pending-evaluations';
import type { ReadingStore } from '../ports/reading-store';
import { logger } from '../shared/logger';
import { MINUTE_MS } from '../shared/time';
import { type AlarmEngine, type AlarmSettings, alarmFacts } from './alarm-engine';
import type { EventDetection } from './detect-events';

export interface SweepDeps {
  engine: AlarmEngine;
  alarms: AlarmEpisodes & AlarmQueries & AlarmNotifications & FloodWindows & Heartbeats & PendingEvaluations;
  registry: DeviceRegistry;
  readings: ReadingStore;
  notifier: Notifier;
  clock: Clock;
  settings: AlarmSettings;
  /** Counts digest SMS sent or failed (the engine counts the rest); nothing is counted when absent. */
  metrics?: ServiceMetrics;
  /** Backfill summaries to finish once a backfill has gone quiet; none are looked for when absent. */
  pacing?: Pick<NotificationPacing, 'dueBackfills' | 'finishBackfillSummary'>;
  /** The event detector (EVENT_DETECTOR=on), run again over samples whose evaluation failed. */
  detection?: EventDetection;
}

/**
 * A backfill summary unchanged for this long is finished by the sweep: the device stopped sending late data without
 * coming back live (ingest finishes it at once when it does).
 */
export const BACKFILL_QUIET_MS = 5 * MINUTE_MS;

export interface SweepResult {
  reminders: number;
  escalations: number;
  unshelved: number;
  offlineRaised: number;
  digests: number;
  redelivered: number;
  /** Pending evaluations done again successfully, and those still failing past the stuck threshold. */
  reevaluated: number;
  stuckEvaluations: number;
  /** Devices whose readings were read because their heartbeat was missing or older than their threshold. */
  offlineChecked: number;
}

/**
 * A pending evaluation is stuck, and engineers are told (an error log line that a metric filter turns into the
 * `alarm-evaluation-stuck` health alarm), once it has failed this often or is this old.
 */
export const EVALUATION_STUCK = { failures: 5, afterMs: 15 * MINUTE_MS } as const;
/** Stored samples evaluated again per call of the engine (a long outage is done in order, in slices). */
const REEVALUATE_PAGE = 500;

/** A pending notification older than this was left by a failed attempt; the sweep sends it. */
const STALE_PENDING_MS = 30_000;
/** A claim older than this belongs to a sender that died. */
const STALE_CLAIM_MS = 2 * MINUTE_MS;
/**
 * How long a warm sweep works from the registry it read last (`DeviceRegistry.snapshot`) before reading the whole
 * device table and every heartbeat again. In between, offline detection reads only the heartbeat batches written
 * since its last read, and reads each device gone quiet for the smallest offline threshold afresh before acting. A device that has no heartbeat at all
 * (a lost first heartbeat write) is therefore looked at within this time rather than within a minute.
 */
export const REGISTRY_SNAPSHOT_MS = 10 * MINUTE_MS;

async function openAlarms(alarms: AlarmQueries): Promise<Alarm[]> {
  const all: Alarm[] = [];
  let cursor: string | undefined;
  do {
    const page = await alarms.list({ status: 'open', limit: 200, cursor });
    all.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return all;
}

/**
 * The scheduled job (every minute): reminders and escalation of unacknowledged alarms, shelve expiry, offline
 * devices, flood digests, and notifications a failed attempt left unsent. Every change is a conditional write, so
 * overlapping runs do nothing twice.
 */
/** A sweep's counts before it has done anything. */
export function emptySweepResult(): SweepResult {
  return {
    reminders: 0,
    escalations: 0,
    unshelved: 0,
    offlineRaised: 0,
    digests: 0,
    redelivered: 0,
    reevaluated: 0,
    stuckEvaluations: 0,
    offlineChecked: 0,
  };
}

export async function runAlarmSweep(deps: SweepDeps): Promise<SweepResult> {
  const now = deps.clock.now();
  const result = emptySweepResult();

  for (const alarm of await openAlarms(deps.alarms)) {
    let current: Alarm | undefined = alarm;
    const lastChange = alarm.lastChangeAt;
    for (const [kind, claimedAt] of Object.entries(current.sending ?? {})) {
      // The sender died between claiming and recording: send again (at least once beats never).
      if (now - claimedAt > STALE_CLAIM_MS)
        await deps.alarms.releaseNotification(current.alarmId, kind as PendingNotification);
    }
    if (Object.keys(current.sending ?? {}).length > 0)
      current = (await deps.alarms.head(current.alarmId)) ?? current;
    if (current.pending.length > 0 && now - lastChange > STALE_PENDING_MS) {
      current = await deps.engine.dispatchPending(current);
      result.redelivered++;
    }
    if (current.shelvedUntil !== undefined) {
      if (current.shelvedUntil > now) continue;
      current = await deps.alarms.update(
        current.alarmId,
        { shelvedUntil: undefined, shelveReason: undefined, shelvedBy: undefined },
        { at: now, to: 'unshelved', note: 'shelving expired' },
        { condition: 'open', notify: current.state === 'active_unack' ? 'reminder' : undefined },
      );
      if (!current) continue;
      result.unshelved++;
      current = await deps.engine.dispatchPending(current);
      continue;
    }
    if (
      current.state !== 'active_unack' ||
      (current.severity !== 'critical' && current.severity !== 'warning') ||
      // Raised from a backfill still under way: nobody was told yet, so nobody is reminded or escalated to.
      current.backfillHeld
    )
      continue;
    if (
      current.severity === 'critical' &&
      current.escalatedAt === undefined &&
      now - current.raisedAt >= deps.settings.escalateAfterMs
    ) {
      const marked = await deps.alarms.update(
        current.alarmId,
        { escalatedAt: now },
        { at: now, to: current.state, note: 'escalated to supervisors' },
        { condition: { lastNotifiedAt: current.lastNotifiedAt }, notify: 'escalation' },
      );
      if (marked) {
        await deps.engine.dispatchPending(marked);
        result.escalations++;
      }
      continue;
    }
    const reminded = current.remindersSent ?? 0;
    if (
      reminded < deps.settings.reminderMax &&
      now - (current.lastNotifiedAt ?? current.raisedAt) >= deps.settings.reminderMs
    ) {
      const marked = await deps.alarms.update(current.alarmId, { remindersSent: reminded + 1 }, undefined, {
        condition: { lastNotifiedAt: current.lastNotifiedAt },
        notify: 'reminder',
      });
      if (marked) {
        await deps.engine.dispatchPending(marked);
        result.reminders++;
      }
    }
  }

  const snapshot: RegistrySnapshot = deps.registry.snapshot
    ? await deps.registry.snapshot(REGISTRY_SNAPSHOT_MS)
    : { devices: await deps.registry.list(), fresh: true };
  const byId = new Map(snapshot.devices.map((d) => [d.id, d]));
  for (const pending of await deps.alarms.pendingEvaluations()) {
    const device = snapshot.fresh ? byId.get(pending.deviceId) : await deps.registry.get(pending.deviceId);
    await reevaluate(deps, pending, device, now, result);
  }
  if (snapshot.fresh) await detectOffline(deps, snapshot.devices, now, result);
  else await detectOfflineStale(deps, byId, now, result);

  for (const deviceId of (await deps.pacing?.dueBackfills(now - BACKFILL_QUIET_MS)) ?? []) {
    const device = byId.get(deviceId) ?? (await deps.registry.get(deviceId));
    try {
      if (device) await deps.engine.finishBackfill(device);
      else await deps.pacing?.finishBackfillSummary(deviceId);
    } catch (err) {
      logger.error('backfill summary not finished; next sweep retries', { deviceId, error: err as Error });
    }
  }

  for (const window of await deps.alarms.dueDigests(now - deps.settings.floodWindowMs)) {
    if (window.folded.length === 0) continue;
    const first = await deps.alarms.head(window.folded[0] as string);
    if (!first) continue;
    const facts = { ...alarmFacts(first, 'digest'), folded: window.folded.length, severity: window.severity };
    const metrics = deps.metrics ?? noMetrics;
    try {
      await deps.notifier.send(renderNotification(facts, window.audience, now)).catch((err: unknown) => {
        metrics.count({ name: 'smsFailed' });
        throw err;
      });
      metrics.count({ name: 'smsSent' });
      if (await deps.alarms.markDigestSent(window, now)) result.digests++;
    } catch (err) {
      logger.error('digest not sent; next sweep retries', { siteId: window.siteId, error: err as Error });
    }
  }
  return result;
}

/** Evaluates a device's stored samples again after a failed evaluation; tells engineers when it keeps failing. */
async function reevaluate(
  deps: SweepDeps,
  pending: PendingEvaluation,
  device: Device | undefined,
  now: number,
  result: SweepResult,
): Promise<void> {
  try {
    if (device) {
      let cursor: string | undefined;
      do {
        const page = await deps.readings.query({
          deviceId: pending.deviceId,
          from: pending.fromTs,
          to: pending.toTs,
          limit: REEVALUATE_PAGE,
          cursor,
        });
        const samples: EvalSample[] = page.items.map(fromReadingItem);
        // The detector is deterministic over its stored state: samples it already judged get the same verdicts.
        const detector =
          deps.detection && !inMaintenance(device, now)
            ? await deps.detection.verdicts(device, samples, undefined, undefined)
            : undefined;
        await deps.engine.evaluateDevice(device, samples, detector ? { detector } : {});
        cursor = page.cursor;
      } while (cursor);
    }
    // A marker widened by a new failure meanwhile stays for the next run.
    if (await deps.alarms.clearPendingEvaluation(pending)) {
      result.reevaluated++;
      logger.info('pending alarm evaluation done', {
        deviceId: pending.deviceId,
        failures: pending.failures,
      });
    }
    return;
  } catch (err) {
    const error = String(err);
    await deps.alarms.failPendingEvaluation(pending.deviceId, error).catch(() => undefined);
    const failures = pending.failures + 1;
    const ageMs = now - pending.firstFailedAt;
    if (failures >= EVALUATION_STUCK.failures || ageMs >= EVALUATION_STUCK.afterMs) {
      result.stuckEvaluations++;
      logger.error(HEALTH_LOG_EVENTS.evaluationStuck, {
        deviceId: pending.deviceId,
        fromTs: pending.fromTs,
        toTs: pending.toTs,
        failures,
        ageMinutes: Math.floor(ageMs / MINUTE_MS),
        error,
      });
    } else {
      logger.warn('pending alarm evaluation failed again; next sweep retries', {
        deviceId: pending.deviceId,
        failures,
        error,
      });
    }
  }
}

/**
 * A full pass reads the heartbeat batches written within this many of the fleet's largest offline thresholds: a
 * reporting device's newest batch entry is at most one threshold (plus ingest lag) old.
 */
const FULL_READ_THRESHOLDS = 2;

/**
 * Offline detection without a query per device, on a full pass (a fresh registry read, every
 * `REGISTRY_SNAPSHOT_MS`): the heartbeats are read afresh (the batches ingest wrote within twice the largest
 * threshold, and every heartbeat the sweep kept), and only a device whose heartbeat is missing or older than its
 * threshold has its newest reading read (ingest records a heartbeat once per threshold). A silence already alarmed
 * is marked on the sweep's heartbeat and not looked at again until the device reports; a device found never to have
 * reported gets a zero heartbeat, so it is read once, not every minute.
 */
async function detectOffline(
  deps: SweepDeps,
  devices: readonly Device[],
  now: number,
  result: SweepResult,
): Promise<void> {
  const largest = devices.reduce((max, d) => Math.max(max, offlineOf(d)?.afterMs ?? 0), 0);
  if (largest === 0) return;
  const beats = await deps.alarms.heartbeats({ since: now - FULL_READ_THRESHOLDS * largest });
  const byDevice = new Map(beats.map((b) => [b.deviceId, b]));
  for (const device of devices) await checkOffline(deps, device, byDevice.get(device.id), now, result);
}

const offlineOf = (device: Device) =>
  conditionsFor(device).find((c): c is OfflineCondition => c.kind === 'offline');

/**
 * Offline detection between full passes: the heartbeat batches written since the last read are merged into what
 * this instance knows (a few items, whatever the fleet size), and a device last seen longer ago than the smallest
 * offline threshold of the fleet (none, for a healthy fleet) is read afresh from the registry before it is judged.
 */
async function detectOfflineStale(
  deps: SweepDeps,
  byId: ReadonlyMap<string, Device>,
  now: number,
  result: SweepResult,
): Promise<void> {
  const thresholds = [...byId.values()].flatMap((d) => {
    const after = inMaintenance(d, now) ? undefined : offlineOf(d)?.afterMs;
    return after === undefined ? [] : [after];
  });
  if (thresholds.length === 0) return;
  const seenBefore = now - Math.min(...thresholds);
  // Never-reported devices (a zero heartbeat) are left out, as on a full pass.
  const stale = (await deps.alarms.heartbeats()).filter((b) => b.lastSeenTs > 0 && b.lastSeenTs < seenBefore);
  for (const beat of stale) {
    // Known to the snapshot and still registered: devices added since wait for the next full pass.
    if (!byId.has(beat.deviceId) || beat.offlineFor === beat.lastSeenTs) continue;
    const device = await deps.registry.get(beat.deviceId);
    if (device) await checkOffline(deps, device, beat, now, result);
  }
}

/** Judges one device by its heartbeat, reading its newest reading only when the heartbeat is missing or stale. */
async function checkOffline(
  deps: SweepDeps,
  device: Device,
  beat: Heartbeat | undefined,
  now: number,
  result: SweepResult,
): Promise<void> {
  if (inMaintenance(device, now)) return;
  const offline = offlineOf(device);
  if (!offline) return;
  if (beat && (now - beat.lastSeenTs <= offline.afterMs || beat.lastSeenTs === 0)) return;
  if (beat && beat.offlineFor === beat.lastSeenTs) return;
  result.offlineChecked++;
  const latest = await deps.readings.latest(device.id);
  // A device that never reported is not installed yet: nothing to miss.
  if (!latest) {
    if (!beat) await deps.alarms.recordHeartbeat(device.id, 0);
    return;
  }
  const seen = Math.min(latest.ts, now);
  await deps.alarms.recordHeartbeat(device.id, seen);
  if (now - latest.ts <= offline.afterMs) return;
  const raised = await deps.engine.raise(device, offline, fromReadingItem(latest));
  if (raised) result.offlineRaised++;
  await deps.alarms.markOffline(device.id, seen);
}
