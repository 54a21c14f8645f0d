import type { Alarm } from '../core/alarm';
import type { EvalSample } from '../core/conditions/types';
import type { DetectorVerdict } from '../core/event-detector';
import { toReadingItem } from '../core/reading-item';
import type { Device } from '../core/registry';
import type { Clock } from '../ports/clock';
import type { Heartbeats } from '../ports/heartbeats';
import type { AlarmEvent, LiveEvents } from '../ports/live-events';
import type { ReadingStore } from '../ports/reading-store';
import { HOUR_MS, MINUTE_MS } from '../shared/time';
import type { AlarmEngine } from './alarm-engine';
import { BACKFILL_QUIET_MS, runAlarmSweep, type SweepDeps } from './alarm-sweep';
import { heartbeatPeriodMs } from './evaluate-alarms';

/** A clock the replay moves: the data's own time, not the machine's. */
export interface ReplayClock {
  now(): number;
  set(ms: number): void;
}

/** A clock that starts at `ms` and moves only when told. */
export function replayClock(ms = 0): ReplayClock {
  let t = ms;
  return {
    now: () => t,
    set: (next) => {
      t = next;
    },
  };
}

/** One sample of the replayed device, with the detector's verdict at it when the detector watched it. */
export interface ReplaySample {
  ts: number;
  values: Record<string, number | undefined>;
  verdict?: DetectorVerdict;
  /**
   * When the sample reached the broker; absent: at its own time (live data). Consecutive samples of one batch with
   * the same `receivedAt` came in one message, as a device sends what it stored while offline.
   */
  receivedAt?: number;
}

/**
 * The alarms' states as the engine publishes them (the `LiveEvents` port): tells the replay whether the sweep may
 * still remind or escalate, which it does only for a critical or warning alarm active and unacknowledged.
 */
export class AlarmStateTracker implements LiveEvents {
  private readonly active = new Set<string>();
  /** Alarms whose reminders are all sent (and escalation, if critical): the sweep has nothing left to send. */
  private readonly spent = new Set<string>();
  /** Data time of the last change, for flood digests that fall due a window after a raise. */
  lastChangeAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly clock: Clock) {}

  async alarmChanged(_siteId: string, event: AlarmEvent): Promise<void> {
    const reminded = event.severity === 'critical' || event.severity === 'warning';
    if (event.state === 'active_unack' && reminded) this.active.add(event.alarmId);
    else this.active.delete(event.alarmId);
    this.lastChangeAt = this.clock.now();
  }

  /** Whether an alarm the sweep may still remind or escalate is active. */
  get anyActive(): boolean {
    for (const id of this.active) if (!this.spent.has(id)) return true;
    return false;
  }

  /** Reads the active alarms not yet known spent (after a sweep that sent something), as stored. */
  async refresh(head: (alarmId: string) => Promise<Alarm | undefined>, reminderMax: number): Promise<void> {
    for (const id of this.active) {
      if (this.spent.has(id)) continue;
      const alarm = await head(id);
      // Neither counter is ever reset, so a spent alarm stays spent whatever it does next.
      if (
        alarm &&
        (alarm.remindersSent ?? 0) >= reminderMax &&
        (alarm.severity !== 'critical' || alarm.escalatedAt !== undefined)
      )
        this.spent.add(id);
    }
  }
}

export interface AlarmReplayDeps {
  engine: AlarmEngine;
  /** The live-events port the engine publishes to. */
  states: AlarmStateTracker;
  readings: Pick<ReadingStore, 'putItems'>;
  alarms: Pick<Heartbeats, 'recordHeartbeats'>;
  sweep: SweepDeps;
  clock: ReplayClock;
}

export interface AlarmReplayOptions {
  /** Samples per ingest run (the queue's batch): evaluated together at the time the last of them arrived. */
  batchSize: number;
  /** The sweep's schedule (`SCHEDULES`' alarm-sweep); it runs at every multiple of this on the data's clock. */
  sweepEveryMs: number;
  /**
   * Between ticks that can send nothing the sweep runs only this often (default an hour): see `replayAlarms`. 0 sweeps
   * at every tick, as deployed, at about 15 ms a sweep.
   */
  idleSweepEveryMs?: number;
  /** Sweeps go on this long after the last sample, so reminders and escalations of alarms still open are counted. */
  tailMs?: number;
  retentionDays?: number;
  onProgress?: (done: number) => void;
}

/**
 * Replays one device's series through the service's own alarm path on the data's clock: each batch's samples are
 * stored, its heartbeat written as ingest writes it, and evaluated by the alarm engine with the detector's verdicts
 * (as ingest passes them); between batches the alarm sweep runs at every tick of its schedule (reminders, escalation,
 * flood digests, offline, backfill summaries). Whatever the notifier of `deps.engine` and `deps.sweep` sends is what
 * the service would have sent.
 *
 * A tick at which the sweep can send nothing is skipped, except one per `idleSweepEveryMs`: the sweep sends only for
 * an alarm active and unacknowledged (reminders, escalation), a flood window closing after a raise, a backfill going
 * quiet, or a device gone silent (offline), so it runs at every tick while a critical or warning alarm is active and
 * not yet spent (every reminder sent, and the escalation of a critical one), for two flood windows
 * after any alarm changed, for two quiet periods after backfilled data, and while the device has sent nothing for
 * more than two ticks. Which reminder or escalation is due stays the sweep's own decision.
 */
