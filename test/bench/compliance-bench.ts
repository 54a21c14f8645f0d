/**
 * The monthly compliance report for a 300-device county (250 water devices at 5 minutes in 3 townships, 50 bins),
 * against dynalite through the real SDK: its time (median of runs) and the DynamoDB calls it makes. The roll-ups are
 * written as the job would leave them (synthetic daily aggregates; the report does not care how they were made), with
 * 60 limit alarms whose peaks are read from raw readings, 20 maintenance windows and 600 collections.
 * `BENCH_ONLY=compliance npm run bench`.
 */
import './log-level';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createService, readServiceConfig } from '../../functions/composition';
import { chinaDate, chinaMonth } from '../../functions/core/china-calendar';
import { monthRange } from '../../functions/core/compliance';
import { toReadingItem } from '../../functions/core/reading-item';
import type { Device } from '../../functions/core/registry';
import type { RollupItem } from '../../functions/core/rollup-types';
import { median } from '../../functions/shared/stats';
import { complianceReport } from '../../functions/use-cases/compliance-report';
import { LOCAL_AWS, startLocalDynamo } from '../../infra/local/dynamo';
import { levelsFor, limitAlarm } from '../helpers/rollup-fake';
import { binDevice, waterDevice } from '../helpers/telemetry';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WATER = 250;
const BINS = 50;
const TOWNSHIPS = ['North', 'Centre', 'South'];
const MONTH = '2026-11';
const DAY_MS = 86_400_000;

function fleet(): Device[] {
  const points = ['source', 'plant_outlet', 'network', 'tap'] as const;
  const water = Array.from({ length: WATER }, (_, n) =>
    waterDevice(`wq-${String(n).padStart(3, '0')}`, {
      siteId: `site-${n % 60}`,
      township: TOWNSHIPS[n % 3] as string,
      measurementPoint: points[n % 4],
      supplyClass: n % 5 === 0 ? 'small' : 'standard',
      intervalS: 300,
    } as Partial<Device>),
  );
  const bins = Array.from({ length: BINS }, (_, n) =>
    binDevice(`bin-${String(n).padStart(3, '0')}`, {
      siteId: `market-${n % 10}`,
      township: TOWNSHIPS[n % 3] as string,
    }),
  );
  return [...water, ...bins];
}

/** A day of one device as its daily roll-up: 288 samples, a few over the limit and flagged. */
function dailyItem(d: Device, start: number, levels: ReturnType<typeof levelsFor>): RollupItem {
  const samples = Math.floor(DAY_MS / (d.intervalS * 1000));
  const metrics: RollupItem['metrics'] = {};
  const names =
    d.kind === 'water'
      ? ['free_chlorine_mg_l', 'turbidity_ntu', 'ph', 'temperature_c']
      : ['fill_pct', 'temperature_c'];
  for (const [k, metric] of names.entries()) {
    const over = (start / DAY_MS + k) % 7 === 0 ? 3 : 0;
    const lv = levels.get(metric);
    metrics[metric] = {
      count: samples,
      flagged: 1,
      min: 0.1,
      max: 1.2,
      sum: samples * 0.5,
      firstTs: start,
      lastTs: start + DAY_MS - d.intervalS * 1000,
      overLimit: over,
      overWarning: over + 5,
      validMs: (samples - 1) * d.intervalS * 1000,
      overLimitMs: over * d.intervalS * 1000,
      overWarningMs: (over + 5) * d.intervalS * 1000,
      flaggedMs: d.intervalS * 1000,
      ...(lv && (lv.limitMin !== undefined || lv.limitMax !== undefined) ? { levels: lv } : {}),
    };
  }
  return {
    pk: d.id,
    sk: `d#${String(start).padStart(13, '0')}`,
    period: 'day',
    deviceId: d.id,
    siteId: d.siteId,
    township: d.township,
    kind: d.kind,
    ...(d.kind === 'water' ? { measurementPoint: d.measurementPoint } : {}),
    start,
    end: start + DAY_MS,
    samples,
    intervalS: d.intervalS,
    metrics,
    computedAt: start + DAY_MS + 600_000,
    tm: `${d.township}#${chinaMonth(start)}`,
    sdd: `${d.siteId}#${d.id}#${chinaDate(start)}`,
  };
}

