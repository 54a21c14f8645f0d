import { conditionsFor } from '../core/conditions/build';
import type { EvalSample, OfflineCondition } from '../core/conditions/types';
import { type Device, inMaintenance } from '../core/registry';
import type { Clock } from '../ports/clock';
import type { StoredDetectorState } from '../ports/detector-states';
import type { Heartbeat, Heartbeats } from '../ports/heartbeats';
import type { OpenAlarmIndex, OpenSlot } from '../ports/open-alarm-index';
import type { PendingEvaluations } from '../ports/pending-evaluations';
import { mapWithConcurrency } from '../shared/concurrency';
import { logger } from '../shared/logger';
import type { AlarmEngine } from './alarm-engine';
import type { EventDetection } from './detect-events';
import type { StoredMessage } from './ingest-telemetry';
import type { RecentReadings } from './recent-readings';

/** Devices evaluated at once: a batch from a large fleet holds up to 100, each waiting on its own reads. */
const DEVICE_CONCURRENCY = 16;

export interface EvaluateStageDeps {
  engine: AlarmEngine;
  alarms: Pick<OpenAlarmIndex, 'openIndexes'> &
    Pick<Heartbeats, 'recordHeartbeats'> &
    Pick<PendingEvaluations, 'addPendingEvaluation'>;
  clock: Clock;
  /** The event detector (EVENT_DETECTOR=on); absent: its conditions hold whatever state they are in. */
  detection?: EventDetection;
}

/**
 * A device's heartbeat is rewritten once its newest sample is a whole offline threshold past the recorded one: one
 * write per threshold. A reporting device's heartbeat is then at most a threshold (plus ingest lag or the device's
 * jitter) old; when the sweep catches it in that gap it reads the newest reading once and refreshes the heartbeat,
 * which costs less than writing twice per threshold for every device.
 */
export function heartbeatPeriodMs(device: Device): number | undefined {
  const offline = conditionsFor(device).find((c): c is OfflineCondition => c.kind === 'offline');
  return offline?.afterMs;
}

type StageAlarms = EvaluateStageDeps['alarms'];

type DueHeartbeat = Pick<Heartbeat, 'deviceId' | 'lastSeenTs'>;

/** One device's share of a batch: its messages, and their samples with the time each message was received. */
interface DeviceBatch {
  device: Device;
  messages: StoredMessage[];
  samples: EvalSample[];
}

function groupByDevice(stored: readonly StoredMessage[]): DeviceBatch[] {
  const byDevice = new Map<string, DeviceBatch>();
  for (const s of stored) {
    const entry = byDevice.get(s.device.id) ?? { device: s.device, messages: [], samples: [] };
    entry.messages.push(s);
    for (const sample of s.message.samples)
      entry.samples.push({
        ...sample,
        receivedAt: s.receivedAt,
        correlationId: s.correlationId ?? s.messageId,
        ...(s.message.samples.length > 1 ? { batched: true } : {}),
      });
    byDevice.set(s.device.id, entry);
  }
  return [...byDevice.values()];
}

/** The heartbeat a device's new samples call for, or none within a period of the last one written. */
function dueHeartbeat(
  written: ReadonlyMap<string, number>,
  { device, samples }: DeviceBatch,
): DueHeartbeat | undefined {
  const period = heartbeatPeriodMs(device);
  if (period === undefined) return undefined;
  // A device clock ahead of ours must not keep it "seen" into the future.
  const newest = Math.min(
    Math.max(...samples.map((s) => s.ts)),
    Math.max(...samples.map((s) => s.receivedAt)),
  );
  const last = written.get(device.id);
  if (last !== undefined && newest < last + period) return undefined;
  return { deviceId: device.id, lastSeenTs: newest };
}

/**
 * Writes the batch's due heartbeats together, in one heartbeat batch item (a write unit per KB of entries) whatever
 * the number of devices. A heartbeat left unwritten costs the sweep a query, not an alarm: it checks a device with a
 * stale heartbeat against its readings.
 */
async function writeHeartbeats(
  alarms: StageAlarms,
  written: Map<string, number>,
  beats: DueHeartbeat[],
  now: number,
): Promise<void> {
  if (beats.length === 0) return;
  let unwritten: string[];
  try {
    unwritten = await alarms.recordHeartbeats(beats, now);
  } catch (err) {
    logger.warn('heartbeat not recorded', {
      deviceIds: beats.map((b) => b.deviceId),
      error: err as Error,
    });
    return;
  }
  if (unwritten.length > 0) logger.warn('heartbeat not recorded', { deviceIds: unwritten });
  const missed = new Set(unwritten);
  for (const b of beats) if (!missed.has(b.deviceId)) written.set(b.deviceId, b.lastSeenTs);
}

