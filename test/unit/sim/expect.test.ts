import { describe, expect, it } from 'vitest';
import type { Emission } from '../../../device-sim/device';
import { planChecks } from '../../../device-sim/expect/plan';
import { runChecks } from '../../../device-sim/expect/runner';
import type { OutboxLine, ServiceView } from '../../../device-sim/expect/service-view';
import { RunRecord } from '../../../device-sim/record';
import { parseScenarioSpecs, resolveScenarios } from '../../../device-sim/scenarios';
import { exampleDevices, exampleFleet, SUMMER } from './fixtures';

const NOW = Date.UTC(2025, 6, 15, 12);
const OUTLET = 'wq-town-outlet';

interface Reading {
  ts: number;
  seq: number;
  receivedAt: number;
}
interface State {
  readings: Reading[];
  latest?: number;
  quarantine: { at: string; topic: string; reason: string; payloadBase64: string; deviceId: string }[];
  alarms?: Record<string, unknown>[] | 'missing';
  outbox?: OutboxLine[];
}

/** The service as the checks see it, answering from plain data. */
function fakeService(state: State): ServiceView {
  return {
    outboxFile: '/tmp/outbox/sms.jsonl',
    async get(path) {
      const url = new URL(path, 'http://x');
      if (url.pathname === `/devices/${OUTLET}/readings`) {
        const from = Number(url.searchParams.get('from'));
        const to = Number(url.searchParams.get('to'));
        return { status: 200, body: { items: state.readings.filter((r) => r.ts >= from && r.ts <= to) } };
      }
      if (url.pathname === `/devices/${OUTLET}/latest`) {
        return state.latest === undefined
          ? { status: 404, body: {} }
          : { status: 200, body: { ts: state.latest } };
      }
      if (url.pathname === '/quarantine') {
        const id = url.searchParams.get('deviceId');
        return { status: 200, body: { items: state.quarantine.filter((q) => q.deviceId === id) } };
      }
      if (url.pathname === '/alarms') {
        if (state.alarms === 'missing') return { status: 404, body: { message: 'no route' } };
        const closed = url.searchParams.get('state') === 'closed';
        return { status: 200, body: { items: closed ? [] : (state.alarms ?? []) } };
      }
      return { status: 404, body: {} };
    },
    async outbox() {
      return state.outbox;
    },
  };
}

function sample(seq: number, extra: Partial<Emission> = {}): Emission {
  const ts = SUMMER + seq * 60_000;
  return {
    deviceId: OUTLET,
    at: ts,
    topic: `dt/water/${OUTLET}`,
    payload: `{"seq":${seq}}`,
    type: 'sample',
    scenarios: ['normal'],
    samples: [{ ts, seq }],
    ...extra,
  };
}

async function check(scenario: string, record: RunRecord, state: State) {
  const devices = exampleDevices.filter((d) => d.id === OUTLET);
  const instances = resolveScenarios(
    parseScenarioSpecs([scenario]),
    { fleet: exampleFleet, devices },
    (d) => d.intervalS * 1000,
  );
  const planned = planChecks(instances, { record, simStart: SUMMER, since: NOW - 1000, seed: 42 });
  return runChecks(planned, fakeService(state), { timeoutMs: 0 });
}

function deliveredRecord(n: number): RunRecord {
  const record = new RunRecord(NOW);
  for (let i = 0; i < n; i++) record.onAcked(sample(i));
  return record;
}
const stored = (n: number): Reading[] =>
  Array.from({ length: n }, (_, i) => ({ ts: SUMMER + i * 60_000, seq: i, receivedAt: NOW + i }));

