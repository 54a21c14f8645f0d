import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestDeps, sweepDeps } from '../../../functions/composition';
import type { Device } from '../../../functions/core/registry';
import type { AlarmEngine } from '../../../functions/use-cases/alarm-engine';
import { REGISTRY_SNAPSHOT_MS, runAlarmSweep } from '../../../functions/use-cases/alarm-sweep';
import { evaluateAlarmsStage } from '../../../functions/use-cases/evaluate-alarms';
import {
  type IngestRecord,
  ingestTelemetry,
  type StoredMessage,
} from '../../../functions/use-cases/ingest-telemetry';
import { fleetDevice as device, type Harness, startHarness } from './harness';

const START = Date.UTC(2026, 10, 28, 2, 0, 0);
const MIN = 60_000;
const FLEET = 1_000;
/** Messages per ingest invocation, as the queue hands them over. */
const INVOCATION = 100;

const fleet = Array.from({ length: FLEET }, (_, n) => device(n));
/** The offline scenario runs the whole ingest (storage, evaluation) for a smaller fleet. */
const SMALL = fleet.slice(0, 40);

interface Call {
  command: string;
  table?: string;
  status?: unknown;
  /** Table write units DynamoDB reported (every write asks for them). */
  units: number;
}

/** Records every DynamoDB call of the harness, asking each write for the capacity it consumed. */
function recordCalls(h: Harness): Call[] {
  const calls: Call[] = [];
  h.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        TableName?: string;
        Item?: { status?: unknown };
        ReturnConsumedCapacity?: string;
      };
      const command = String(context.commandName);
      if (/Put|Update|BatchWrite/.test(command)) input.ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      const units = [consumed ?? []]
        .flat()
        .reduce((n: number, c) => n + ((c as { CapacityUnits?: number }).CapacityUnits ?? 0), 0);
      calls.push({
        command,
        ...(input.TableName ? { table: input.TableName } : {}),
        ...(input.Item?.status ? { status: input.Item.status } : {}),
        units,
      });
      return out;
    },
    { step: 'initialize', name: 'recordCalls' },
  );
  return calls;
}

/**
 * The ingest stage after storage for every device of the fleet, in invocations of 100 messages, over the real alarm
 * store; the engine is a stand-in, as only the heartbeats are counted here.
 */
async function fleetStored(h: Harness, stage: ReturnType<typeof evaluateAlarmsStage>): Promise<void> {
  const now = h.clock.now();
  const stored: StoredMessage[] = fleet.map((d) => ({
    messageId: `m-${d.id}-${now}`,
    device: d,
    message: {
      deviceId: d.id,
      kind: 'water',
      samples: [{ ts: now, seq: now / MIN, m: { free_chlorine_mg_l: 0.6, ph: 7.2 } }],
    },
    receivedAt: now,
  }));
  for (let i = 0; i < stored.length; i += INVOCATION) {
    expect(await stage(stored.slice(i, i + INVOCATION))).toEqual(new Set());
  }
}

/** One sample from each device of the small fleet (but `silent`), through the whole ingest. */
async function everyoneReports(h: Harness, silent: ReadonlySet<string> = new Set()): Promise<void> {
  const now = h.clock.now();
  const records: IngestRecord[] = SMALL.filter((d) => !silent.has(d.id)).map((d) => ({
    messageId: `m-${d.id}-${now}`,
    body: JSON.stringify({
      payload: Buffer.from(
        JSON.stringify({ v: 1, ts: now, seq: now / MIN, m: { free_chlorine_mg_l: 0.6, ph: 7.2 } }),
      ).toString('base64'),
      topic: `dt/water/${d.id}`,
      clientId: d.id,
      receivedAt: now,
    }),
  }));
  const deps = ingestDeps(h.service);
  for (let i = 0; i < records.length; i += INVOCATION) {
    expect((await ingestTelemetry(records.slice(i, i + INVOCATION), deps)).failedMessageIds).toEqual([]);
  }
}

