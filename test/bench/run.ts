/**
 * `npm run bench`: throughput of the local pipeline and of the ingest handler, DynamoDB write units per stored
 * sample, alert latency (sample published → SMS in the outbox), and the monthly bill for the example county, 1,000
 * and 10,000 devices from the cost model (test/bench/cost-model.ts, prices in prices.ts) fed with what the runs
 * measured; then the fleet shapes (18 devices draining buffers, 1,000 devices at 1 s) against the runtime in a
 * child process. Prints tables, then one line `BENCH_JSON {...}` for tools. `BENCH_ONLY=shapes` runs the fleet
 * shapes alone, `BENCH_ONLY=cost` (`npm run bench:cost`) the bill alone with the documented measurements,
 * `BENCH_ONLY=detector` the ingest handler with the event detector off, on (commissioning) and on (devices in
 * service), runs interleaved,
 * `BENCH_ONLY=compliance` the monthly compliance report of a 300-device county alone,
 * `BENCH_ONLY=rollups` the roll-ups alone (part h), `BENCH_ONLY=console` the operator console in Chromium (part k).
 */
import './log-level';
import { runSimBench } from '../../device-sim/bench';
import { INGEST_QUEUE } from '../../functions/contract';
import { detectorCanWatch } from '../../functions/core/detector-history';
import { fleetDevices } from '../../functions/core/registry';
import { median } from '../../functions/shared/stats';
import { readFleetFile } from '../../infra/fleet/read-fleet';
import { startTestRuntime } from '../helpers/runtime';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { alertLatencyBench } from './alert-latency';
import { complianceBench } from './compliance-bench';
import { type ConsoleBenchResult, consoleBench } from './console-bench';
import { costBench } from './cost-bench';
import { batchWriteCeiling, runFleetShape, type ShapeResult } from './fleet-shape-bench';
import { commissionedDetectorState, type HandlerRun, handlerBench } from './handler-bench';
import { pipelineBench } from './pipeline-bench';
import { PRICES } from './prices';
import { rollupBench } from './rollup-bench';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/**
 * Rotations of the detector bench (part j): more than the other parts' runs, as its question is a ratio of two close
 * figures on a shared machine whose speed drifts by ±15 % within minutes.
 */
const DETECTOR_RUNS = Number(process.env.BENCH_DETECTOR_RUNS ?? 9);
const PIPELINE_MESSAGES_PER_DEVICE = Number(process.env.BENCH_MESSAGES_PER_DEVICE ?? 500);
const HANDLER_EVENTS_PER_RUN = Number(process.env.BENCH_EVENTS_PER_RUN ?? 50);
const RECORDS_PER_EVENT = INGEST_QUEUE.batchSize;
const LATENCY_ALARMS = Number(process.env.BENCH_LATENCY_ALARMS ?? 30);
const LATENCY_BACKGROUND_PER_S = Number(process.env.BENCH_LATENCY_BACKGROUND ?? 50);

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '))
    .join('\n');
}

const SIM_FLEETS = (process.env.BENCH_SIM_DEVICES ?? '500,1000,2000').split(',').map(Number);
const SIM_SECONDS = Number(process.env.BENCH_SIM_SECONDS ?? 20);

/** The simulator's scale: fleets of N connections at 1 s intervals against an in-process broker. */
async function deviceSimBench(): Promise<unknown[]> {
  const results: unknown[] = [];
  console.log(`\n(f) device simulator, one process, 1 s interval, ${SIM_SECONDS} s per fleet:`);
  for (const devices of SIM_FLEETS) {
    const r = await runSimBench({ devices, durationS: SIM_SECONDS });
    console.log(`    ${JSON.stringify(r)}`);
    results.push(r);
  }
  return results;
}

const SHAPE_DEVICES = Number(process.env.BENCH_SHAPE_DEVICES ?? 1000);
const SHAPE_SECONDS = Number(process.env.BENCH_SHAPE_SECONDS ?? 60);
const SHAPE_BURST_MESSAGES = Number(process.env.BENCH_SHAPE_BURST_MESSAGES ?? 500);
const SHAPE_DRAIN_CAP_S = Number(process.env.BENCH_SHAPE_DRAIN_CAP_S ?? 180);
const CEILING_SECONDS = Number(process.env.BENCH_CEILING_SECONDS ?? 10);
const TARGETS = { rssMb: 1024, drainS: 120, throughputRatio: 0.8 };

