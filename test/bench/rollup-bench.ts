import { performance } from 'node:perf_hooks';
import { CachedDeviceRegistry } from '../../functions/adapters/cached-device-registry';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoDeviceRegistry } from '../../functions/adapters/dynamodb/device-registry';
import { DynamoReadingStore } from '../../functions/adapters/dynamodb/reading-store';
import { DynamoRollupStore } from '../../functions/adapters/dynamodb/rollup-store';
import { toReadingItem } from '../../functions/core/reading-item';
import type { Device } from '../../functions/core/registry';
import { median } from '../../functions/shared/stats';
import { deviceSeries } from '../../functions/use-cases/device-series';
import type { StoredMessage } from '../../functions/use-cases/ingest-telemetry';
import { markTouchedHoursStage } from '../../functions/use-cases/mark-touched-hours';
import { runRollupJob } from '../../functions/use-cases/rollup-job';
import { LOCAL_AWS, startLocalDynamo } from '../../infra/local/dynamo';
import { DAY, HOUR, MINUTE, waterDevice, waterMetrics } from '../helpers/telemetry';
import { countCapacity } from './capacity';

export interface RollupBenchResult {
  live: {
    devices: number;
    days: number;
    jobRuns: number;
    jobMsPerDeviceDay: number;
    /** Per device-month (30 days, one sample a minute), from ReturnConsumedCapacity on dynalite. */
    markWriteUnits: number;
    jobWriteUnits: number;
    jobReadUnits: number;
  };
  backfill: { days: number; samples: number; jobMsPerDeviceDay: number; jobWriteUnitsPerDeviceMonth: number };
  series: { samples: number; points: number; resolution: string; medianMs: number; runsMs: number[] };
}

const MONTH_DAYS = 30;

/**
 * The roll-ups on dynalite: (1) live, `devices` devices at one sample a minute over `days` days, ingest's marks
 * written as one warm container would (100 messages an invocation), the job every 15 simulated minutes; (2) a
 * 30-day backfill of one device (43,200 samples) rolled up in one run; (3) the 30-day series of that device,
 * `seriesRuns` times.
 */
export async function rollupBench(opts: { devices: number; days: number; seriesRuns: number }) {
  const dynamo = await startLocalDynamo({ prefix: 'rollup-bench-' });
  const uncounted = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
  const ingestDoc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
  const jobDoc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
  const markCapacity = countCapacity(ingestDoc);
  const jobCapacity = countCapacity(jobDoc);
  try {
    const devices: Device[] = Array.from({ length: opts.devices }, (_, i) =>
      waterDevice(`wq-bench-${String(i).padStart(3, '0')}`, { intervalS: 60 }),
    );
    const backfilled = waterDevice('wq-bench-backfill', { intervalS: 60 });
    await new DynamoDeviceRegistry(uncounted, dynamo.tableNames.devices).putMany([...devices, backfilled]);
    const readingsIn = new DynamoReadingStore(uncounted, dynamo.tableNames.readings);
    let now = Date.UTC(2026, 9, 31, 16, 0, 0);
    const clock = { now: () => now };
    const stage = markTouchedHoursStage({
      marks: new DynamoRollupStore(ingestDoc, dynamo.tableNames.rollups),
      clock,
    });
    const jobStore = new DynamoRollupStore(jobDoc, dynamo.tableNames.rollups);
    const jobDeps = {
      rollups: jobStore,
      jobStore,
      readings: new DynamoReadingStore(jobDoc, dynamo.tableNames.readings),
      registry: new CachedDeviceRegistry(new DynamoDeviceRegistry(jobDoc, dynamo.tableNames.devices), clock),
      clock,
    };

    // (1) Live.
    const start = now;
    let jobMs = 0;
    let jobRuns = 0;
    let seq = 0;
    for (let step = start; step < start + opts.days * DAY; step += 15 * MINUTE) {
      const messages: StoredMessage[] = [];
      for (let t = step; t < step + 15 * MINUTE; t += MINUTE) {
        for (const device of devices) {
          const sample = { ts: t + 7_000, seq: seq++, m: waterMetrics(seq) };
          messages.push({
            messageId: `m${seq}`,
            device,
            message: { deviceId: device.id, kind: 'water', samples: [sample] },
            receivedAt: t + 8_000,
          });
        }
      }
      await readingsIn.putItems(
        messages.map((m) => toReadingItem(m.device.id, m.message.samples[0] as never, m.receivedAt, 400)),
      );
      for (let i = 0; i < messages.length; i += 100) {
        now = (messages[i] as StoredMessage).receivedAt;
        await stage(messages.slice(i, i + 100));
      }
      now = step + 15 * MINUTE;
      const t0 = performance.now();
      await runRollupJob(jobDeps);
      jobMs += performance.now() - t0;
      jobRuns++;
    }
    const deviceMonths = (opts.devices * opts.days) / MONTH_DAYS;
    const live = {
      devices: opts.devices,
      days: opts.days,
      jobRuns,
      jobMsPerDeviceDay: jobMs / (opts.devices * opts.days),
      markWriteUnits: markCapacity.counts.writeUnits / deviceMonths,
      jobWriteUnits: jobCapacity.counts.writeUnits / deviceMonths,
      jobReadUnits: jobCapacity.counts.readUnits / deviceMonths,
    };

    // (2) A 30-day backfill of one device, rolled up by one run (a recompute of the range: same work as its marks).
    const from = start - 40 * DAY;
    const samples = MONTH_DAYS * 24 * 60;
    const items = Array.from({ length: samples }, (_, i) =>
      toReadingItem(backfilled.id, { ts: from + i * MINUTE + 7_000, seq: i, m: waterMetrics(i) }, now, 400),
    );
    for (let i = 0; i < items.length; i += 2000) await readingsIn.putItems(items.slice(i, i + 2000));
    jobCapacity.reset();
    const t0 = performance.now();
    await runRollupJob(jobDeps, {
      recompute: { from, to: from + MONTH_DAYS * DAY, deviceIds: [backfilled.id] },
    });
    const backfill = {
      days: MONTH_DAYS,
      samples,
      jobMsPerDeviceDay: (performance.now() - t0) / MONTH_DAYS,
      jobWriteUnitsPerDeviceMonth: jobCapacity.counts.writeUnits,
    };

    // (3) The 30-day series of the backfilled device.
    const seriesDeps = {
      readings: new DynamoReadingStore(uncounted, dynamo.tableNames.readings),
      rollups: jobStore,
    };
    const runsMs: number[] = [];
    let last: Awaited<ReturnType<typeof deviceSeries>> | undefined;
    for (let r = 0; r < opts.seriesRuns; r++) {
      const s0 = performance.now();
      last = await deviceSeries(seriesDeps, backfilled, {
        metric: 'free_chlorine_mg_l',
        from,
        to: from + MONTH_DAYS * DAY + HOUR / 2,
        points: 1000,
      });
      runsMs.push(performance.now() - s0);
    }
    const series = {
      samples,
      points: last?.points.length ?? 0,
      resolution: `${last?.resolution} ${last?.bucketMs} ms ${last?.source.join('+')}`,
      medianMs: median(runsMs),
      runsMs: runsMs.map((ms) => Math.round(ms)),
    };
    return { live, backfill, series } satisfies RollupBenchResult;
  } finally {
    for (const d of [uncounted, ingestDoc, jobDoc]) d.destroy();
    await dynamo.stop();
  }
}
