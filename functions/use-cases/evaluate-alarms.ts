import { conditionsFor } from '../core/conditions/build';
import type { EvalSample, OfflineCondition } from '../core/conditions/types';
import type { Device } from '../core/registry';
import type { Clock } from '../ports/clock';
import type { Heartbeats } from '../ports/heartbeats';
import type { OpenAlarmIndex } from '../ports/open-alarm-index';
import type { PendingEvaluations } from '../ports/pending-evaluations';
import { mapWithConcurrency } from '../shared/concurrency';
import { logger } from '../shared/logger';
import type { AlarmEngine } from './alarm-engine';
import type { StoredMessage } from './ingest-telemetry';
import type { RecentReadings } from './recent-readings';

/** Devices evaluated at once: a batch from a large fleet holds up to 100, each waiting on its own reads. */
const DEVICE_CONCURRENCY = 16;

export interface EvaluateStageDeps {
  engine: AlarmEngine;
  alarms: Pick<OpenAlarmIndex, 'openIndexes'> &
    Pick<Heartbeats, 'recordHeartbeat' | 'recordHeartbeats'> &
    Pick<PendingEvaluations, 'addPendingEvaluation'>;
  clock: Clock;
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

  /** The heartbeat a device's new samples call for, or none within a period of the last one written. */
  const dueHeartbeat = (device: Device, samples: readonly EvalSample[]) => {
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
  };

  /**
   * Writes the batch's due heartbeats: one conditional update for a single device, else batched puts (a large fleet
   * has a third of a batch's devices due at a 1 s interval). A heartbeat left unwritten costs the sweep a query,
   * not an alarm: it checks a device with a stale heartbeat against its readings.
   */
  const writeHeartbeats = async (beats: { deviceId: string; lastSeenTs: number }[]) => {
    if (beats.length === 0) return;
    let unwritten: string[];
    try {
      if (beats.length === 1) {
        const [beat] = beats as [{ deviceId: string; lastSeenTs: number }];
        await deps.alarms.recordHeartbeat(beat.deviceId, beat.lastSeenTs);
        unwritten = [];
      } else {
        unwritten = await deps.alarms.recordHeartbeats(beats);
      }
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
  };

  /**
   * Every device's open-alarm index in one batched read instead of one read per device: with a large fleet a batch
   * holds up to 100 devices. When it fails, each evaluation reads its own and fails (and is retried) on its own.
   */
  const readIndexes = async (deviceIds: string[]) => {
    if (deviceIds.length < 2) return undefined;
    try {
      return await deps.alarms.openIndexes(deviceIds);
    } catch (err) {
      logger.warn('batched open-alarm index read failed; reading per device', { error: err as Error });
      return undefined;
    }
  };

  return async (stored: StoredMessage[], recent?: RecentReadings): Promise<Set<string>> => {
    const byDevice = new Map<string, { messages: StoredMessage[]; samples: EvalSample[] }>();
    for (const s of stored) {
      const entry = byDevice.get(s.device.id) ?? { messages: [], samples: [] };
      entry.messages.push(s);
      for (const sample of s.message.samples) entry.samples.push({ ...sample, receivedAt: s.receivedAt });
      byDevice.set(s.device.id, entry);
    }
    const failed = new Set<string>();
    const queue = [...byDevice.values()];
    const heartbeats = writeHeartbeats(
      queue.flatMap(({ messages, samples }) => {
        const beat = dueHeartbeat((messages[0] as StoredMessage).device, samples);
        return beat ? [beat] : [];
      }),
    );
    const indexes = await readIndexes(
      queue.flatMap(({ messages }) => {
        const device = (messages[0] as StoredMessage).device;
        return device.maintenance ? [] : [device.id];
      }),
    );
    const evaluations = mapWithConcurrency(queue, DEVICE_CONCURRENCY, async ({ messages, samples }) => {
      const device = (messages[0] as StoredMessage).device;
      try {
        const index = indexes?.get(device.id);
        await deps.engine.evaluateDevice(device, samples, {
          ...(index ? { index } : {}),
          ...(recent ? { recent } : {}),
        });
      } catch (err) {
        const range = {
          fromTs: Math.min(...samples.map((s) => s.ts)),
          toTs: Math.max(...samples.map((s) => s.ts)),
        };
        logger.error('alarm evaluation failed; the alarm sweep evaluates the stored samples again', {
          deviceId: device.id,
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
    });
    await Promise.all([heartbeats, evaluations]);
    return failed;
  };
}