/**
 * The fleet shapes, one run each, against `npm start`'s runtime in a child process (its RSS is the service's alone),
 * beside dynalite's own BatchWriteItem ceiling measured first in the same run.
 */
async function fleetShapeBench() {
  console.log(
    `\n(g) fleet shapes, runtime in a child process (fresh data dir, free ports), one run each; dynalite BatchWriteItem ceiling first:`,
  );
  const ceiling = await batchWriteCeiling({ seconds: CEILING_SECONDS, concurrency: 4 });
  console.log(`    dynalite BatchWriteItem ceiling: ${fmt(ceiling)} items/s (25 per request, 4 in flight)`);
  const shapes: ShapeResult[] = [];
  for (const shape of [
    { name: '18 devices, buffers', kind: 'burst' as const, messagesPerDevice: SHAPE_BURST_MESSAGES },
    {
      name: `${fmt(SHAPE_DEVICES)} devices, 1 s`,
      kind: 'live' as const,
      devices: SHAPE_DEVICES,
      intervalS: 1,
      durationS: SHAPE_SECONDS,
    },
  ]) {
    process.stdout.write(`    ${shape.name} ... `);
    const r = await runFleetShape(shape, { drainCapS: SHAPE_DRAIN_CAP_S });
    console.log(JSON.stringify(r));
    shapes.push(r);
  }
  const [burst, fleet] = shapes as [ShapeResult, ShapeResult];
  const drain = (r: ShapeResult) => (r.drainS === null ? `> ${SHAPE_DRAIN_CAP_S}` : fmt(r.drainS, 1));
  console.log(
    `\n${table([
      [
        'shape',
        'published/s',
        'stored/s',
        'x ceiling',
        'peak backlog',
        'drain s',
        'peak RSS MB',
        'acked',
        'stored',
        'lost',
      ],
      ...shapes.map((r) => [
        r.shape,
        fmt(r.publishedPerS),
        fmt(r.storedPerS),
        fmt(r.storedPerS / ceiling, 3),
        fmt(r.peakBacklog),
        drain(r),
        fmt(r.peakRssMb),
        fmt(r.acked),
        fmt(r.stored),
        r.lost === null ? `(${fmt(r.acked - r.stored)} queued)` : fmt(r.lost),
      ]),
    ])}`,
  );
  const ratio = fleet.storedPerS / burst.storedPerS;
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(
    `    targets for ${fleet.shape}: RSS < ${TARGETS.rssMb} MB ${verdict(fleet.peakRssMb < TARGETS.rssMb)} (${fmt(fleet.peakRssMb)}); ` +
      `drained within ${TARGETS.drainS} s ${verdict(fleet.drainS !== null && fleet.drainS <= TARGETS.drainS)} (${drain(fleet)}); ` +
      `throughput ≥ ${TARGETS.throughputRatio} of the 18-device shape ${verdict(ratio >= TARGETS.throughputRatio)} (${fmt(ratio, 2)})`,
  );
  if (fleet.storedPerS >= 0.95 * fleet.publishedPerS) {
    console.log(
      `    (ingest kept pace with the ${fmt(fleet.publishedPerS)} msg/s the ${fleet.shape} shape offers: its stored/s is the offer, not a ceiling)`,
    );
  }
  if (shapes.some((r) => (r.lost ?? 0) > 0)) {
    console.error(
      'fleet shapes lost acknowledged samples:',
      JSON.stringify(shapes.filter((r) => (r.lost ?? 0) > 0)),
    );
    process.exitCode = 1;
  }
  return {
    batchWriteCeilingItemsPerS: ceiling,
    shapes: shapes.map((r) => ({ ...r, ratioToCeiling: Number((r.storedPerS / ceiling).toFixed(3)) })),
    throughputRatioToBurst: Number(ratio.toFixed(3)),
  };
}

