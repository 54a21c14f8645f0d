/**
 * DynamoDB requests per ingest batch, by operation, for the two fleet shapes: batches of 100 single-sample messages
 * from the example county's 18 devices (about 5.5 per device) and from 100 distinct devices of a generated
 * 1,000-device fleet (one each). The ingest handler runs in this process against dynalite, warm (registry cached,
 * heartbeats written, detector states stored) with `history` readings per device already stored, as it is a minute
 * into a run: the history reads return what they would there, so read units and time per batch are the shape's.
 * Run it with `npx tsx test/bench/calls-per-batch.ts` (about 2 min; `CALLS_HISTORY=0` for an empty table).
 */
import './log-level';
import { performance } from 'node:perf_hooks';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { generateFleet } from '../../device-sim/fleet';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import { createService, ingestDeps, readServiceConfig } from '../../functions/composition';
import { toReadingItem } from '../../functions/core/reading-item';
import { type Device, fleetDevices } from '../../functions/core/registry';
import { buildIngestHandler } from '../../functions/handlers/ingest-handler';
import { readFleetFile } from '../../infra/fleet/read-fleet';
import { LOCAL_AWS, startLocalDynamo } from '../../infra/local/dynamo';
import { envelopeBody, lambdaContext, sqsRecord } from '../helpers/aws-events';
import { binMetrics, waterMetrics } from '../helpers/telemetry';
import { countCapacity } from './capacity';

export interface CallsPerBatch {
  shape: string;
  devicesPerBatch: number;
  /** Mean requests per batch of 100 messages, by SDK command name, and all together. */
  requests: Record<string, number>;
  total: number;
  /** Read and write units per batch (ReturnConsumedCapacity). */
  readUnits: number;
  writeUnits: number;
  /** Readings stored per device before the first batch. */
  history: number;
  /** Handler time per batch in this process (dynalite in the same process unless it runs off-thread), ms. */
  msPerBatch: number;
}

const RECORDS = 100;

function batches(devices: readonly Device[], perBatch: number, count: number, first: number, t0: number) {
  const events: SQSEvent[] = [];
  for (let b = 0; b < count; b++) {
    const records = [];
    for (let r = 0; r < RECORDS; r++) {
      const i = (first + b) * RECORDS + r;
      // Round-robin over `perBatch` devices of the batch's slice of the fleet: each message one sample, 1 s apart.
      const device = devices[(((first + b) * perBatch) % devices.length) + (r % perBatch)] as Device;
      // The fleet's clock: each device one sample a second, so a device's samples are 1 s apart in both shapes.
      const seq = i;
      const ts = t0 + Math.floor((i * 1000) / devices.length);
      const m = device.kind === 'water' ? waterMetrics(seq) : binMetrics(seq);
      const payload = Buffer.from(JSON.stringify({ v: 1, ts, seq, m, battery_pct: 80 }));
      records.push(sqsRecord(envelopeBody(`dt/${device.kind}/${device.id}`, payload, device.id, ts + 500)));
    }
    events.push({ Records: records });
  }
  return events;
}

/** `count` readings per device, 1 s apart, ending just before `t0`: what a minute of the live shape leaves. */
async function storeHistory(
  doc: ReturnType<typeof documentClient>,
  table: string,
  devices: readonly Device[],
  count: number,
  t0: number,
) {
  const items = devices.flatMap((d) =>
    Array.from({ length: count }, (_, k) => {
      const ts = t0 - (count - k) * 1000;
      const m = d.kind === 'water' ? waterMetrics(k) : binMetrics(k);
      return toReadingItem(d.id, { ts, seq: k, m, batteryPct: 80 }, ts + 500, 400);
    }),
  );
  const requests: (typeof items)[] = [];
  for (let i = 0; i < items.length; i += 25) requests.push(items.slice(i, i + 25));
  // Eight requests in flight; unprocessed items written again until none are left.
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let r = w; r < requests.length; r += 8) {
        let batch = (requests[r] ?? []).map((Item) => ({ PutRequest: { Item } }));
        while (batch.length > 0) {
          const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: batch } }));
          batch = (out.UnprocessedItems?.[table] ?? []) as typeof batch;
        }
      }
    }),
  );
}

/** Counts requests per batch for both shapes, `measured` batches each after `warm` batches. */
export async function callsPerBatch(
  options: { warm?: number; measured?: number; history?: number } = {},
): Promise<CallsPerBatch[]> {
  const warm = options.warm ?? 20;
  const measured = options.measured ?? 20;
  const history = options.history ?? 60;
  const county = fleetDevices((await readFleetFile()).fleet);
  const fleet = fleetDevices(generateFleet({ water: 750, bins: 250, townships: 10, seed: 1, intervalS: 1 }));
  const results: CallsPerBatch[] = [];
  for (const [shape, devices, perBatch] of [
    ['18 devices', county, county.length],
    ['1,000 devices', fleet, 100],
  ] as const) {
    // As the local runtime runs it: on a worker thread.
    const dynamo = await startLocalDynamo({ offThread: true });
    const doc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
    try {
      const config = readServiceConfig({ ...process.env, ...dynamo.tableEnv });
      const service = createService(config, doc, {
        notifier: { send: async () => ({ recipients: 0, messageIds: [] }) },
        live: { alarmChanged: async () => undefined },
        subscriptionChannel: { route: async () => undefined, unroute: async () => undefined },
      });
      await service.registry.putMany(devices);
      const t0 = Date.now() - 3_600_000;
      await storeHistory(doc, dynamo.tableNames.readings, devices, history, t0);
      const capacity = countCapacity(doc);
      const handler = buildIngestHandler(ingestDeps(service));
      // Enough warm batches that every device of the shape has reported once (registry cached, heartbeat written).
      const warmCount = Math.max(warm, Math.ceil(devices.length / perBatch));
      for (const event of batches(devices, perBatch, warmCount, 0, t0))
        await handler(event, lambdaContext('ingest'));
      capacity.reset();
      const started = performance.now();
      for (const event of batches(devices, perBatch, measured, warmCount, t0))
        await handler(event, lambdaContext('ingest'));
      const ms = (performance.now() - started) / measured;
      const requests = Object.fromEntries(
        Object.entries(capacity.counts.requests)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, n]) => [k.replace(/Command$/, ''), Math.round((n / measured) * 10) / 10]),
      );
      results.push({
        shape,
        devicesPerBatch: Math.min(perBatch, devices.length),
        requests,
        total: Math.round(Object.values(requests).reduce((a, b) => a + b, 0) * 10) / 10,
        readUnits: Math.round((capacity.counts.readUnits / measured) * 10) / 10,
        writeUnits: Math.round((capacity.counts.writeUnits / measured) * 10) / 10,
        history,
        msPerBatch: Math.round(ms),
      });
    } finally {
      doc.destroy();
      await dynamo.stop();
    }
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const history = process.env.CALLS_HISTORY === undefined ? undefined : Number(process.env.CALLS_HISTORY);
  for (const r of await callsPerBatch(history === undefined ? {} : { history }))
    console.log(JSON.stringify(r));
}