export async function complianceBench(): Promise<Record<string, number>> {
  const dynamo = await startLocalDynamo({ prefix: 'bench-compliance-' });
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const period = monthRange(MONTH);
  const clock = { now: () => period.to + 2 * DAY_MS };
  const service = createService(
    readServiceConfig(dynamo.tableEnv),
    doc,
    {
      notifier: { send: async () => ({ recipients: 0, messageIds: [] }) },
      live: { alarmChanged: async () => undefined },
      subscriptionChannel: { route: async () => undefined, unroute: async () => undefined },
    },
    { clock },
  );
  try {
    const devices = fleet();
    await service.registry.putMany(devices);
    const items: RollupItem[] = [];
    for (const d of devices) {
      const levels = d.kind === 'water' ? levelsFor(d) : new Map();
      for (let t = period.from; t < period.to; t += DAY_MS) items.push(dailyItem(d, t, levels));
    }
    await service.rollups.put(items);
    const water = devices.filter((d) => d.kind === 'water');
    for (const [n, d] of water.slice(0, 60).entries()) {
      const start = period.from + (n % 28) * DAY_MS + 3_600_000;
      const readings = Array.from({ length: 24 }, (_, i) =>
        toReadingItem(
          d.id,
          { ts: start + i * 300_000, seq: i, m: { free_chlorine_mg_l: 0.1 + (i % 5) / 100 } },
          start,
          400,
        ),
      );
      await service.readings.putItems(readings);
      const alarm = limitAlarm(d, start, {
        alarmId: `A${String(n).padStart(8, '0')}`,
        clearedSampleTs: start + 2 * 3_600_000,
        clearedAt: start + 2 * 3_600_000,
      });
      await service.alarms.create(alarm, { at: start, to: 'active_unack' });
    }
    for (const d of water.slice(0, 20))
      await service.windows.record({
        deviceId: d.id,
        kind: 'maintenance',
        from: period.from + 5 * DAY_MS,
        to: period.from + 6 * DAY_MS,
        by: 'bench',
        recordedAt: period.from,
      });
    const bins = devices.filter((d) => d.kind === 'bin');
    await service.binEvents.putCollections(
      Array.from({ length: 600 }, (_, i) => {
        const b = bins[i % bins.length] as Device;
        const ts = period.from + Math.floor((i / 600) * 29 * DAY_MS) + (i % bins.length) * 1000;
        return {
          binId: b.id,
          ts,
          seq: i,
          township: b.township,
          siteId: b.siteId,
          wasteStream: 'residual',
          fromPct: 85,
          toPct: 5,
          fromTs: ts - 900_000,
          receivedAt: ts,
        };
      }),
    );

    let calls = 0;
    doc.middlewareStack.add(
      (next) => async (args) => {
        calls++;
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
    const times: number[] = [];
    let callsPerReport = 0;
    for (let r = 0; r < RUNS; r++) {
      calls = 0;
      const t0 = performance.now();
      const report = await complianceReport({ ...service, alarmHistory: service.alarms }, period);
      times.push(performance.now() - t0);
      callsPerReport = calls;
      if (report.exceedances.length !== 60 || report.completeness.length !== devices.length)
        throw new Error(
          `unexpected report: ${report.exceedances.length} exceedances, ${report.completeness.length} devices`,
        );
    }
    return {
      devices: devices.length,
      dailyItems: items.length,
      reportMsMedian: Math.round(median(times)),
      reportMsMax: Math.round(Math.max(...times)),
      dynamoCallsPerReport: callsPerReport,
    };
  } finally {
    doc.destroy();
    await dynamo.stop();
  }
}