/** The detector bench's modes: off; on while the devices commission (no state at the start); on for devices in service. */
const DETECTOR_MODES = ['off', 'on', 'on, in service'] as const;
type DetectorMode = (typeof DETECTOR_MODES)[number];

/** Where dynalite runs in a detector bench pass (see `handlerBench`'s `database`). */
const DATABASE_PLACEMENTS = ['own thread', 'same thread'] as const;
type DatabasePlacement = (typeof DATABASE_PLACEMENTS)[number];

/**
 * The event detector's price in ingest throughput: the ingest handler over the example fleet with EVENT_DETECTOR off,
 * on for devices that commission through the run (no state at the start, as in the other parts of the bench), and on
 * for devices in service (a learned state at the start: every batch reads the detector's history and gets
 * verdicts), run after run in rotation (so load on the machine hits every mode alike), medians and their ratios.
 * The ratios are also taken within each rotation (a mode against the off run next to it) and their median reported:
 * the machine's speed drifts by more than the detector costs, and runs minutes apart see different machines.
 * Each device reports at its own interval (a backlog of the fleet as it reports, drained), so the detector sees the
 * hours and windows it would.
 *
 * Two passes: dynalite on a thread of its own, as the local runtime runs it and as DynamoDB does its own work in the
 * cloud (the function's own work is the busy time of its thread), and dynalite on the function's thread (its work,
 * which grows with every item read, then counts as the function's). The timed runs do not ask for consumed capacity
 * (dynalite would size every item on the measured CPU); one further run per mode counts the units.
 */
