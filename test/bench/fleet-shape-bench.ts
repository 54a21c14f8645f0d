import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { generateFleet, writeFleet } from '../../device-sim/fleet';
import { runSimulation } from '../../device-sim/run';
import { RunStats } from '../../device-sim/stats';
import { localTarget, type Target } from '../../device-sim/target';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import { toReadingItem } from '../../functions/core/reading-item';
import { type Device, type Fleet, fleetDevices } from '../../functions/core/registry';
import { readFleetFile } from '../../infra/fleet/read-fleet';
import { LOCAL_AWS, startLocalDynamo } from '../../infra/local/dynamo';
import { deviceSecretFile } from '../../infra/local/mqtt-credentials';
import { readAllReadings } from '../helpers/readings';
import { type RuntimeStats, startRuntimeProcess } from '../helpers/runtime-process';
import { sample } from '../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

/**
 * A fleet shape: who publishes, and how.
 * - `burst`: today's shape, the example county's 18 devices each draining a buffer of `messagesPerDevice`
 *   single-sample messages as fast as they are acknowledged (one in flight per device): it saturates ingest.
 * - `live`: the shape a county really has, `devices` generated and registered devices each publishing one sample
 *   every `intervalS` for `durationS`, all at once.
 */
export type FleetShape =
  | { name: string; kind: 'burst'; messagesPerDevice: number }
  | { name: string; kind: 'live'; devices: number; intervalS: number; durationS: number };

export interface ShapeResult {
  shape: string;
  devices: number;
  /** Messages the publishers sent and got a PUBACK for. */
  sent: number;
  acked: number;
  /** Offered rate while publishing, messages/s. */
  publishedPerS: number;
  /** Readings found through the API afterwards. */
  stored: number;
  /** Acknowledged messages missing from them once drained; null when the cap ended the run first (still queued). */
  lost: number | null;
  /** Stored samples per second, from the first publish until the router had nothing left. */
  storedPerS: number;
  /** Most messages accepted and not yet ingested at once (the router's backlog). */
  peakBacklog: number;
  /** From the end of publishing until the backlog was empty; null if it was not empty within the cap. */
  drainS: number | null;
  /** Peak VmRSS of the runtime process, MB. */
  peakRssMb: number;
  publishS: number;
}

/** BENCH_SHAPE_TRACE=1 prints the router's counters every 5 s while a shape runs (to stderr). */
const TRACE = process.env.BENCH_SHAPE_TRACE === '1';
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The simulator's connect target for a runtime: each device logs in with the secret the runtime wrote to
 * `$DATA_DIR/devices/<id>.secret`.
 */
export function runtimeTarget(mqttPort: number, dataDir: string): Target {
  return localTarget(`mqtt://127.0.0.1:${mqttPort}`, {
    secret: (id) => readFileSync(deviceSecretFile(dataDir, id), 'utf8').trim(),
  });
}

/**
 * Runs one fleet shape against the local runtime in a child process (as `npm start` runs it, on free ports and a
 * fresh data dir), sampling the child's VmRSS and the router's backlog every 250 ms, then counts what was stored.
 */
