import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ingestDeps, sweepDeps } from '../../../functions/composition';
import { HEALTH_LOG_EVENTS } from '../../../functions/contract';
import { TooManyRequestsError } from '../../../functions/core/errors';
import { itemSize } from '../../../functions/core/reading-item';
import type { Device } from '../../../functions/core/registry';
import { logger } from '../../../functions/shared/logger';
import { EVALUATION_STUCK, runAlarmSweep } from '../../../functions/use-cases/alarm-sweep';
import { type IngestRecord, ingestTelemetry } from '../../../functions/use-cases/ingest-telemetry';
import { waterDevice } from '../../unit/alarms/fixtures';
import { type Harness, startHarness } from './harness';

const START = Date.UTC(2026, 10, 28, 2, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

const outlet: Device = waterDevice({ id: 'wq-outlet' });

const sample = (i: number, chlorine: number) => ({
  v: 1,
  ts: START + i * MIN,
  seq: i,
  m: { free_chlorine_mg_l: chlorine, ph: 7.2 + (i % 3) * 0.01 },
});

/** The alarm item as DynamoDB stores it, and its size as DynamoDB counts it. */
async function storedSize(h: Harness, alarmId: string): Promise<number> {
  const out = await h.doc.send(
    new GetCommand({ TableName: h.dynamo.tableEnv.ALARMS_TABLE, Key: { alarmId }, ConsistentRead: true }),
  );
  if (!out.Item) throw new Error(`alarm ${alarmId} is not stored`);
  return itemSize(out.Item);
}

/** A bound no alarm item comes near: the fields are bounded, history and notifications are log items. */
const ALARM_ITEM_MAX_BYTES = 4096;

describe('alarm bookkeeping is bounded and never costs telemetry (dynalite)', () => {
  let h: Harness;
  afterEach(async () => {
    vi.restoreAllMocks();
    await h.stop();
  });

  async function publish(i: number, chlorine: number) {
    h.clock.t = START + i * MIN + 1000;
    expect(await h.ingest(outlet.id, 'water', [sample(i, chlorine)])).toEqual([]);
  }

  async function openAlarm() {
    const [alarm] = (await h.service.alarms.list({ status: 'open', limit: 10 })).items;
    if (!alarm) throw new Error('no open alarm');
    return alarm;
  }

  it('keeps the alarm item small through 1,000 shelves; later transitions and telemetry still work', async () => {
    h = await startHarness([outlet], START, { SHELVE_MAX_PER_DAY: '1000' });
    await publish(0, 0.1);
    await publish(1, 0.1);
    const { alarmId } = await openAlarm();
    const before = await storedSize(h, alarmId);
    for (let i = 0; i < 1000; i++) {
      await h.service.engine.shelve(alarmId, h.clock.now() + 10 * MIN, `sensor swap, try ${i}`, 'eng-1');
      h.clock.advance(50);
    }
    const after = await storedSize(h, alarmId);
    expect(after).toBeLessThan(ALARM_ITEM_MAX_BYTES);
    expect(after - before).toBeLessThan(200);

    const detail = await h.service.alarms.get(alarmId);
    expect(detail?.historyCount).toBe(1001);
    expect(detail?.history).toHaveLength(100);
    expect(detail?.history.at(-1)?.note).toMatch(/^sensor swap, try 999 /);
    expect((await h.service.alarms.get(alarmId, 5))?.history.map((e) => e.to)).toEqual(
      Array(5).fill('shelved'),
    );

    await h.service.engine.acknowledge(alarmId, 'operator-1', 'pump fixed');
    await publish(5, 0.5);
    await publish(6, 0.52);
    const closed = await h.service.alarms.get(alarmId, 2);
    expect(closed).toMatchObject({ state: 'closed', status: 'closed', historyCount: 1003 });
    expect(closed?.history.map((e) => e.to)).toEqual(['active_ack', 'closed']);
    expect(closed?.notifications.map((n) => n.kind)).toEqual(['raised', 'cleared']);
    const stored = await h.service.readings.query({
      deviceId: outlet.id,
      from: 0,
      to: START + HOUR,
      limit: 10,
    });
    expect(stored.items.map((i) => i.seq)).toEqual([0, 1, 5, 6]);
  });

  it('limits shelving per alarm and day with a 429 that says when shelving is possible again', async () => {
    h = await startHarness([outlet], START, { SHELVE_MAX_PER_DAY: '3' });
    await publish(0, 0.1);
    await publish(1, 0.1);
    const { alarmId } = await openAlarm();
    for (let i = 0; i < 3; i++)
      await h.service.engine.shelve(alarmId, h.clock.now() + MIN, 'flushing', 'eng-1');
    const refused = h.service.engine.shelve(alarmId, h.clock.now() + MIN, 'flushing', 'eng-1');
    await expect(refused).rejects.toBeInstanceOf(TooManyRequestsError);
    await expect(refused).rejects.toMatchObject({ status: 429 });
    await expect(refused).rejects.toThrow(
      /shelved 3 times in the last 24 h.*SHELVE_MAX_PER_DAY.*after 2026-11-29T/,
    );
    expect((await h.service.alarms.head(alarmId))?.historyCount).toBe(4);
    h.clock.advance(24 * HOUR);
    await expect(
      h.service.engine.shelve(alarmId, h.clock.now() + MIN, 'flushing', 'eng-1'),
    ).resolves.toMatchObject({ shelvesInWindow: 1 });
  });

  it('stores and acknowledges the samples when evaluation fails once; the sweep evaluates them again', async () => {
    h = await startHarness([outlet], START);
    const alarms = h.service.alarms;
    const openIndex = alarms.openIndex.bind(alarms);
    let failures = 1;
    alarms.openIndex = async (deviceId) => {
      if (failures-- > 0) throw new Error('ProvisionedThroughputExceededException');
      return openIndex(deviceId);
    };
    h.clock.t = START + 2 * MIN;
    const batch = {
      v: 1,
      samples: [0, 1, 2].map((i) => ({ ts: START + i * MIN, seq: i, m: { free_chlorine_mg_l: 0.1 } })),
    };
    expect(await h.ingest(outlet.id, 'water', [batch])).toEqual([]);
    expect(
      (await h.service.readings.query({ deviceId: outlet.id, from: 0, to: START + HOUR, limit: 10 })).items,
    ).toHaveLength(3);
    expect(h.sent).toHaveLength(0);
    expect(await alarms.pendingEvaluations()).toEqual([
      expect.objectContaining({ deviceId: outlet.id, fromTs: START, toTs: START + 2 * MIN, failures: 1 }),
    ]);

    h.clock.advance(MIN);
    const result = await runAlarmSweep(sweepDeps(h.service));
    expect(result).toMatchObject({ reevaluated: 1, stuckEvaluations: 0 });
    expect(h.sent.map((n) => [n.kind, n.severity, n.audience])).toEqual([
      ['raised', 'critical', 'operators'],
    ]);
    expect(await openAlarm()).toMatchObject({
      condition: 'limit:free_chlorine_mg_l:min',
      sampleTs: START + MIN,
    });
    expect(await alarms.pendingEvaluations()).toEqual([]);
    await runAlarmSweep(sweepDeps(h.service));
    expect(h.sent).toHaveLength(1);
  });

  it('tells engineers through a logged metric line when an evaluation keeps failing, and recovers', async () => {
    h = await startHarness([outlet], START);
    const alarms = h.service.alarms;
    const openIndex = alarms.openIndex.bind(alarms);
    let broken = true;
    alarms.openIndex = async (deviceId) => {
      if (broken) throw new Error('index item unreadable');
      return openIndex(deviceId);
    };
    const errors = vi.spyOn(logger, 'error');
    const stuck = () =>
      errors.mock.calls.filter(([message]) => message === HEALTH_LOG_EVENTS.evaluationStuck);
    await publish(0, 0.1);
    await publish(1, 0.1);
    expect((await alarms.pendingEvaluations())[0]).toMatchObject({ fromTs: START, toTs: START + MIN });

    const results = [];
    for (let i = 0; i < EVALUATION_STUCK.failures; i++) {
      h.clock.advance(MIN);
      results.push(await runAlarmSweep(sweepDeps(h.service)));
    }
    // Two ingest failures, then sweeps: the fifth failure overall is the first stuck one.
    expect(results.map((r) => r.stuckEvaluations)).toEqual([0, 0, 1, 1, 1]);
    expect(stuck()[0]?.[1]).toMatchObject({
      deviceId: outlet.id,
      fromTs: START,
      toTs: START + MIN,
      failures: 5,
    });
    const toOperators = () => h.sent.filter((n) => n.audience === 'operators');
    expect(toOperators()).toHaveLength(0);

    broken = false;
    h.clock.advance(MIN);
    expect(await runAlarmSweep(sweepDeps(h.service))).toMatchObject({ reevaluated: 1, stuckEvaluations: 0 });
    expect(toOperators().map((n) => [n.kind, n.severity])).toEqual([['raised', 'critical']]);
    expect(await alarms.pendingEvaluations()).toEqual([]);
  });

  it('finds silent devices among 1,000 with a bounded number of DynamoDB calls per sweep', async () => {
    const fleet: Device[] = Array.from({ length: 1000 }, (_, i) => ({
      ...outlet,
      id: `wq-${String(i).padStart(4, '0')}`,
      siteId: `site-${i % 50}`,
      // Offline after 15 minutes: the reporting devices stay fresh through the sweeps below.
      intervalS: 300,
    }));
    const silent = new Set(fleet.filter((_, i) => i % 50 === 7).map((d) => d.id));
    const neverSeen = new Set(fleet.filter((_, i) => i % 50 === 13).map((d) => d.id));
    h = await startHarness(fleet, START);
    const now = START + HOUR;
    const records: IngestRecord[] = fleet
      .filter((d) => !neverSeen.has(d.id))
      .map((d) => {
        const ts = silent.has(d.id) ? now - 30 * MIN : now - MIN;
        return {
          messageId: `m-${d.id}`,
          body: JSON.stringify({
            payload: Buffer.from(JSON.stringify({ v: 1, ts, seq: 1, m: { ph: 7.2 } })).toString('base64'),
            topic: `dt/water/${d.id}`,
            clientId: d.id,
            receivedAt: ts,
          }),
        };
      });
    h.clock.t = now - MIN;
    const deps = ingestDeps(h.service);
    for (let i = 0; i < records.length; i += 100) {
      expect((await ingestTelemetry(records.slice(i, i + 100), deps)).failedMessageIds).toEqual([]);
    }

    let calls = 0;
    h.doc.middlewareStack.add(
      (next) => async (args) => {
        calls++;
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
    h.clock.t = now;
    const first = await runAlarmSweep(sweepDeps(h.service));
    expect(first.offlineRaised).toBe(silent.size);
    expect(first.offlineChecked).toBe(silent.size + neverSeen.size);
    const raised = (await h.service.alarms.list({ status: 'open', limit: 100 })).items;
    expect(new Set(raised.map((a) => a.deviceId))).toEqual(silent);
    expect(raised.every((a) => a.condition === 'offline')).toBe(true);

    // Later sweeps read heartbeats, not readings: the same few calls whatever the fleet size.
    for (const _ of [1, 2, 3]) {
      calls = 0;
      h.clock.advance(MIN);
      const later = await runAlarmSweep(sweepDeps(h.service));
      expect(later).toMatchObject({ offlineRaised: 0, offlineChecked: 0 });
      expect(calls).toBeLessThanOrEqual(8);
    }
  }, 300_000);
});
