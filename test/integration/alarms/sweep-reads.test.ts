import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepDeps } from '../../../functions/composition';
import { REGISTRY_SNAPSHOT_MS, runAlarmSweep } from '../../../functions/use-cases/alarm-sweep';
import { fleetDevice as device, type Harness, startHarness } from './harness';

const START = Date.UTC(2026, 10, 28, 2, 0, 0);
const MIN = 60_000;
const FLEET = 1_000;

interface Read {
  command: string;
  table?: string;
  index?: string;
  items: number;
  /** Device entries among the items: a heartbeat batch counts one per device it holds. */
  entries: number;
}

/** Records every DynamoDB call of the harness's client with the items it returned. */
function recordReads(h: Harness): Read[] {
  const reads: Read[] = [];
  h.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const input = args.input as { TableName?: string; IndexName?: string };
      const output = out.output as {
        Items?: { seen?: object }[];
        Item?: unknown;
        Responses?: Record<string, unknown[]>;
      };
      reads.push({
        command: String(context.commandName),
        ...(input.TableName ? { table: input.TableName } : {}),
        ...(input.IndexName ? { index: input.IndexName } : {}),
        items:
          output.Items?.length ??
          (output.Item ? 1 : Object.values(output.Responses ?? {}).reduce((n, r) => n + r.length, 0)),
        entries:
          output.Items?.reduce((n, i) => n + (i.seen ? Object.keys(i.seen).length : 1), 0) ??
          (output.Item ? 1 : 0),
      });
      return out;
    },
    { step: 'initialize', name: 'recordReads' },
  );
  return reads;
}

describe('alarm sweep reads for a healthy fleet of 1,000 devices, against dynalite', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(
      Array.from({ length: FLEET }, (_, n) => device(n)),
      START,
    );
  });
  afterEach(async () => {
    await h.stop();
  });

  it('reads the registry and every heartbeat once per snapshot, and between them no device at all', async () => {
    const beat = () =>
      h.service.alarms.recordHeartbeats(
        Array.from({ length: FLEET }, (_, n) => ({ deviceId: device(n).id, lastSeenTs: h.clock.now() })),
        h.clock.now(),
      );
    expect(await beat()).toEqual([]);
    const reads = recordReads(h);

    h.clock.advance(MIN);
    const first = await runAlarmSweep(sweepDeps(h.service));
    const full = reads.splice(0);
    const runs: Read[][] = [];
    // Every minute for the rest of the snapshot, devices keep reporting: ingest moves a heartbeat once per offline
    // threshold (3 intervals of 60 s).
    for (let t = 2 * MIN; t < REGISTRY_SNAPSHOT_MS; t += MIN) {
      h.clock.t = START + t;
      if (t % (3 * MIN) === 0) await beat();
      reads.splice(0);
      expect(await runAlarmSweep(sweepDeps(h.service))).toMatchObject({
        offlineChecked: 0,
        offlineRaised: 0,
      });
      runs.push(reads.splice(0));
    }

    expect(first).toMatchObject({ offlineChecked: 0, offlineRaised: 0 });
    const itemsRead = (rs: Read[]) => rs.reduce((n, r) => n + r.items, 0);
    const entriesRead = (rs: Read[]) => rs.reduce((n, r) => n + r.entries, 0);
    // A full pass: the whole registry (a scan) and every heartbeat.
    expect(full.some((r) => r.command === 'ScanCommand' && r.items === FLEET)).toBe(true);
    expect(entriesRead(full)).toBeGreaterThanOrEqual(2 * FLEET);
    // Between full passes: no scan, no reading queried, no per-device item; only heartbeat batches (one item for
    // the whole fleet here): the newest already read, as each read overlaps the last by a minute, and a new one.
    for (const run of runs) {
      expect(run.filter((r) => r.command === 'ScanCommand')).toEqual([]);
      expect(run.filter((r) => r.table === h.dynamo.tableNames.readings)).toEqual([]);
      expect(run.filter((r) => r.items > 0 && r.index !== 'byStatus')).toEqual([]);
      expect(itemsRead(run)).toBeLessThanOrEqual(2);
    }
  });

  it('still finds a device gone silent between full passes, and reads only it', async () => {
    await h.service.alarms.recordHeartbeats(
      Array.from({ length: FLEET }, (_, n) => ({ deviceId: device(n).id, lastSeenTs: h.clock.now() })),
      h.clock.now(),
    );
    const silent = device(7);
    expect(
      await h.ingest(silent.id, 'water', [
        { v: 1, ts: START, seq: 0, m: { free_chlorine_mg_l: 0.6, ph: 7.2 } },
      ]),
    ).toEqual([]);
    h.clock.advance(MIN);
    await runAlarmSweep(sweepDeps(h.service));
    const reads = recordReads(h);

    // Everyone but the silent device reports again; its offline threshold passes before the next full pass.
    h.clock.advance(5 * MIN);
    await h.service.alarms.recordHeartbeats(
      Array.from({ length: FLEET }, (_, n) => device(n))
        .filter((d) => d.id !== silent.id)
        .map((d) => ({ deviceId: d.id, lastSeenTs: h.clock.now() })),
      h.clock.now(),
    );
    reads.splice(0);
    const result = await runAlarmSweep(sweepDeps(h.service));

    expect(result).toMatchObject({ offlineChecked: 1, offlineRaised: 1 });
    expect(reads.filter((r) => r.command === 'ScanCommand')).toEqual([]);
    expect(h.sent.map((n) => [n.deviceId, n.kind])).toEqual([[silent.id, 'raised']]);
  });
});