describe('offline detection for a healthy fleet of 1,000 one-minute devices, against dynalite', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(fleet, START);
  });
  afterEach(async () => {
    await h.stop();
  });

  it('costs ingest one heartbeat batch write per invocation at most, and the sweep no per-device read', async () => {
    const calls = recordCalls(h);
    const evaluated: string[] = [];
    const engine = {
      evaluateDevice: async (d: Device) => void evaluated.push(d.id),
    } as unknown as AlarmEngine;
    const stage = evaluateAlarmsStage({ engine, alarms: h.service.alarms, clock: h.clock });
    const heartbeatWrites = () =>
      calls.filter((c) => c.table === h.dynamo.tableNames.alarms && /Put|Update|BatchWrite/.test(c.command));
    // Ten minutes of samples: a heartbeat is due on the first and then every third (the offline threshold).
    const perMinute: Call[][] = [];
    const sweeps: Call[][] = [];
    for (let minute = 0; minute < 10; minute++) {
      h.clock.t = START + minute * MIN;
      calls.splice(0);
      await fleetStored(h, stage);
      perMinute.push(heartbeatWrites());
      h.clock.t += 10_000;
      calls.splice(0);
      expect(await runAlarmSweep(sweepDeps(h.service))).toMatchObject({
        offlineChecked: 0,
        offlineRaised: 0,
      });
      sweeps.push(calls.splice(0));
    }

    // Ten invocations a minute; on a due minute each writes one heartbeat batch of 100 devices, else nothing.
    expect(perMinute.map((w) => w.length)).toEqual([10, 0, 0, 10, 0, 0, 10, 0, 0, 10]);
    for (const writes of perMinute.flat()) {
      expect(writes).toMatchObject({ command: 'PutItemCommand', status: 'heartbeat_batch' });
      // 100 entries, about 2 KB: a few units in the table (as many again in the index), not 3 per device.
      expect(writes.units).toBeGreaterThan(0);
      expect(writes.units).toBeLessThanOrEqual(3);
    }
    const monthlyPerDevice = (perMinute.flat().reduce((n, w) => n + 2 * w.units, 0) / FLEET) * (43_200 / 10);
    // Before: 3 units per device per threshold, 43,200 a month. Now well under a tenth of that.
    expect(monthlyPerDevice).toBeLessThan(43_200 / 10);

    // The sweep: the registry once (the first run is a full pass), no reading and no per-device item ever.
    for (const run of sweeps) {
      expect(run.filter((c) => c.table === h.dynamo.tableNames.readings)).toEqual([]);
      expect(
        run.filter((c) => c.command === 'GetItemCommand' || c.command === 'BatchGetItemCommand'),
      ).toEqual([]);
      expect(
        run.filter((c) => c.table === h.dynamo.tableNames.alarms && c.command !== 'QueryCommand'),
      ).toEqual([]);
    }
    expect(sweeps.flat().filter((c) => c.command === 'ScanCommand')).toHaveLength(1);
    expect(evaluated).toHaveLength(10 * FLEET);
  });
});

describe('an offline scenario end to end, 40 one-minute devices through the whole ingest, against dynalite', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(SMALL, START);
  });
  afterEach(async () => {
    await h.stop();
  });

  it('raises one offline alarm for a device gone silent, looks at it no more, and clears when it reports', async () => {
    const silent = new Set([SMALL[7]?.id as string]);
    const neverReported = 'wq-new';
    await h.service.registry.putMany([{ ...device(0), id: neverReported }]);
    await everyoneReports(h);
    h.clock.advance(10_000);
    await runAlarmSweep(sweepDeps(h.service));

    const results = [];
    for (let minute = 1; minute <= 8; minute++) {
      h.clock.t = START + minute * MIN;
      await everyoneReports(h, silent);
      h.clock.t += 10_000;
      results.push(await runAlarmSweep(sweepDeps(h.service)));
    }
    // The threshold (3 minutes) has passed at the sweep of 3:10; the alarm is raised once, then the silence is let be.
    expect(results.map((r) => r.offlineRaised)).toEqual([0, 0, 1, 0, 0, 0, 0, 0]);
    expect(results.map((r) => r.offlineChecked)).toEqual([0, 0, 1, 0, 0, 0, 0, 0]);
    expect(h.sent.filter((n) => n.kind === 'raised').map((n) => n.deviceId)).toEqual([...silent]);
    expect(await h.service.alarms.list({ status: 'open', limit: 10 })).toMatchObject({
      items: [{ deviceId: SMALL[7]?.id, condition: 'offline' }],
    });

    // Past the next full pass the never-reported device is still not alarmed.
    h.clock.t = START + REGISTRY_SNAPSHOT_MS + 2 * MIN;
    await everyoneReports(h, silent);
    expect(await runAlarmSweep(sweepDeps(h.service))).toMatchObject({ offlineRaised: 0 });

    // The device reports again: its offline alarm clears (engineers are told), and a later silence is
    // looked at again.
    h.clock.advance(MIN);
    await everyoneReports(h);
    expect(h.sent.map((n) => [n.deviceId, n.kind])).toEqual([
      [SMALL[7]?.id, 'raised'],
      [SMALL[7]?.id, 'cleared'],
    ]);
    const reported = h.clock.now();
    const checked = [];
    for (let minute = 1; minute <= 5; minute++) {
      h.clock.t = reported + minute * MIN;
      await everyoneReports(h, silent);
      h.clock.t += 10_000;
      checked.push((await runAlarmSweep(sweepDeps(h.service))).offlineChecked);
    }
    // The old offline mark does not hide the new silence: it is looked at (once) when its threshold has passed.
    expect(checked).toEqual([0, 0, 1, 0, 0]);
  });
});