export async function runFleetShape(
  shape: FleetShape,
  options: { drainCapS: number; seed?: number },
): Promise<ShapeResult> {
  const dir = await makeTempDir('pamir-shape-');
  const dataDir = join(dir, 'data');
  try {
    let fleet: Fleet;
    let fleetFile: string | undefined;
    if (shape.kind === 'live') {
      const water = Math.round(shape.devices * 0.75);
      fleet = generateFleet({
        water,
        bins: shape.devices - water,
        townships: Math.max(1, Math.ceil(shape.devices / 100)),
        seed: options.seed ?? 1,
        intervalS: shape.intervalS,
      });
      fleetFile = join(dir, 'fleet.json');
      await writeFleet(fleetFile, fleet);
    } else {
      fleet = (await readFleetFile()).fleet;
    }
    const devices: Device[] = fleetDevices(fleet);

    const runtime = await startRuntimeProcess({ dataDir, ...(fleetFile ? { fleetFile } : {}) });
    let peakRss = 0;
    let peakBacklog = 0;
    let last: RuntimeStats | undefined;
    let publishEnded: number | undefined;
    let drainedAt: number | undefined;
    const stats = new RunStats();
    let sampling = true;
    let traced = 0;
    const sampler = (async () => {
      while (sampling) {
        const [rss, s] = await Promise.all([runtime.rss(), runtime.stats()]);
        peakRss = Math.max(peakRss, rss);
        peakBacklog = Math.max(peakBacklog, s.backlog);
        last = s;
        const now = Date.now();
        if (TRACE && now - traced >= 5_000) {
          traced = now;
          console.error(
            `  [${shape.name}] delivered ${s.delivered} backlog ${s.backlog} drain/s ${s.drainRatePerS} retried ${s.retried} timedOut ${s.timedOut} rss ${Math.round(rss / 2 ** 20)} MB`,
          );
        }
        if (
          publishEnded !== undefined &&
          drainedAt === undefined &&
          s.backlog === 0 &&
          s.received >= stats.acked
        ) {
          drainedAt = now;
        }
        await sleep(250);
      }
    })();

    try {
      const now = Date.now();
      const result = await runSimulation({
        fleet,
        devices,
        specs: [],
        seed: options.seed ?? 1,
        target: runtimeTarget(runtime.mqttPort, dataDir),
        speed: 1,
        batchSize: shape.kind === 'burst' ? 1 : 100,
        basicIngest: false,
        record: false,
        stats,
        // With backpressure the broker holds PUBACKs while the backlog drains; wait for them as long as for the drain.
        drainTimeoutMs: options.drainCapS * 1000,
        ...(shape.kind === 'live'
          ? { mode: 'live' as const, durationMs: shape.durationS * 1000, intervalS: shape.intervalS }
          : {
              mode: 'backfill' as const,
              intervalS: 1,
              from: now - 2 * 3_600_000,
              to: now - 2 * 3_600_000 + shape.messagesPerDevice * 1000,
              samplesPerDevice: shape.messagesPerDevice,
            }),
      });
      publishEnded = result.publishEndedAt;
      const publishS = (result.publishEndedAt - result.startedAt) / 1000;
      const deadline = publishEnded + options.drainCapS * 1000;
      while (drainedAt === undefined && Date.now() < deadline) await sleep(250);
      sampling = false;
      await sampler;

      const api = { base: `http://127.0.0.1:${runtime.httpPort}`, token: runtime.apiToken };
      let stored = 0;
      const from = result.simStart - 60_000;
      const to = Math.max(result.simEnd, Date.now()) + 60_000;
      for (const d of devices) stored += (await readAllReadings(api, d.id, from, to)).length;
      const delivered = last?.delivered ?? 0;
      const endedAt = drainedAt ?? Date.now();
      return {
        shape: shape.name,
        devices: devices.length,
        sent: stats.sent,
        acked: stats.acked,
        publishedPerS: round(stats.sent / publishS),
        stored,
        lost: drainedAt === undefined ? null : Math.max(0, stats.acked - stored),
        storedPerS: round(delivered / ((endedAt - result.startedAt) / 1000)),
        peakBacklog,
        drainS: drainedAt === undefined ? null : round((drainedAt - result.publishEndedAt) / 1000),
        peakRssMb: Math.round(peakRss / 2 ** 20),
        publishS: round(publishS),
      };
    } finally {
      sampling = false;
      await sampler.catch(() => undefined);
      await runtime.stop();
    }
  } finally {
    await removeTempDir(dir);
  }
}

/**
 * dynalite's own write ceiling: BatchWriteItem requests of 25 reading items, `concurrency` in flight, against a fresh
 * on-disk dynalite on a worker thread of this process (as the runtime runs it) for `seconds`. Items per second.
 */
export async function batchWriteCeiling(options: { seconds: number; concurrency: number }): Promise<number> {
  const dir = await makeTempDir('pamir-ceiling-');
  // On a worker thread, as the runtime runs it.
  const dynamo = await startLocalDynamo({ dir, offThread: true });
  const doc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
  try {
    const base = Date.now() - 3_600_000;
    let seq = 0;
    let written = 0;
    const end = performance.now() + options.seconds * 1000;
    const started = performance.now();
    const worker = async () => {
      while (performance.now() < end) {
        const items = Array.from({ length: 25 }, () => {
          const n = seq++;
          return toReadingItem(`dev-${n % 1000}`, sample(base + n, n), base, 400);
        });
        const out = await doc.send(
          new BatchWriteCommand({
            RequestItems: { [dynamo.tableNames.readings]: items.map((Item) => ({ PutRequest: { Item } })) },
          }),
        );
        const unprocessed = out.UnprocessedItems?.[dynamo.tableNames.readings]?.length ?? 0;
        written += items.length - unprocessed;
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    return round(written / ((performance.now() - started) / 1000));
  } finally {
    doc.destroy();
    await dynamo.stop();
    await removeTempDir(dir);
  }
}
