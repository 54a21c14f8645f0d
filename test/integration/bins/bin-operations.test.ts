import '../../helpers/quiet-logs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiDeps } from '../../../functions/composition';
import type { Notification } from '../../../functions/core/alarm-types';
import type { Device } from '../../../functions/core/registry';
import { buildApiHandler } from '../../../functions/handlers/api-handler';
import { apiEvent, lambdaContext } from '../../helpers/aws-events';
import { fileDeadLetters } from '../../helpers/dead-letters';
import { binDevice } from '../../helpers/telemetry';
import { type Harness, startHarness } from '../alarms/harness';

const START = Date.UTC(2026, 10, 28, 2, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;
const Q = 15 * MIN;

const bazaar = binDevice('bin-a', { intervalS: 900, wasteStream: 'residual', siteId: 'market-a' });
const kitchen = binDevice('bin-b', { intervalS: 900, wasteStream: 'kitchen', siteId: 'market-a' });
const school = binDevice('bin-c', {
  intervalS: 900,
  wasteStream: 'recyclable',
  siteId: 'school-a',
  siteType: 'school',
  township: 'Hill Town',
});
const village = binDevice('bin-d', { intervalS: 900, siteId: 'village-a', siteType: 'village' });

/** One bin sample as the device sends it; `i` counts quarter hours from START. */
const reading = (i: number, m: Record<string, number | boolean>) => ({ ts: START + i * Q, seq: i, m });
const batch = (samples: ReturnType<typeof reading>[]) => ({ v: 1, samples });
const fills = (from: number, values: number[]) =>
  batch(
    values.map((f, k) => reading(from + k, { fill_pct: f, temperature_c: 4 + (k % 3) / 10, tilt: false })),
  );

describe('bin operations against dynalite', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness([bazaar, kitchen, school, village], START);
  });
  afterEach(async () => {
    await h.stop();
  });

  async function deliver(device: Device, payload: unknown, atIndex: number) {
    h.clock.t = START + atIndex * Q + 5000;
    return h.ingest(device.id, 'bin', [payload]);
  }

  async function api(routeKey: string, options: Parameters<typeof apiEvent>[1] = {}) {
    const handler = buildApiHandler(apiDeps(h.service, fileDeadLetters(tmpdir())));
    const res = await handler(apiEvent(routeKey, options), lambdaContext('api'));
    return { status: res.statusCode, body: JSON.parse(res.body ?? 'null') as Record<string, unknown> };
  }

  it('stores one collection event per emptying, however often the batch is delivered', async () => {
    expect(await deliver(bazaar, fills(0, [40, 48, 55, 61, 70, 77, 85]), 6)).toEqual([]);
    const emptied = fills(7, [5, 7]);

    for (let i = 0; i < 3; i++) expect(await deliver(bazaar, emptied, 8)).toEqual([]);

    const events = await h.service.binEvents.listForBin(bazaar.id, {
      from: START,
      to: START + HOUR * 24,
      limit: 10,
    });
    expect(events).toEqual([
      {
        binId: 'bin-a',
        ts: START + 7 * Q,
        seq: 7,
        township: 'Test Town',
        siteId: 'market-a',
        wasteStream: 'residual',
        fromPct: 85,
        toPct: 5,
        fromTs: START + 6 * Q,
        receivedAt: START + 8 * Q + 5000,
      },
    ]);
  });

  it('records nothing for a partial emptying or a knocked-over bin', async () => {
    await deliver(bazaar, fills(0, [60, 72, 80, 45, 48]), 4);
    await deliver(kitchen, fills(0, [70, 74]), 1);
    await deliver(kitchen, batch([reading(2, { fill_pct: 0, distance_mm: 1450, tilt: true })]), 2);

    const report = await h.service.binEvents.listForTownship('Test Town', {
      from: START,
      to: START + 24 * HOUR,
    });

    expect(report).toEqual([]);
  });

  it('keeps one event at the emptied reading when late readings arrive before it', async () => {
    await deliver(bazaar, fills(0, [50, 60, 70, 78]), 3);
    await deliver(bazaar, fills(8, [4]), 8);
    await deliver(bazaar, fills(4, [82, 86, 88, 90]), 9);

    const events = await h.service.binEvents.listForBin(bazaar.id, {
      from: START,
      to: START + 24 * HOUR,
      limit: 10,
    });

    expect(events.map((e) => [e.ts, e.fromTs, e.fromPct, e.toPct])).toEqual([
      [START + 8 * Q, START + 7 * Q, 90, 4],
    ]);
  });

  it('raises one critical fire alarm with one SMS each to sanitation and supervisors, even when redelivered', async () => {
    const fire = batch([
      reading(0, { fill_pct: 40, temperature_c: 4 }),
      reading(1, { fill_pct: 41, temperature_c: 4.2 }),
      reading(2, { fill_pct: 38, temperature_c: 71 }),
    ]);

    await deliver(village, fire, 2);
    await Promise.all([deliver(village, fire, 2), deliver(village, fire, 2)]);

    const sent = h.sent.filter((n) => n.deviceId === village.id);
    expect(sent.map((n) => [n.kind, n.audience, n.severity])).toEqual([
      ['raised', 'sanitation', 'critical'],
      ['raised', 'supervisors', 'critical'],
    ]);
    expect(sent[1]?.text.en).toMatch(/possible fire, temperature 71C/);
    const open = (await h.service.alarms.list({ status: 'open', limit: 10 })).items;
    expect(open.map((a) => [a.condition, a.severity, a.audience, a.alsoNotify])).toEqual([
      ['fire', 'critical', 'sanitation', ['supervisors']],
    ]);

    await deliver(village, fills(3, [38, 37]), 4);
    expect(h.sent.filter((n) => n.kind === 'cleared').map((n) => n.audience)).toEqual([
      'sanitation',
      'supervisors',
    ]);
  });

  it('sends the supervisors SMS once after a failed attempt, without repeating the sanitation SMS', async () => {
    const notifier = h.service.channels.notifier;
    const send = notifier.send.bind(notifier);
    let failures = 1;
    notifier.send = async (n: Notification) => {
      if (n.audience === 'supervisors' && failures-- > 0) throw new Error('SMS provider timeout');
      return send(n);
    };
    const fire = batch([reading(0, { temperature_c: 3 }), reading(1, { temperature_c: 66 })]);

    // The samples are stored and the message acknowledged; the failed evaluation waits as a pending marker.
    expect(await deliver(village, fire, 1)).toEqual([]);
    expect((await h.service.alarms.pendingEvaluations()).map((p) => p.deviceId)).toEqual([village.id]);
    expect(await deliver(village, fire, 1)).toEqual([]);
    expect(await deliver(village, fire, 1)).toEqual([]);

    expect(h.sent.map((n) => n.audience)).toEqual(['sanitation', 'supervisors']);
    const [alarm] = (await h.service.alarms.list({ status: 'open', limit: 10 })).items;
    const stored = await h.service.alarms.get(alarm?.alarmId as string);
    expect(stored?.notifications.map((n) => [n.kind, n.audience])).toEqual([
      ['raised', 'sanitation'],
      ['raised', 'supervisors'],
    ]);
    expect(stored?.pending).toEqual([]);
  });

  it('serves the collection list by urgency, the bin detail and the monthly collection report', async () => {
    // bin-a 5 %/h from 40 % (due in ~2 h), bin-b already above 80 %, bin-c 2 %/h from 20 % (due in ~1 day),
    // bin-d emptied an hour ago (not enough data).
    const hours = 12;
    const ramp = (start: number, perHour: number) =>
      Array.from({ length: hours * 4 + 1 }, (_, k) => start + (perHour * k) / 4 + ((k * 7) % 3) / 10);
    await deliver(bazaar, fills(0, ramp(10, 5)), 48);
    await deliver(kitchen, fills(0, ramp(60, 2.5)), 48);
    await deliver(school, fills(0, ramp(2, 2)), 48);
    await deliver(village, fills(0, [...ramp(30, 3).slice(0, 44), 6, 7, 8, 9, 10]), 48);
    h.clock.t = START + 48 * Q + MIN;

    const due = await api('GET /bins', { query: { needsCollectionWithin: 'PT6H' } });
    const all = await api('GET /bins', { query: {} });
    const bad = await api('GET /bins', { query: { needsCollectionWithin: '6h' } });
    const detail = await api('GET /bins/{id}', { pathParameters: { id: 'bin-d' }, query: { days: '2' } });
    const report = await api('GET /bins/collections', {
      query: { from: String(START), to: String(h.clock.t) },
    });
    const water = await api('GET /bins/{id}', { pathParameters: { id: 'wq-1' } });

    expect(due.status).toBe(200);
    const items = due.body.items as Record<string, unknown>[];
    expect(items.map((i) => i.binId)).toEqual(['bin-b', 'bin-a']);
    expect(items[1]).toMatchObject({ forecast: 'ok', aboveThreshold: false, thresholdPct: 80 });
    expect(items[1]?.ratePctPerHour as number).toBeCloseTo(5, 0);
    expect(items[1]?.hoursToThreshold as number).toBeCloseTo(2, 0);
    expect((all.body.items as { binId: string }[]).map((i) => i.binId)).toEqual([
      'bin-b',
      'bin-a',
      'bin-c',
      'bin-d',
    ]);
    expect(bad).toMatchObject({
      status: 400,
      body: {
        message: expect.stringMatching(/^query parameter needsCollectionWithin: "6h" is not an ISO-8601/),
      },
    });
    expect(detail.body).toMatchObject({
      binId: 'bin-d',
      forecast: 'not_enough_data',
      reason: '5 valid readings since the last collection; a forecast needs 6',
      lastCollection: { at: new Date(START + 44 * Q).toISOString(), toPct: 6 },
      history: { readings: 49, valid: 49 },
    });
    expect(detail.body.collections).toEqual([expect.objectContaining({ binId: 'bin-d', toPct: 6 })]);
    expect(report.body).toMatchObject({
      total: 1,
      byWasteStream: { residual: 1 },
      townships: [
        { township: 'Hill Town', collections: 0 },
        { township: 'Test Town', collections: 1, bins: 1 },
      ],
    });
    expect(water.status).toBe(404);
  });
});