async function detectorBench() {
  const { fleet } = await readFleetFile();
  const devices = fleetDevices(fleet);
  const inService = commissionedDetectorState();
  const water = devices.filter((d) => d.kind === 'water');
  const watched = water.filter((d) => detectorCanWatch(d.intervalS * 1000));
  console.log(
    `Event detector off / on / on for devices in service: ingest handler, ${HANDLER_EVENTS_PER_RUN} SQS events x ${RECORDS_PER_EVENT} records, ${devices.length} devices each at its own interval, ${DETECTOR_RUNS} runs each, in rotation. The detector watches ${watched.length} of ${water.length} water devices (${watched.map((d) => d.id).join(', ')}); the others report less often than every 2 minutes:`,
  );
  const options = (mode: DetectorMode, database: DatabasePlacement) => ({
    devices,
    runs: 1,
    eventsPerRun: HANDLER_EVENTS_PER_RUN,
    recordsPerEvent: RECORDS_PER_EVENT,
    env: { EVENT_DETECTOR: mode === 'off' ? 'off' : 'on' },
    cadence: 'nominal' as const,
    database,
    ...(mode === 'on, in service' ? { detectorState: inService } : {}),
  });
  const passes = {} as Record<
    DatabasePlacement,
    Record<
      DetectorMode,
      {
        rate: number;
        msPerSample: number;
        requestsPer100: number;
        pairedRatio: number;
        pairedMsRatio: number;
      }
    >
  >;
  for (const database of DATABASE_PLACEMENTS) {
    // One run first, not counted: the ingest path's first runs in a process are slower while the JIT warms it up,
    // and would otherwise count against whichever mode came first.
    await handlerBench({ ...options('off', database), countUnits: false });
    const runs = Object.fromEntries(DETECTOR_MODES.map((m) => [m, []])) as unknown as Record<
      DetectorMode,
      { r: HandlerRun; ms: number }[]
    >;
    console.log(
      `  dynalite on ${database === 'own thread' ? 'a thread of its own: ms per sample = the function thread busy' : "the function's thread: ms per sample = process CPU, dynalite's included"}`,
    );
    for (let run = 0; run < DETECTOR_RUNS; run++) {
      for (let i = 0; i < DETECTOR_MODES.length; i++) {
        const mode = DETECTOR_MODES[(run + i) % DETECTOR_MODES.length] as DetectorMode;
        const before = process.cpuUsage();
        const [r] = await handlerBench({ ...options(mode, database), countUnits: false });
        if (!r || r.failed > 0)
          throw new Error(`detector bench: a run with the detector ${mode} failed samples`);
        const used = process.cpuUsage(before);
        // Process CPU is steadier than wall time on a shared machine; with dynalite on its own thread it would count
        // the database's work too, so the function's own is its thread's busy time there.
        const ms = (database === 'own thread' ? r.busyMs : (used.user + used.system) / 1000) / r.stored;
        runs[mode].push({ r, ms });
        console.log(
          `    run ${run + 1} ${mode.padEnd(14)} ${fmt(r.samplesPerSecond)} samples/s, ${fmt(ms, 3)} ms/sample`,
        );
      }
    }
    passes[database] = Object.fromEntries(
      DETECTOR_MODES.map((m) => {
        const stored = runs[m].reduce((n, x) => n + x.r.stored, 0);
        const requests = runs[m].reduce(
          (n, x) => n + Object.values(x.r.requests).reduce((a, b) => a + b, 0),
          0,
        );
        // Run i of every mode is in rotation i: pair each with the off run of its own rotation.
        const off = runs.off;
        return [
          m,
          {
            rate: median(runs[m].map((x) => x.r.samplesPerSecond)),
            msPerSample: median(runs[m].map((x) => x.ms)),
            requestsPer100: (requests / stored) * 100,
            pairedRatio: median(
              runs[m].map(
                (x, i) => x.r.samplesPerSecond / (off[i] as (typeof off)[number]).r.samplesPerSecond,
              ),
            ),
            pairedMsRatio: median(runs[m].map((x, i) => (off[i] as (typeof off)[number]).ms / x.ms)),
          },
        ];
      }),
    ) as (typeof passes)[DatabasePlacement];
  }
  const counted = {} as Record<DetectorMode, HandlerRun>;
  for (const mode of DETECTOR_MODES) {
    const [r] = await handlerBench(options(mode, 'same thread'));
    if (!r) throw new Error(`detector bench: no units run with the detector ${mode}`);
    counted[mode] = r;
  }
  const units = (mode: DetectorMode, key: 'allWriteUnits' | 'allReadUnits') =>
    counted[mode][key] / counted[mode].stored;
  const rows = DATABASE_PLACEMENTS.flatMap((database) =>
    DETECTOR_MODES.map((m) => {
      const p = passes[database][m];
      const off = passes[database].off;
      return [
        `${m} (dynalite: ${database})`,
        `${fmt(p.rate)} (${fmt(p.rate / off.rate, 3)})`,
        `${fmt(p.msPerSample, 3)} (${fmt(off.msPerSample / p.msPerSample, 3)})`,
        fmt(p.requestsPer100, 2),
        `${fmt(units(m, 'allWriteUnits'), 3)} / ${fmt(units(m, 'allReadUnits'), 4)}`,
      ];
    }),
  );
  console.log(
    `
${table([
  [
    'EVENT_DETECTOR',
    'samples/s median (ratio to off)',
    'ms/sample median (ratio off/this)',
    'requests per 100 samples',
    'WRU / RRU per sample (units run)',
  ],
  ...rows,
])}`,
  );
  const ratios = (database: DatabasePlacement, mode: DetectorMode) => {
    const p = passes[database];
    const ratio = p[mode].rate / p.off.rate;
    const msRatio = p.off.msPerSample / p[mode].msPerSample;
    const { pairedRatio, pairedMsRatio } = p[mode];
    const verdict = (x: number) => (x >= 0.9 ? 'met' : 'NOT met');
    console.log(
      `    ${mode}/off, dynalite on ${database}: throughput ratio ${fmt(ratio, 3)} (wall clock), ${fmt(msRatio, 3)} (ms per sample) from the medians; median within rotations ${fmt(pairedRatio, 3)} (wall clock), ${fmt(pairedMsRatio, 3)} (ms per sample); target within 10 % by the paired medians: ${verdict(pairedRatio)} (wall), ${verdict(pairedMsRatio)} (ms per sample)`,
    );
    return {
      ratio: Number(ratio.toFixed(3)),
      msRatio: Number(msRatio.toFixed(3)),
      pairedRatio: Number(pairedRatio.toFixed(3)),
      pairedMsRatio: Number(pairedMsRatio.toFixed(3)),
    };
  };
  const summary = Object.fromEntries(
    DATABASE_PLACEMENTS.map((database) => [
      database,
      {
        samplesPerSecond: Object.fromEntries(DETECTOR_MODES.map((m) => [m, passes[database][m].rate])),
        msPerSample: Object.fromEntries(DETECTOR_MODES.map((m) => [m, passes[database][m].msPerSample])),
        requestsPer100: Object.fromEntries(
          DETECTOR_MODES.map((m) => [m, passes[database][m].requestsPer100]),
        ),
        commissioning: ratios(database, 'on'),
        inService: ratios(database, 'on, in service'),
      },
    ]),
  );
  return {
    ...summary,
    unitsPerSample: Object.fromEntries(
      DETECTOR_MODES.map((m) => [m, { write: units(m, 'allWriteUnits'), read: units(m, 'allReadUnits') }]),
    ),
  };
}

