import { performance } from 'node:perf_hooks';
import type { SQSEvent } from 'aws-lambda';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import { createService, ingestDeps, readServiceConfig } from '../../functions/composition';
import { DETECTOR_DEFAULTS, type DetectorState, runDetector } from '../../functions/core/event-detector';
import { readingItemSize, toReadingItem, writeUnits } from '../../functions/core/reading-item';
import type { Device } from '../../functions/core/registry';
import { buildIngestHandler } from '../../functions/handlers/ingest-handler';
import { HOUR_MS, MINUTE_MS } from '../../functions/shared/time';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../infra/local/dynamo';
import { envelopeBody, lambdaContext, sqsRecord } from '../helpers/aws-events';
import { binMetrics, waterMetrics } from '../helpers/telemetry';
import { countCapacity } from './capacity';

export interface HandlerRun {
  samples: number;
  stored: number;
  failed: number;
  seconds: number;
  samplesPerSecond: number;
  /**
   * Time this thread's event loop was busy during the run (not waiting for I/O), ms: the function's own work, plus
   * dynalite's when it runs on the same thread.
   */
  busyMs: number;
  invocations: number;
  /** Handler duration per invocation of `recordsPerEvent` records, ms. */
  msPerInvocation: number[];
  /** Write units DynamoDB reported for the readings batch writes (BatchWriteOptions.onConsumedCapacity). */
  readingWriteUnits: number;
  /** Write and read units over every request the function made (all tables), from ReturnConsumedCapacity. */
  allWriteUnits: number;
  allReadUnits: number;
  requests: Record<string, number>;
  /** Write units computed from item sizes with writeUnits(), and the mean item size. */
  computedWriteUnits: number;
  meanItemBytes: number;
  notifications: number;
}

/**
 * A detector state learned from the bench's water signal at one sample a minute for as long as its ring of hourly
 * score maxima needs to fill (two weeks past commissioning), so it is as large as a device's in service for weeks
 * (read in every batch): `handlerBench` moves its clock to the hour before the run's first sample, so the run starts
 * with verdicts. Computed once, outside the measured runs.
 */
export function commissionedDetectorState(): DetectorState {
  const hours = DETECTOR_DEFAULTS.commissioningHours + DETECTOR_DEFAULTS.maximaKept + 2;
  const inputs = Array.from({ length: hours * 60 }, (_, i) => ({
    ts: i * MINUTE_MS,
    values: waterMetrics(i),
  }));
  const { state, verdicts } = runDetector(undefined, [], inputs);
  if (verdicts.at(-1)?.learning !== false) throw new Error('bench detector state still commissioning');
  if (state.maxima.length < DETECTOR_DEFAULTS.maximaKept)
    throw new Error(`bench detector state holds ${state.maxima.length} hourly maxima, not a full ring`);
  return state;
}

/**
 * The ingest handler alone: SQS-shaped events of `recordsPerEvent` single-sample messages, invoked one after another
 * (one warm function instance) against dynalite, with a fresh service per run so each run starts cold.
 */