/**
 * Every device's open-alarm index in one batched read instead of one read per device: with a large fleet a batch
 * holds up to 100 devices. When it fails, each evaluation reads its own and fails (and is retried) on its own.
 */
async function readIndexes(
  alarms: StageAlarms,
  batches: readonly DeviceBatch[],
  now: number,
): Promise<Map<string, Record<string, OpenSlot>> | undefined> {
  // A device in maintenance is not evaluated, so its index is not read.
  const deviceIds = batches.flatMap(({ device }) => (inMaintenance(device, now) ? [] : [device.id]));
  if (deviceIds.length < 2) return undefined;
  try {
    return await alarms.openIndexes(deviceIds);
  } catch (err) {
    logger.warn('batched open-alarm index read failed; reading per device', { error: err as Error });
    return undefined;
  }
}

/**
 * Evaluates one device's samples; on failure leaves a pending-evaluation marker for the sweep, and only when that
 * too fails adds the device's messages to `failed` for the queue to retry.
 */
async function evaluateOrMark(
  deps: EvaluateStageDeps,
  { device, messages, samples }: DeviceBatch,
  prefetched: {
    index: Record<string, OpenSlot> | undefined;
    recent: RecentReadings | undefined;
    states: Map<string, StoredDetectorState> | undefined;
  },
  failed: Set<string>,
): Promise<void> {
  try {
    const { index, recent, states } = prefetched;
    // A device in maintenance raises nothing, and the detector does not learn from it.
    const detector =
      deps.detection && !inMaintenance(device, deps.clock.now())
        ? await deps.detection.verdicts(device, samples, states, recent)
        : undefined;
    await deps.engine.evaluateDevice(device, samples, {
      ...(index ? { index } : {}),
      ...(recent ? { recent } : {}),
      ...(detector ? { detector } : {}),
    });
  } catch (err) {
    const range = {
      fromTs: Math.min(...samples.map((s) => s.ts)),
      toTs: Math.max(...samples.map((s) => s.ts)),
    };
    logger.error('alarm evaluation failed; the alarm sweep evaluates the stored samples again', {
      deviceId: device.id,
      correlationIds: messages.map((m) => m.messageId),
      ...range,
      error: err as Error,
    });
    try {
      await deps.alarms.addPendingEvaluation(device.id, range, deps.clock.now(), String(err));
    } catch (markErr) {
      logger.error('pending evaluation not recorded; messages will be retried', {
        deviceId: device.id,
        error: markErr as Error,
      });
      for (const m of messages) failed.add(m.messageId);
    }
  }
}

/**
 * The ingest stage after storage: each device's new samples are evaluated in timestamp order (a backfilled batch
 * in order, late samples flagged), and its heartbeat is refreshed at most once per heartbeat period.
 *
 * The samples are stored before this runs, so a failed evaluation never costs telemetry: the device gets a
 * pending-evaluation marker with the sample range, the message is acknowledged, and the alarm sweep evaluates the
 * stored samples again (transitions are idempotent). Only when the marker itself cannot be written are the
 * device's messages reported failed, so the queue's retry is the last resort rather than the first.
 */
export function evaluateAlarmsStage(deps: EvaluateStageDeps) {
  /** Last heartbeat written per device by this process: a warm function writes each at most once per period. */
  const written = new Map<string, number>();

  return async (stored: StoredMessage[], recent?: RecentReadings): Promise<Set<string>> => {
    const batches = groupByDevice(stored);
    const failed = new Set<string>();
    const beats = batches.flatMap((batch) => dueHeartbeat(written, batch) ?? []);
    const now = deps.clock.now();
    const heartbeats = writeHeartbeats(deps.alarms, written, beats, now);
    const [indexes, states] = await Promise.all([
      readIndexes(deps.alarms, batches, now),
      deps.detection?.prefetch(batches.flatMap((b) => (inMaintenance(b.device, now) ? [] : [b.device]))),
    ]);
    const evaluations = mapWithConcurrency(batches, DEVICE_CONCURRENCY, (batch) =>
      evaluateOrMark(deps, batch, { index: indexes?.get(batch.device.id), recent, states }, failed),
    );
    await Promise.all([heartbeats, evaluations]);
    return failed;
  };
}