const ROLLUP_DEVICES = Number(process.env.BENCH_ROLLUP_DEVICES ?? 20);
const ROLLUP_DAYS = Number(process.env.BENCH_ROLLUP_DAYS ?? 2);

/** (h) Roll-ups on dynalite: the job live and on a backfill, the 30-day series, capacity per device-month. */
async function rollupsPart() {
  console.log(
    `\n(h) roll-ups on dynalite: ${ROLLUP_DEVICES} devices live for ${ROLLUP_DAYS} days (job every 15 min), a 30-day backfill, the 30-day series x ${RUNS}:`,
  );
  const r = await rollupBench({ devices: ROLLUP_DEVICES, days: ROLLUP_DAYS, seriesRuns: RUNS });
  console.log(
    table([
      ['what', 'value', 'unit'],
      ['job, live (hour by hour)', fmt(r.live.jobMsPerDeviceDay, 1), 'ms per device-day'],
      ['job, 30-day backfill in one run', fmt(r.backfill.jobMsPerDeviceDay, 1), 'ms per device-day'],
      [
        '30-day series (43,200 samples), median',
        fmt(r.series.medianMs, 1),
        `ms (${r.series.points} points, ${r.series.resolution})`,
      ],
      ['marks written by ingest', fmt(r.live.markWriteUnits, 1), 'WRU per device-month'],
      ['job writes (hours, days, state)', fmt(r.live.jobWriteUnits, 0), 'WRU per device-month'],
      ['job reads (readings, roll-ups, marks)', fmt(r.live.jobReadUnits, 0), 'RRU per device-month'],
      [
        'job writes, backfill of a month',
        fmt(r.backfill.jobWriteUnitsPerDeviceMonth, 0),
        'WRU per device-month',
      ],
    ]),
  );
  return r;
}

/** (k) The operator console in Chromium: first renders and the bundle, against the budgets. */
async function consolePart(): Promise<ConsoleBenchResult> {
  console.log('\n(k) the operator console in Chromium (example county, 30 days of 10-minute data):');
  const r = await consoleBench((line) => console.log(`    ${line}`));
  const kb = (bytes: number) => fmt(bytes / 1024, 1);
  console.log(
    table([
      ['measure', 'value', 'unit'],
      [
        'overview first render, navigation -> every site drawn',
        fmt(r.overviewFirstRenderMs, 0),
        `ms (median of ${r.runs}; budget < ${r.budget.firstRenderMs})`,
      ],
      ['    of which GET /overview', fmt(r.overviewApiMs, 0), 'ms (median)'],
      [
        '30-day chart, navigation -> chart drawn',
        fmt(r.chart30dRenderMs, 0),
        `ms (median of ${r.runs}; ${r.chart30dPoints} points)`,
      ],
      ['    slowest GET /devices/{id}/series of the page', fmt(r.chart30dSeriesApiMs, 0), 'ms (median)'],
      [
        'bundle, JS + CSS gzipped',
        kb(r.bundle.gzip),
        `KB (${kb(r.bundle.raw)} KB raw, ${r.bundle.files} files; budget < ${kb(r.budget.bundleGzipBytes)})`,
      ],
    ]),
  );
  if (!r.withinBudget) {
    console.error('the console is over its budget');
    process.exitCode = 1;
  }
  return r;
}