export async function handlerBench(options: {
  devices: readonly Device[];
  runs: number;
  eventsPerRun: number;
  recordsPerEvent: number;
  /** Service settings over the process environment (e.g. EVENT_DETECTOR=off). */
  env?: Readonly<Record<string, string>>;
  /**
   * The water devices' event-detector state at the start (`commissionedDetectorState()`: devices in service, every
   * batch reads the detector's history and gets verdicts); none by default: they commission through the run, and
   * the detector reads no history between hour boundaries.
   */
  detectorState?: DetectorState;
  /**
   * `round-robin` (default): record after record goes to the next device, one second of data time apart, so every
   * device sends at the fleet's pace whatever its interval. `nominal`: each device sends at its own `intervalS`
   * (staggered), records in data-time order: a backlog of the fleet as it reports, drained.
   */
  cadence?: 'round-robin' | 'nominal';
  /**
   * Ask DynamoDB for the capacity every request consumed (default true). dynalite then sizes every item it reads or
   * writes, on the benchmark's own CPU (DynamoDB does this on its side in the cloud): runs that measure speed can
   * leave it off and take their units from a separate run. Requests are counted either way.
   */
  countUnits?: boolean;
  /**
   * Where dynalite runs: on the benchmark's own thread (default), or on a thread of its own, as the local runtime runs
   * it and as DynamoDB does its own work in the cloud (the run then reports the function thread's busy time apart).
   */
  database?: 'same thread' | 'own thread';
}): Promise<HandlerRun[]> {
  const dynamo: LocalDynamo = await startLocalDynamo({ offThread: options.database === 'own thread' });
  const results: HandlerRun[] = [];
  try {
    const config = readServiceConfig({ ...process.env, ...options.env, ...dynamo.tableEnv });
    let seq = 0;
    const samplesPerRun = options.eventsPerRun * options.recordsPerEvent;
    const nominal = options.cadence === 'nominal';
    // Far enough back that a run's data time never reaches the future (ingest refuses samples from the future).
    const back = nominal ? 1 + nominalHours(options.devices, samplesPerRun * options.runs) : 12;
    const base = Math.floor(Date.now() / 60_000) * 60_000 - Math.ceil(back) * 3_600_000;
    const schedule = nominal
      ? nominalSchedule(options.devices, base, samplesPerRun * options.runs)
      : undefined;
    for (let run = 0; run < options.runs; run++) {
      const doc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
      const capacity = countCapacity(doc, { units: options.countUnits !== false });
      let readingWriteUnits = 0;
      let notifications = 0;
      const service = createService(
        config,
        doc,
        {
          notifier: {
            send: async () => {
              notifications++;
              return { recipients: 0, messageIds: [] };
            },
          },
          live: { alarmChanged: async () => undefined },
          subscriptionChannel: { route: async () => undefined, unroute: async () => undefined },
        },
        options.countUnits === false
          ? {}
          : { writeOptions: { onConsumedCapacity: (u) => (readingWriteUnits += u) } },
      );
      if (run === 0) await service.registry.putMany(options.devices);
      if (run === 0 && options.detectorState) {
        const state = { ...options.detectorState, hour: Math.floor(base / HOUR_MS) };
        for (const d of options.devices)
          if (d.kind === 'water') await service.alarms.saveDetectorState(d.id, state, undefined);
      }
      capacity.reset();
      readingWriteUnits = 0;
      const handler = buildIngestHandler(ingestDeps(service));

      const events: SQSEvent[] = [];
      let computedWriteUnits = 0;
      let itemBytes = 0;
      for (let e = 0; e < options.eventsPerRun; e++) {
        const records = [];
        for (let r = 0; r < options.recordsPerEvent; r++) {
          const slot = schedule?.[seq];
          const device =
            slot?.device ??
            (options.devices[(e * options.recordsPerEvent + r) % options.devices.length] as Device);
          const ts = slot?.ts ?? base + seq * 1000;
          const m = device.kind === 'water' ? waterMetrics(seq) : binMetrics(seq);
          const payload = Buffer.from(JSON.stringify({ v: 1, ts, seq, m, battery_pct: 80 }));
          const item = toReadingItem(device.id, { ts, seq, m, batteryPct: 80 }, ts, config.RETENTION_DAYS);
          computedWriteUnits += writeUnits({ ...item });
          itemBytes += readingItemSize(device.id, { ts, seq, m, batteryPct: 80 });
          records.push(
            sqsRecord(envelopeBody(`dt/${device.kind}/${device.id}`, payload, device.id, ts + 500)),
          );
          seq++;
        }
        events.push({ Records: records });
      }

      const msPerInvocation: number[] = [];
      let failed = 0;
      const started = performance.now();
      const loop = performance.eventLoopUtilization();
      for (const event of events) {
        const t = performance.now();
        const response = await handler(event, lambdaContext('ingest'));
        msPerInvocation.push(performance.now() - t);
        failed += response?.batchItemFailures.length ?? 0;
      }
      const seconds = (performance.now() - started) / 1000;
      const busyMs = performance.eventLoopUtilization(loop).active;
      const samples = options.eventsPerRun * options.recordsPerEvent;
      results.push({
        busyMs,
        samples,
        stored: samples - failed,
        failed,
        seconds,
        samplesPerSecond: samples / seconds,
        invocations: events.length,
        msPerInvocation,
        readingWriteUnits,
        allWriteUnits: capacity.counts.writeUnits,
        allReadUnits: capacity.counts.readUnits,
        requests: { ...capacity.counts.requests },
        computedWriteUnits,
        meanItemBytes: itemBytes / samples,
        notifications,
      });
      doc.destroy();
    }
  } finally {
    await dynamo.stop();
  }
  return results;
}

/** Hours of data time `samples` samples of the fleet span when each device reports at its own interval. */
function nominalHours(devices: readonly Device[], samples: number): number {
  const perHour = devices.reduce((n, d) => n + 3_600 / d.intervalS, 0);
  return samples / perHour;
}

/**
 * The first `samples` samples of the fleet reporting from `base`, each device at its own interval (staggered by a
 * few seconds per device so they do not all report at once), in data-time order.
 */
function nominalSchedule(
  devices: readonly Device[],
  base: number,
  samples: number,
): { device: Device; ts: number }[] {
  const hours = nominalHours(devices, samples) + 1;
  const slots = devices.flatMap((device, i) => {
    const every = device.intervalS * 1000;
    const n = Math.ceil((hours * 3_600_000) / every);
    return Array.from({ length: n }, (_, k) => ({ device, ts: base + ((i * 7_000) % every) + k * every }));
  });
  slots.sort((a, b) => a.ts - b.ts || a.device.id.localeCompare(b.device.id));
  return slots.slice(0, samples);
}