export async function replayAlarms(
  device: Device,
  samples: readonly ReplaySample[],
  deps: AlarmReplayDeps,
  options: AlarmReplayOptions,
): Promise<{ sweeps: number }> {
  const { clock } = deps;
  const period = options.sweepEveryMs;
  const retentionDays = options.retentionDays ?? 400;
  const heartbeatEvery = heartbeatPeriodMs(device);
  let lastHeartbeat: number | undefined;
  const idleEvery = options.idleSweepEveryMs ?? HOUR_MS;
  const { floodWindowMs } = deps.sweep.settings;
  let nextSweep: number | undefined;
  let lastIdleSweep = Number.NEGATIVE_INFINITY;
  // Newest sample stored: the device is silent once ticks pass it.
  let lastArrival = Number.NEGATIVE_INFINITY;
  let lastBackfill = Number.NEGATIVE_INFINITY;
  let sweeps = 0;
  const mayAct = (t: number) =>
    deps.states.anyActive ||
    t - deps.states.lastChangeAt <= 2 * floodWindowMs ||
    t - lastBackfill <= 2 * BACKFILL_QUIET_MS ||
    t - lastArrival > 2 * period;
  const sweepUntil = async (t: number) => {
    for (; nextSweep !== undefined && nextSweep <= t; nextSweep += period) {
      if (idleEvery > 0 && nextSweep - lastIdleSweep < idleEvery && !mayAct(nextSweep)) continue;
      if (!mayAct(nextSweep)) lastIdleSweep = nextSweep;
      clock.set(nextSweep);
      const swept = await runAlarmSweep(deps.sweep);
      sweeps++;
      if (swept.reminders + swept.escalations > 0)
        await deps.states.refresh((id) => deps.sweep.alarms.head(id), deps.sweep.settings.reminderMax);
    }
  };
  for (let i = 0; i < samples.length; ) {
    const batch = batchFrom(samples, i, options.batchSize, period);
    const arrived = batch.map((s) => s.receivedAt ?? s.ts);
    const at = Math.max(...arrived);
    const evalSamples: EvalSample[] = batch.flatMap((s, k) => {
      const m: Record<string, number> = {};
      for (const [metric, v] of Object.entries(s.values)) if (v !== undefined) m[metric] = v;
      if (Object.keys(m).length === 0) return [];
      const sameMessage = batch.filter((o) => o.receivedAt !== undefined && o.receivedAt === s.receivedAt);
      return [
        {
          ts: s.ts,
          seq: i + k,
          m,
          receivedAt: arrived[k] as number,
          ...(sameMessage.length > 1 ? { batched: true } : {}),
        },
      ];
    });
    // Stored as the messages come in, so the sweeps within the batch's span do not take it for a silence.
    if (evalSamples.length > 0) {
      const unwritten = await deps.readings.putItems(
        evalSamples.map((s) => toReadingItem(device.id, s, s.receivedAt, retentionDays)),
      );
      if (unwritten.length > 0) throw new Error(`replay: ${unwritten.length} readings not stored`);
      const newest = Math.min(Math.max(...evalSamples.map((s) => s.ts)), at);
      lastArrival = newest;
      if (
        heartbeatEvery !== undefined &&
        (lastHeartbeat === undefined || newest >= lastHeartbeat + heartbeatEvery)
      ) {
        await deps.alarms.recordHeartbeats([{ deviceId: device.id, lastSeenTs: newest }], at);
        lastHeartbeat = newest;
      }
    }
    await sweepUntil(at);
    clock.set(at);
    if (evalSamples.length > 0) {
      const detector = new Map<string, DetectorVerdict>();
      for (const s of evalSamples) {
        const verdict = batch[s.seq - i]?.verdict;
        if (verdict) detector.set(`${s.ts}#${s.seq}`, verdict);
      }
      await deps.engine.evaluateDevice(device, evalSamples, { detector });
      if (evalSamples.some((e) => e.batched)) lastBackfill = at;
    }
    // The service starts with the device's first message: a sweep before it would find it never reported.
    nextSweep ??= Math.floor(at / period) * period + period;
    if (options.onProgress && Math.floor((i + batch.length) / 10_000) > Math.floor(i / 10_000))
      options.onProgress(i + batch.length);
    i += batch.length;
  }
  const last = samples[samples.length - 1];
  if (last) await sweepUntil((last.receivedAt ?? last.ts) + (options.tailMs ?? MINUTE_MS));
  return { sweeps };
}

/**
 * Up to `size` samples from `from`, as one ingest run evaluates them; a silence of more than two sweep periods ends
 * a batch, so the sweep sees the device go quiet as it would live.
 */
function batchFrom(
  samples: readonly ReplaySample[],
  from: number,
  size: number,
  period: number,
): ReplaySample[] {
  const batch = [samples[from] as ReplaySample];
  for (let k = from + 1; k < samples.length && batch.length < size; k++) {
    const s = samples[k] as ReplaySample;
    const prev = samples[k - 1] as ReplaySample;
    if ((s.receivedAt ?? s.ts) - (prev.receivedAt ?? prev.ts) > 2 * period) break;
    batch.push(s);
  }
  return batch;
}