async function main(): Promise<void> {
  const started = Date.now();
  if (process.env.BENCH_ONLY === 'detector') {
    const detector = await detectorBench();
    console.log(
      `
BENCH_JSON ${JSON.stringify({ detector, seconds: Math.round((Date.now() - started) / 1000) })}`,
    );
    return;
  }
  if (process.env.BENCH_ONLY === 'cost') {
    const cost = await costBench();
    console.log(
      `\nBENCH_JSON ${JSON.stringify({ cost, seconds: Math.round((Date.now() - started) / 1000) })}`,
    );
    return;
  }
  if (process.env.BENCH_ONLY === 'compliance') {
    const compliance = await complianceBench();
    console.log(
      `\nBENCH_JSON ${JSON.stringify({ compliance, seconds: Math.round((Date.now() - started) / 1000) })}`,
    );
    return;
  }
  if (process.env.BENCH_ONLY === 'rollups') {
    const rollups = await rollupsPart();
    console.log(
      `\nBENCH_JSON ${JSON.stringify({ rollups, seconds: Math.round((Date.now() - started) / 1000) })}`,
    );
    return;
  }
  if (process.env.BENCH_ONLY === 'console') {
    const console_ = await consolePart();
    console.log(
      `\nBENCH_JSON ${JSON.stringify({ console: console_, seconds: Math.round((Date.now() - started) / 1000) })}`,
    );
    return;
  }
  if (process.env.BENCH_ONLY === 'shapes') {
    const shapes = await fleetShapeBench();
    console.log(
      `\nBENCH_JSON ${JSON.stringify({ fleetShapes: shapes, seconds: Math.round((Date.now() - started) / 1000) })}`,
    );
    return;
  }
  console.log(
    `Pamir Telemetry bench: ${RUNS} runs each; medians shown. Node ${process.version}, dynalite, in-process aedes.\n`,
  );

  const dir = await makeTempDir('pamir-bench-');
  let pipeline: Awaited<ReturnType<typeof pipelineBench>>;
  let devices: Awaited<ReturnType<typeof startTestRuntime>>['devices'];
  try {
    const runtime = await startTestRuntime(dir);
    devices = runtime.devices;
    try {
      process.stdout.write(
        `(a) local pipeline: ${devices.length} MQTT clients x ${PIPELINE_MESSAGES_PER_DEVICE} QoS 1 messages per run ... `,
      );
      pipeline = await pipelineBench(runtime, {
        runs: RUNS,
        messagesPerDevice: PIPELINE_MESSAGES_PER_DEVICE,
        blockBytes: PRICES.iot.messageBlockBytes,
        chunkBytes: PRICES.sqs.requestChunkBytes,
      });
      console.log('done');
    } finally {
      await runtime.stop();
    }
  } finally {
    await removeTempDir(dir);
  }

  process.stdout.write(
    `(b) ingest handler alone: ${HANDLER_EVENTS_PER_RUN} SQS events x ${RECORDS_PER_EVENT} records per run ... `,
  );
  const handler = await handlerBench({
    devices,
    runs: RUNS,
    eventsPerRun: HANDLER_EVENTS_PER_RUN,
    recordsPerEvent: RECORDS_PER_EVENT,
  });
  console.log('done');

  process.stdout.write(
    `(e) alert latency: ${LATENCY_ALARMS} chlorine-loss alarms under ${LATENCY_BACKGROUND_PER_S} ordinary samples/s ... `,
  );
  const latency = await alertLatencyBench({
    alarms: LATENCY_ALARMS,
    backgroundPerSecond: LATENCY_BACKGROUND_PER_S,
  });
  console.log('done\n');

  const lost = pipeline.filter((r) => r.stored !== r.samples);
  const failed = handler.filter((r) => r.failed > 0);
  if (lost.length || failed.length) {
    console.error('bench runs lost samples:', JSON.stringify({ pipeline: lost, handler: failed }));
    process.exitCode = 1;
  }

  const pipelineRate = median(pipeline.map((r) => r.samplesPerSecond));
  const handlerRate = median(handler.map((r) => r.samplesPerSecond));
  const wruReported = median(handler.map((r) => r.readingWriteUnits / r.stored));
  const wruAllTables = median(handler.map((r) => r.allWriteUnits / r.stored));
  const wruComputed = median(handler.map((r) => r.computedWriteUnits / r.samples));
  const rruPerSample = median(handler.map((r) => r.allReadUnits / r.stored));
  const msPerInvocation = median(handler.flatMap((r) => r.msPerInvocation));
  const itemBytes = median(handler.map((r) => r.meanItemBytes));
  const storedByHandler = handler.reduce((n, r) => n + r.stored, 0);
  const requestsPer100 = Object.entries(
    handler.reduce<Record<string, number>>((all, r) => {
      for (const [name, n] of Object.entries(r.requests)) all[name] = (all[name] ?? 0) + n;
      return all;
    }, {}),
  )
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name.replace(/Command$/, '')} ${fmt((n / storedByHandler) * 100, 2)}`)
    .join(', ');

  const measuredUsage = {
    ingestPerSampleMs: msPerInvocation / RECORDS_PER_EVENT,
    writeUnitsPerSample: wruAllTables,
    readUnitsPerSample: rruPerSample,
    itemBytes,
  };
  const routerBatchesPer100 = median(pipeline.map((r) => (r.batches / r.messages) * 100));

  console.log(
    table([
      ['measure (median of runs)', 'value', 'unit'],
      ['(a) publish -> stored, local pipeline', fmt(pipelineRate), 'samples/s'],
      ['    router batches per 100 messages', fmt(routerBatchesPer100, 2), 'batches'],
      ['(b) ingest handler alone', fmt(handlerRate), 'samples/s'],
      ['    handler duration per 100-record event', fmt(msPerInvocation, 1), 'ms'],
      ['(c) write units per stored sample, reported', fmt(wruReported, 3), 'WRU (readings batch writes)'],
      ['    write units per stored sample, all tables', fmt(wruAllTables, 3), 'WRU (every request)'],
      ['    write units per sample, computed', fmt(wruComputed, 3), 'WRU (writeUnits(item))'],
      ['    read units per stored sample', fmt(rruPerSample, 4), 'RRU'],
      ['    reading item size', fmt(itemBytes, 0), 'bytes'],
      ['(e) alert latency, sample published -> SMS in outbox, p50', fmt(latency.p50), 'ms'],
      ['    alert latency p99', fmt(latency.p99), `ms (${latency.alarms} alarms)`],
    ]),
  );
  console.log(`    DynamoDB requests per 100 samples (handler, all tables): ${requestsPer100}`);

  const cost = await costBench(measuredUsage);

  const simResult = await deviceSimBench();
  const fleetShapes = await fleetShapeBench();
  const rollups = await rollupsPart();
  console.log('\n(i) the monthly compliance report of a 300-device county:');
  const compliance = await complianceBench();
  console.log('\n(j) the event detector off / on / on for devices in service, ingest handler:');
  const detector = await detectorBench();
  const consoleFigures = await consolePart();

  const summary = {
    runs: RUNS,
    pipelineSamplesPerSecond: Math.round(pipelineRate),
    handlerSamplesPerSecond: Math.round(handlerRate),
    handlerMsPer100Records: Number(msPerInvocation.toFixed(2)),
    writeUnitsPerSampleReported: wruReported,
    writeUnitsPerSampleAllTables: wruAllTables,
    writeUnitsPerSampleComputed: wruComputed,
    readUnitsPerSample: rruPerSample,
    dynamoRequestsPer100Samples: requestsPer100,
    cost,
    alertLatencyMs: {
      p50: latency.p50,
      p99: latency.p99,
      alarms: latency.alarms,
      backgroundPerSecond: LATENCY_BACKGROUND_PER_S,
    },
    deviceSim: simResult ?? null,
    fleetShapes,
    rollups,
    compliance,
    detector,
    console: consoleFigures,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(`\nBENCH_JSON ${JSON.stringify(summary)}`);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: Error) => {
    console.error(`bench failed: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
