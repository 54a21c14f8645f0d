import type { Alarm, PendingNotification } from '../core/alarm';
import { conditionsFor, type OfflineCondition } from '../core/conditions';
import { fromReadingItem } from '../core/reading-item';
import { renderNotification } from '../core/sms-templates';
import type { AlarmStore } from '../ports/alarm-store';
import type { Clock } from '../ports/clock';
import type { DeviceRegistry } from '../ports/device-registry';
import type { Notifier } from '../ports/notifier';
import type { ReadingStore } from '../ports/reading-store';
import { logger } from '../shared/logger';
import { type AlarmEngine, type AlarmSettings, alarmFacts } from './alarm-engine';

export interface SweepDeps {
  engine: AlarmEngine;
  alarms: AlarmStore;
  registry: DeviceRegistry;
  readings: ReadingStore;
  notifier: Notifier;
  clock: Clock;
  settings: AlarmSettings;
}

export interface SweepResult {
  reminders: number;
  escalations: number;
  unshelved: number;
  offlineRaised: number;
  digests: number;
  redelivered: number;
}

/** A pending notification older than this was left by a failed attempt; the sweep sends it. */
const STALE_PENDING_MS = 30_000;
/** A claim older than this belongs to a sender that died. */
const STALE_CLAIM_MS = 2 * 60_000;

async function openAlarms(alarms: AlarmStore): Promise<Alarm[]> {
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
export async function runAlarmSweep(deps: SweepDeps): Promise<SweepResult> {
  const now = deps.clock.now();
  const result: SweepResult = {
    reminders: 0,
    escalations: 0,
    unshelved: 0,
    offlineRaised: 0,
    digests: 0,
    redelivered: 0,
  };

  for (const alarm of await openAlarms(deps.alarms)) {
    let current: Alarm | undefined = alarm;
    const lastChange = alarm.history[alarm.history.length - 1]?.at ?? alarm.raisedAt;
    for (const [kind, claimedAt] of Object.entries(current.sending ?? {})) {
      // The sender died between claiming and recording: send again (at least once beats never).
      if (now - claimedAt > STALE_CLAIM_MS)
        await deps.alarms.releaseNotification(current.alarmId, kind as PendingNotification);
    }
    if (Object.keys(current.sending ?? {}).length > 0)
      current = (await deps.alarms.get(current.alarmId)) ?? current;
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
      (current.severity !== 'critical' && current.severity !== 'warning')
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
    if (now - (current.lastNotifiedAt ?? current.raisedAt) >= deps.settings.reminderMs) {
      const marked = await deps.alarms.update(current.alarmId, {}, undefined, {
        condition: { lastNotifiedAt: current.lastNotifiedAt },
        notify: 'reminder',
      });
      if (marked) {
        await deps.engine.dispatchPending(marked);
        result.reminders++;
      }
    }
  }

  for (const device of await deps.registry.list()) {
    if (device.maintenance) continue;
    const offline = conditionsFor(device).find((c): c is OfflineCondition => c.kind === 'offline');
    if (!offline) continue;
    const latest = await deps.readings.latest(device.id);
    // A device that never reported is not installed yet: nothing to miss.
    if (!latest || now - latest.ts <= offline.afterMs) continue;
    const raised = await deps.engine.raise(device, offline, fromReadingItem(latest));
    if (raised) result.offlineRaised++;
  }

  for (const window of await deps.alarms.dueDigests(now - deps.settings.floodWindowMs)) {
    if (window.folded.length === 0) continue;
    const first = await deps.alarms.get(window.folded[0] as string);
    if (!first) continue;
    const facts = { ...alarmFacts(first, 'digest'), folded: window.folded.length, severity: window.severity };
    try {
      await deps.notifier.send(renderNotification(facts, window.audience, now));
      if (await deps.alarms.markDigestSent(window, now)) result.digests++;
    } catch (err) {
      logger.error('digest not sent; next sweep retries', { siteId: window.siteId, error: err as Error });
    }
  }
  return result;
}
