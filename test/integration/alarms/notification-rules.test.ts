import { afterEach, describe, expect, it } from 'vitest';
import { sweepDeps } from '../../../functions/composition';
import type { Device } from '../../../functions/core/registry';
import { smsLength } from '../../../functions/core/sms/gsm7';
import { BACKFILL_QUIET_MS, runAlarmSweep } from '../../../functions/use-cases/alarm-sweep';
import { fleetDevice, type Harness, startHarness } from './harness';

const START = Date.UTC(2026, 10, 28, 2, 0, 0);
const MIN = 60_000;

/** A plant outlet with a Chinese site name, as operators' SMS show it. */
const outlet: Device = {
  ...fleetDevice(1),
  id: 'wq-outlet',
  siteId: 'plant-a',
  siteName: 'Plant A',
  siteNameZh: '甲水厂',
};

const operators = (h: Harness) => h.sent.filter((n) => n.audience === 'operators');
const kinds = (h: Harness) => operators(h).map((n) => n.kind);
const sample = (i: number, chlorine: number) => ({
  ts: START + i * MIN,
  seq: i,
  m: { free_chlorine_mg_l: chlorine, ph: 7.2 + (i % 3) * 0.01 },
});

describe('notification rules on real data', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.stop();
  });

  /** One live sample a minute: received a second after it was taken. */
  async function live(i: number, chlorine: number) {
    h.clock.t = START + i * MIN + 1000;
    expect(await h.ingest(outlet.id, 'water', [{ v: 1, ...sample(i, chlorine) }])).toEqual([]);
  }

  it('sends one raise SMS per period for a flapping alarm; the re-raises are recorded with their SMS folded', async () => {
    h = await startHarness([outlet], START);
    const flap = [0.1, 0.1, 0.6, 0.1, 0.1, 0.6, 0.1, 0.1, 0.6];
    for (const [i, c] of flap.entries()) await live(i, c);
    // Raised, cleared, raised again twice within the hour: one raise and one clear SMS, the rest folded.
    expect(kinds(h)).toEqual(['raised', 'cleared']);
    const [alarm] = (await h.service.alarms.list({ status: 'open', limit: 10 })).items;
    const detail = await h.service.alarms.get(alarm?.alarmId as string, 100);
    expect(detail?.history.filter((e) => e.to === 'active_unack')).toHaveLength(3);
    expect(detail?.notifications.map((n) => [n.kind, n.suppressed ?? 'sent'])).toEqual([
      ['raised', 'sent'],
      ['cleared', 'sent'],
      ['raised', 'flapping'],
      ['cleared', 'flood'],
      ['raised', 'flapping'],
      ['cleared', 'flood'],
    ]);
    // After the period a re-raise sends again.
    await live(70, 0.1);
    await live(71, 0.1);
    expect(kinds(h)).toEqual(['raised', 'cleared', 'raised']);
  });

  it('stops reminders after REMINDER_MAX and still escalates once', async () => {
    h = await startHarness([outlet], START, { REMINDER_MAX: '2' });
    await live(0, 0.1);
    await live(1, 0.1);
    for (let k = 0; k < 8; k++) {
      h.clock.advance(31 * MIN);
      await runAlarmSweep(sweepDeps(h.service));
    }
    const sent = h.sent.map((n) => n.kind);
    expect(sent.filter((k) => k === 'reminder')).toHaveLength(2);
    expect(sent.filter((k) => k === 'escalation')).toHaveLength(1);
    const chlorine = (await h.service.alarms.list({ status: 'open', limit: 10 })).items.find(
      (a) => a.condition === 'limit:free_chlorine_mg_l:min',
    );
    expect(chlorine?.remindersSent).toBe(2);
  });

  /** Chlorine over a night offline, received at once when the device comes back at 03:00. */
  const night = [0.6, 0.6, 0.1, 0.1, 0.1, 0.6, 0.6, 0.6, 0.1, 0.1, 0.1, 0.1];
  const BACK = START + 60 * MIN;
  const backfill = (from: number, to: number) => ({
    v: 1,
    samples: night.slice(from, to).map((c, k) => sample(from + k, c)),
  });

  it('summarises the episodes over before a backfill ended in one SMS, and sends the one still active saying since when', async () => {
    h = await startHarness([outlet], START);
    h.clock.t = BACK;
    // Two ingest batches of one backfill, the first delivered twice.
    expect(await h.ingest(outlet.id, 'water', [backfill(0, 7)], BACK)).toEqual([]);
    expect(await h.ingest(outlet.id, 'water', [backfill(0, 7)], BACK)).toEqual([]);
    expect(await h.ingest(outlet.id, 'water', [backfill(7, 12)], BACK)).toEqual([]);
    expect(h.sent).toEqual([]);
    // The device is live again: the backfill is over.
    h.clock.t = BACK + 1000;
    await h.ingest(outlet.id, 'water', [{ v: 1, ...sample(60, 0.1) }], BACK + 1000);
    expect(kinds(h)).toEqual(['raised', 'digest']);
    const [raised, summary] = operators(h);
    // The episode still active is sent as it began: the sample that raised it, late.
    expect(raised?.text.en).toMatch(/^UNSAFE WATER: .*sampled 10:09 UTC\+8 \(late\)/);
    expect(summary?.text.en).toMatch(
      /^BACKFILL: Plant A.*while offline 10:03-10:05 UTC\+8, 1 episode, all over: 1 low free chlorine\./,
    );
    expect(summary?.text.zh).toMatch(
      /^补传数据：甲水厂.*离线期间10:03–10:05共1次异常均已恢复：游离氯偏低1次/,
    );
    expect(smsLength(summary?.text.en as string, 'en')).toBeLessThanOrEqual(160);
    expect(smsLength(summary?.text.zh as string, 'zh')).toBeLessThanOrEqual(70);
    // Both episodes are recorded: one alarm (never acknowledged, so the second episode re-activated it), with its history.
    const open = (await h.service.alarms.list({ status: 'open', limit: 10 })).items;
    expect(open.map((a) => [a.condition, a.late, a.state])).toEqual([
      ['limit:free_chlorine_mg_l:min', true, 'active_unack'],
    ]);
    const detail = await h.service.alarms.get(open[0]?.alarmId as string, 100);
    expect(detail?.history.map((e) => e.to)).toEqual([
      'active_unack',
      'cleared_unack',
      'active_unack',
      'active_unack',
    ]);
    // Redelivered after it all: nothing more is sent.
    await h.ingest(outlet.id, 'water', [backfill(0, 7)], BACK);
    await h.ingest(outlet.id, 'water', [{ v: 1, ...sample(60, 0.1) }], BACK + 1000);
    h.clock.advance(6 * MIN);
    await runAlarmSweep(sweepDeps(h.service));
    expect(kinds(h).filter((k) => k !== 'reminder')).toEqual(['raised', 'digest']);
  });

  it('sends at once, marked late, an alarm from delayed single-sample messages: they are not a backfill', async () => {
    h = await startHarness([outlet], START);
    h.clock.t = BACK;
    for (const i of [2, 3]) await h.ingest(outlet.id, 'water', [{ v: 1, ...sample(i, 0.1) }], BACK);
    expect(kinds(h)).toEqual(['raised']);
    expect(operators(h)[0]?.text.en).toMatch(/\(late\)/);
  });

  it('ends a backfill the device does not follow with live data after it has been quiet, once', async () => {
    h = await startHarness([outlet], START);
    h.clock.t = BACK;
    await h.ingest(outlet.id, 'water', [backfill(0, 12)], BACK);
    h.clock.advance(BACKFILL_QUIET_MS - MIN);
    await runAlarmSweep(sweepDeps(h.service));
    expect(kinds(h)).toEqual([]);
    h.clock.advance(2 * MIN);
    await runAlarmSweep(sweepDeps(h.service));
    await runAlarmSweep(sweepDeps(h.service));
    expect(kinds(h)).toEqual(['raised', 'digest']);
  });
});