describe('--expect checks', () => {
  it('pass readings when every acknowledged sample is readable once', async () => {
    const [result] = await check('normal', deliveredRecord(5), { readings: stored(5), quarantine: [] });
    expect(result).toMatchObject({
      ok: true,
      check: 'readings',
      subject: OUTLET,
      found: '5/5 readable, none doubled',
    });
  });

  it('fail readings for a missing sample, a doubled one, and one this run did not send', async () => {
    const missing = await check('normal', deliveredRecord(5), { readings: stored(4), quarantine: [] });
    expect(missing[0]).toMatchObject({ ok: false });
    expect(missing[0]?.found).toMatch(/4\/5 readable.*1 missing \(first seq 4/);
    const doubled = await check('normal', deliveredRecord(5), {
      readings: [...stored(5), stored(5)[2] as Reading],
      quarantine: [],
    });
    expect(doubled[0]?.found).toMatch(/1 stored more than once/);
    const extra = await check('normal', deliveredRecord(5), {
      readings: [...stored(5), { ts: SUMMER + 30_000, seq: 77, receivedAt: NOW + 5 }],
      quarantine: [],
    });
    expect(extra[0]?.found).toMatch(/1 unexpected/);
    expect(extra[0]?.ok).toBe(false);
  });

  it('check the offline backlog order and that latest is the newest timestamp, not the last received', async () => {
    const record = new RunRecord(NOW);
    for (let i = 0; i < 3; i++) record.onAcked(sample(i));
    record.onAcked(sample(13));
    record.onAcked({
      ...sample(3),
      type: 'batch',
      backlog: true,
      samples: Array.from({ length: 10 }, (_, i) => ({ ts: SUMMER + (3 + i) * 60_000, seq: 3 + i })),
    });
    const readings = stored(14);
    const pass = await check('offline-backfill', record, {
      readings,
      latest: SUMMER + 13 * 60_000,
      quarantine: [],
    });
    expect(pass.map((r) => [r.check, r.ok])).toEqual([
      ['readings', true],
      ['readings', true],
      ['backfill-order', true],
    ]);
    const lastReceived = await check('offline-backfill', record, {
      readings,
      latest: SUMMER + 12 * 60_000,
      quarantine: [],
    });
    expect(lastReceived[2]).toMatchObject({ ok: false, check: 'backfill-order' });
    expect(lastReceived[2]?.found).toMatch(/latest = 2025-07-15T00:12:00.000Z/);
  });

  it('expect one quarantine entry per bad message with its reason, and the wrong-topic publisher disconnected', async () => {
    const record = deliveredRecord(3);
    const bad = sample(1, {
      type: 'malformed',
      payload: '{"v":1,"ts":',
      expectReason: 'not_json',
      samples: [],
    });
    const rogue = sample(2, {
      type: 'malformed',
      topic: 'dt/water/wq-town-hospital',
      expectReason: 'topic_mismatch',
      rogueClientId: `${OUTLET}-rogue`,
      samples: [],
    });
    record.onMalformed(bad, 'acked');
    record.onMalformed(rogue, 'refused');
    const entry = (e: Emission, reason: string, deviceId: string) => ({
      at: new Date(NOW + 10).toISOString(),
      topic: e.topic,
      reason,
      deviceId,
      payloadBase64: Buffer.from(e.payload).toString('base64'),
    });
    const good = await check('malformed', record, {
      readings: stored(3),
      quarantine: [entry(bad, 'not_json', OUTLET), entry(rogue, 'topic_mismatch', `${OUTLET}-rogue`)],
    });
    expect(good.map((r) => r.ok)).toEqual([true, true, true]);
    const wrongReason = await check('malformed', record, {
      readings: stored(3),
      quarantine: [
        entry(bad, 'bad_shape', OUTLET),
        entry(rogue, 'topic_mismatch', `${OUTLET}-rogue`),
        entry(rogue, 'topic_mismatch', `${OUTLET}-rogue`),
      ],
    });
    expect(wrongReason.slice(1).map((r) => [r.ok, r.found])).toEqual([
      [false, '1 entry (bad_shape)'],
      [false, '2 entries (topic_mismatch, topic_mismatch); publisher disconnected'],
    ]);
  });

  it('expect one critical residual alarm and one SMS per operator for chlorine-loss', async () => {
    const record = deliveredRecord(10);
    const alarm = {
      alarmId: 'a1',
      deviceId: OUTLET,
      severity: 'critical',
      metric: 'free_chlorine_mg_l',
      state: 'active_unack',
      audience: 'operators',
      raisedAt: NOW + 5,
    };
    const sms = (to: string): OutboxLine => ({
      at: new Date(NOW + 6).toISOString(),
      to,
      audience: 'operators',
      severity: 'critical',
      siteId: 'plant-town',
      deviceId: OUTLET,
      alarmId: 'a1',
      lang: 'zh',
      text: '游离氯 0.07',
    });
    const warning: OutboxLine = { ...sms('+8613800000001'), severity: 'warning', alarmId: 'w1' };
    const pass = await check('chlorine-loss', record, {
      readings: stored(10),
      quarantine: [],
      alarms: [alarm],
      outbox: [warning, sms('+8613800000001'), sms('+8613800000002')],
    });
    expect(pass.map((r) => [r.check, r.ok])).toEqual([
      ['readings', true],
      ['alarm', true],
      ['sms', true],
    ]);
    const twice = await check('chlorine-loss', record, {
      readings: stored(10),
      quarantine: [],
      alarms: [alarm, { ...alarm, alarmId: 'a2' }],
      outbox: [sms('+86138'), sms('+86138')],
    });
    expect(twice.slice(1).map((r) => r.ok)).toEqual([false, false]);
    const none = await check('chlorine-loss', record, {
      readings: stored(10),
      quarantine: [],
      alarms: 'missing',
    });
    expect(none[1]).toMatchObject({
      ok: false,
      found: 'GET /alarms answered 404: the service has no alarms API yet',
    });
    expect(none[2]).toMatchObject({ ok: false, found: 'no outbox file at /tmp/outbox/sms.jsonl' });
  });

  it('expect a sensor fault for engineers and nothing to operators for sensor-stuck', async () => {
    // The fault begins after 15 samples (the stuck rule needs the channel's movement before the run).
    const record = deliveredRecord(30);
    const fault = {
      alarmId: 'f1',
      deviceId: OUTLET,
      severity: 'sensor_fault',
      metric: 'ph',
      audience: 'engineers',
      raisedAt: NOW + 5,
    };
    const operatorsSms: OutboxLine = {
      at: new Date(NOW + 6).toISOString(),
      to: '+86',
      audience: 'operators',
      severity: 'critical',
      siteId: 'plant-town',
      deviceId: OUTLET,
      alarmId: 'x',
      lang: 'en',
      text: 'pH',
    };
    const quiet = await check('sensor-stuck', record, {
      readings: stored(30),
      quarantine: [],
      alarms: [fault],
      outbox: [],
    });
    expect(quiet.map((r) => r.ok)).toEqual([true, true, true]);
    const noisy = await check('sensor-stuck', record, {
      readings: stored(30),
      quarantine: [],
      alarms: [{ ...fault, audience: 'operators' }],
      outbox: [operatorsSms],
    });
    expect(noisy.slice(1).map((r) => r.ok)).toEqual([false, false]);
  });

  it('expect one event alarm and no limit alarm for contamination, telling alarms apart by their condition', async () => {
    const record = deliveredRecord(10);
    const alarm = (condition: string, severity: string) => ({
      alarmId: condition,
      deviceId: OUTLET,
      condition,
      severity,
      audience: 'operators',
      raisedAt: NOW + 5,
    });
    const warningSms: OutboxLine = {
      at: new Date(NOW + 6).toISOString(),
      to: '+86',
      audience: 'operators',
      severity: 'warning',
      siteId: 'plant-town',
      deviceId: OUTLET,
      alarmId: 'event',
      lang: 'en',
      text: 'WATER QUALITY EVENT',
    };
    const state = (alarms: Record<string, unknown>[]) => ({
      readings: stored(10),
      quarantine: [],
      alarms,
      outbox: [warningSms],
    });
    // Started at once, so the scenario reaches the ten samples the record holds.
    const found = await check('contamination+0m', record, state([alarm('event', 'warning')]));
    expect(found.map((r) => [r.check, r.ok])).toEqual([
      ['readings', true],
      ['alarm', true],
      ['alarm', true],
      ['sms', true],
    ]);
    // An early warning is not the event, and a broken limit is exactly what the scenario must not need.
    const missed = await check(
      'contamination+0m',
      record,
      state([alarm('warn:ph:max', 'warning'), alarm('limit:ph:max', 'critical')]),
    );
    expect(missed.slice(1).map((r) => r.ok)).toEqual([false, false, true]);
  });

  it('say so when the run ended before the scenario reached the device', async () => {
    const results = await check('chlorine-loss+2h', deliveredRecord(10), {
      readings: stored(10),
      quarantine: [],
      alarms: [],
    });
    expect(results[1]).toMatchObject({
      ok: false,
      found: `the scenario never reached ${OUTLET}: no sample after its start`,
    });
  });

  it('look again while the service catches up, and pass once it has', async () => {
    let calls = 0;
    const state: State = { readings: [], quarantine: [] };
    const view = fakeService(state);
    const slow: ServiceView = {
      ...view,
      get: async (path) => {
        calls++;
        if (calls === 2) state.readings = stored(5);
        return view.get(path);
      },
    };
    const instances = resolveScenarios(
      parseScenarioSpecs([]),
      { fleet: exampleFleet, devices: exampleDevices.filter((d) => d.id === OUTLET) },
      (d) => d.intervalS * 1000,
    );
    const results = await runChecks(
      planChecks(instances, { record: deliveredRecord(5), simStart: SUMMER, since: NOW, seed: 42 }),
      slow,
      {
        timeoutMs: 5000,
        pollMs: 1,
      },
    );
    expect(results[0]?.ok).toBe(true);
    expect(calls).toBeGreaterThan(1);
  });
});
