import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepDeps } from '../../../functions/composition';
import type { Device } from '../../../functions/core/registry';
import { runAlarmSweep } from '../../../functions/use-cases/alarm-sweep';
import { type Harness, startHarness } from './harness';

const START = Date.UTC(2026, 10, 28, 2, 0, 0);
const MIN = 60_000;

const outlet: Device = {
  id: 'wq-outlet',
  kind: 'water',
  siteId: 'plant-a',
  siteName: 'Plant A',
  siteNameZh: '甲水厂',
  siteType: 'water_plant',
  township: 'Town',
  supplyClass: 'standard',
  disinfectant: 'free_chlorine',
  measurementPoint: 'plant_outlet',
  intervalS: 60,
  location: { lat: 37.7, lon: 75.2 },
};
const tap: Device = { ...outlet, id: 'wq-tap', measurementPoint: 'tap' };
/** What operators and their supervisors were sent (engineers also hear of offline devices in long tests). */
const toOperators = (h: Harness) => h.sent.filter((n) => n.audience !== 'engineers');

const sample = (i: number, chlorine: number, extra: Record<string, number> = {}) => ({
  v: 1,
  ts: START + i * MIN,
  seq: i,
  m: { free_chlorine_mg_l: chlorine, ph: 7.2 + (i % 3) * 0.01, temperature_c: 6 + i * 0.01, ...extra },
});

describe('alarm lifecycle against dynalite', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness([outlet, tap], START);
  });
  afterEach(async () => {
    await h.stop();
  });

  async function publish(i: number, chlorine: number, device = outlet) {
    h.clock.t = START + i * MIN + 1000;
    expect(await h.ingest(device.id, 'water', [sample(i, chlorine)])).toEqual([]);
  }

  it('raises one critical alarm on chlorine loss, acknowledges it, and clears it with one SMS each', async () => {
    await publish(0, 0.6);
    await publish(1, 0.1);
    expect(h.sent).toHaveLength(0);
    await publish(2, 0.1);
    await publish(3, 0.08);
    expect(h.sent.map((n) => [n.kind, n.severity, n.audience])).toEqual([
      ['raised', 'critical', 'operators'],
    ]);
    const [open] = (await h.service.alarms.list({ status: 'open', limit: 10 })).items;
    expect(open).toMatchObject({
      condition: 'limit:free_chlorine_mg_l:min',
      state: 'active_unack',
      value: 0.1,
      late: false,
    });

    await h.service.engine.acknowledge(open?.alarmId as string, 'operator-1', 'dosing pump restarted');
    await publish(4, 0.32);
    expect(h.sent).toHaveLength(1);
    await publish(5, 0.5);
    expect(h.sent.map((n) => n.kind)).toEqual(['raised', 'cleared']);
    const closed = await h.service.alarms.get(open?.alarmId as string);
    expect(closed).toMatchObject({ state: 'closed', status: 'closed', ackedBy: 'operator-1', pending: [] });
    expect(closed?.history.map((t) => t.to)).toEqual(['active_unack', 'active_ack', 'closed']);
    expect(closed?.notifications.map((n) => n.kind)).toEqual(['raised', 'cleared']);
    expect(h.live.map((e) => e.topic)).toContain('evt/alarms/plant-a');
  });

  it('sends no second SMS when the same batch is delivered again', async () => {
    const batch = {
      v: 1,
      samples: [sample(0, 0.1).ts, sample(1, 0.1).ts].map((ts, i) => ({
        ts,
        seq: i,
        m: { free_chlorine_mg_l: 0.1 },
      })),
    };
    h.clock.t = START + 2 * MIN;
    await h.ingest(outlet.id, 'water', [batch]);
    await h.ingest(outlet.id, 'water', [batch]);
    expect(h.sent).toHaveLength(1);
    expect((await h.service.alarms.list({ status: 'open', limit: 10 })).items).toHaveLength(1);
  });

  it('raises one alarm and one SMS for two concurrent invocations breaching the same condition', async () => {
    await publish(0, 0.1);
    h.clock.t = START + 3 * MIN;
    const a = {
      v: 1,
      samples: [1, 2].map((i) => ({ ts: START + i * MIN, seq: i, m: { free_chlorine_mg_l: 0.1 } })),
    };
    const b = {
      v: 1,
      samples: [3, 4].map((i) => ({ ts: START + i * MIN, seq: i, m: { free_chlorine_mg_l: 0.09 } })),
    };
    await Promise.all([
      h.ingest(outlet.id, 'water', [a]),
      h.ingest(outlet.id, 'water', [b]),
      h.ingest(outlet.id, 'water', [a]),
    ]);
    expect(h.sent).toHaveLength(1);
    expect((await h.service.alarms.list({ status: 'open', limit: 10 })).items).toHaveLength(1);
  });

  it('evaluates a backfilled batch in order, records the episode as late, and summarises it once the backfill is over', async () => {
    h.clock.t = START + 180 * MIN;
    const backfill = {
      v: 1,
      samples: [0.6, 0.6, 0.1, 0.1, 0.1, 0.6, 0.6].map((c, i) => ({
        ts: START + i * MIN,
        seq: i,
        m: { free_chlorine_mg_l: c },
      })),
    };
    await h.ingest(outlet.id, 'water', [backfill]);
    // Began and ended while the device was offline: no "unsafe water now" SMS, and no clear SMS either.
    expect(h.sent).toEqual([]);
    const alarm = (await h.service.alarms.list({ status: 'open', limit: 10 })).items[0];
    expect(alarm).toMatchObject({ late: true, sampleTs: START + 3 * MIN, state: 'cleared_unack' });
    // The device stays quiet: the sweep ends the backfill and sends its one summary.
    h.clock.advance(6 * MIN);
    await runAlarmSweep(sweepDeps(h.service));
    expect(toOperators(h).map((n) => [n.kind, n.audience])).toEqual([['digest', 'operators']]);
    expect(toOperators(h)[0]?.text.en).toMatch(/while offline .*1 episode.*low free chlorine/);
  });

  it('raises nothing for a device in maintenance', async () => {
    await h.service.registry.setMaintenance(outlet.id, true, 'calibration');
    for (let i = 0; i < 4; i++) await publish(i, 0.05);
    expect(h.sent).toHaveLength(0);
    expect((await h.service.alarms.list({ status: 'open', limit: 10 })).items).toHaveLength(0);
  });

  it('sends no SMS while shelved and reminds once shelving expires', async () => {
    await publish(0, 0.1);
    await publish(1, 0.1);
    const [alarm] = (await h.service.alarms.list({ status: 'open', limit: 10 })).items;
    await h.service.engine.shelve(alarm?.alarmId as string, h.clock.now() + 20 * MIN, 'sensor swap', 'eng-1');
    await expect(
      h.service.engine.shelve(
        alarm?.alarmId as string,
        h.clock.now() + 48 * 60 * MIN,
        'x'.repeat(5),
        'eng-1',
      ),
    ).rejects.toThrow(/at most 24 h/);
    h.clock.advance(10 * MIN);
    await runAlarmSweep(sweepDeps(h.service));
    expect(toOperators(h)).toHaveLength(1);
    h.clock.advance(15 * MIN);
    const result = await runAlarmSweep(sweepDeps(h.service));
    expect(result.unshelved).toBe(1);
    expect(toOperators(h).map((n) => n.kind)).toEqual(['raised', 'reminder']);
  });

  it('reminds while unacknowledged and escalates a critical alarm to supervisors', async () => {
    await publish(0, 0.1);
    await publish(1, 0.1);
    h.clock.advance(31 * MIN);
    await runAlarmSweep(sweepDeps(h.service));
    h.clock.advance(30 * MIN);
    await runAlarmSweep(sweepDeps(h.service));
    await runAlarmSweep(sweepDeps(h.service));
    expect(toOperators(h).map((n) => [n.kind, n.audience])).toEqual([
      ['raised', 'operators'],
      ['reminder', 'operators'],
      ['escalation', 'supervisors'],
    ]);
  });

  it('folds alarms beyond the flood limit into one digest', async () => {
    const devices: Device[] = Array.from({ length: 7 }, (_, i) => ({ ...tap, id: `wq-tap-${i}` }));
    await h.service.registry.putMany(devices);
    for (const d of devices) {
      h.clock.t = START + MIN;
      await h.ingest(d.id, 'water', [
        {
          v: 1,
          samples: [0, 1].map((i) => ({ ts: START + i * MIN, seq: i, m: { free_chlorine_mg_l: 0.01 } })),
        },
      ]);
    }
    expect(h.sent.filter((n) => n.kind === 'raised')).toHaveLength(5);
    h.clock.advance(11 * MIN);
    const result = await runAlarmSweep(sweepDeps(h.service));
    expect(result.digests).toBe(1);
    const digest = h.sent.filter((n) => n.kind === 'digest');
    expect(digest).toHaveLength(1);
    expect(digest[0]?.text.en).toMatch(/2/);
    await runAlarmSweep(sweepDeps(h.service));
    expect(h.sent.filter((n) => n.kind === 'digest')).toHaveLength(1);
  });

  it('raises an offline alarm for a silent device and clears it when data returns', async () => {
    await publish(0, 0.6);
    h.clock.advance(4 * MIN);
    const result = await runAlarmSweep(sweepDeps(h.service));
    expect(result.offlineRaised).toBe(1);
    expect(h.sent.map((n) => [n.kind, n.severity, n.audience])).toEqual([['raised', 'device', 'engineers']]);
    await runAlarmSweep(sweepDeps(h.service));
    expect(h.sent).toHaveLength(1);
    await publish(6, 0.6);
    expect(h.sent.map((n) => n.kind)).toEqual(['raised', 'cleared']);
  });
});
