import { describe, expect, it } from 'vitest';
import { planChecks } from '../../../device-sim/expect/plan';
import { runChecks } from '../../../device-sim/expect/runner';
import type { ServiceView } from '../../../device-sim/expect/service-view';
import { RunRecord } from '../../../device-sim/record';
import { steadyFillLine } from '../../../device-sim/scenarios/bin-events';
import { type BinDevice, binSettingsFor, detectCollections, fillSeries } from '../../../functions/core/bins';
import { exampleDevices, type PlanRun, runPlan, samplesOf } from './fixtures';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const BIN = 'bin-bazaar-01';
const SEED = 3;
/** Recent enough that the true crossing lies ahead of the wall clock, as in a real `--from now-8h --to now` run. */
const SIM_START = Math.floor((Date.now() - 8 * HOUR) / MINUTE) * MINUTE;

function recordOf(run: PlanRun): RunRecord {
  const record = new RunRecord(Date.now());
  for (const e of run.emissions) record.onAcked(e);
  return record;
}

function checksFor(run: PlanRun) {
  return planChecks(run.instances, { record: recordOf(run), simStart: run.simStart, since: 0, seed: SEED });
}

/** A service that answers GETs with `answer` and has an empty SMS outbox. */
function viewOf(answer: ServiceView['get']): ServiceView {
  return {
    outboxFile: '/tmp/none',
    async outbox() {
      return [];
    },
    get: answer,
  };
}

const onlyBinChecks = <T extends { check: string }>(results: T[]) =>
  results.filter((r) => r.check === 'forecast' || r.check === 'collections');

describe('--expect bin-steady-fill: the forecast against the line the scenario drew', () => {
  const run = runPlan({
    hours: 8,
    seed: SEED,
    simStart: SIM_START,
    devices: [BIN],
    scenarios: [`bin-steady-fill@${BIN}`],
  });
  const newest = samplesOf(run.emissions, BIN).at(-1)?.ts as number;
  const truth = steadyFillLine({
    device: exampleDevices.find((d) => d.id === BIN) as BinDevice,
    params: run.instances[1]?.params ?? {},
    start: SIM_START,
    seed: SEED,
  });
  const trueAt = truth.fromTs + ((80 - truth.fromPct) / truth.ratePctPerHour) * HOUR;

  /** GET /bins/{id} with the given forecast; GET /bins lists the bin as the service does (due within the window). */
  function service(bin: {
    thresholdAt: number;
    rate: number;
    forecast?: string;
    lastReadingAt?: number;
    listAlways?: boolean;
  }): ServiceView {
    return viewOf(async (path) => {
      const url = new URL(path, 'http://x');
      const view = {
        binId: BIN,
        forecast: bin.forecast ?? 'ok',
        reason: bin.forecast === 'not_enough_data' ? '3 valid readings since the last collection' : null,
        ratePctPerHour: bin.rate,
        thresholdPct: 80,
        thresholdAt: new Date(bin.thresholdAt).toISOString(),
        aboveThreshold: false,
        lastReadingAt: new Date(bin.lastReadingAt ?? newest).toISOString(),
      };
      if (url.pathname === `/bins/${BIN}`) return { status: 200, body: view };
      if (url.pathname === '/bins') {
        const window = url.searchParams.get('needsCollectionWithin') ?? '';
        const ms = Number(/^PT(\d+)S$/.exec(window)?.[1]) * 1000;
        const due = bin.listAlways || bin.thresholdAt <= Date.now() + ms;
        return { status: 200, body: { items: due ? [view] : [] } };
      }
      return { status: 404, body: {} };
    });
  }

  const judge = async (bin: Parameters<typeof service>[0]) =>
    onlyBinChecks(await runChecks(checksFor(run), service(bin), { timeoutMs: 0 }));

  it('pass a forecast 10 minutes off the true crossing, listed for the long window only', async () => {
    const [result, ...rest] = await judge({ thresholdAt: trueAt + 10 * MINUTE, rate: 4.05 });
    expect(rest).toEqual([]);
    expect(result).toMatchObject({ check: 'forecast', subject: BIN, ok: true });
    expect(result?.found).toMatch(
      /rate 4\.05 %\/h \(\+1\.2 %\); 80 % forecast at .* error \+10 min = \d\.\d % of the/,
    );
    expect(result?.found).toMatch(/; listed within PT\d+S, not within PT\d+S$/);
  });

  it('fail a forecast 30 % of the remaining time late, and a fill rate 15 % off', async () => {
    const late = await judge({ thresholdAt: trueAt + 0.3 * (trueAt - newest), rate: 4 });
    expect(late[0]).toMatchObject({ ok: false, found: expect.stringMatching(/= 30\.0 % of the/) });
    const slow = await judge({ thresholdAt: trueAt, rate: 3.4 });
    expect(slow[0]).toMatchObject({ ok: false, found: expect.stringMatching(/rate 3\.4 %\/h \(−15\.0 %\)/) });
  });

  it('fail a collection list that ignores the window', async () => {
    const [result] = await judge({ thresholdAt: trueAt, rate: 4, listAlways: true });
    expect(result).toMatchObject({
      ok: false,
      found: expect.stringMatching(/listed within PT\d+S, but also within/),
    });
  });

  it('fail with the reason when the service has no forecast, or has not caught up with the run', async () => {
    const [none] = await judge({ thresholdAt: trueAt, rate: 4, forecast: 'not_enough_data' });
    expect(none).toMatchObject({
      ok: false,
      found: 'no forecast: not_enough_data (3 valid readings since the last collection)',
    });
    const [behind] = await judge({ thresholdAt: trueAt, rate: 4, lastReadingAt: newest - 15 * MINUTE });
    expect(behind).toMatchObject({ ok: false, found: expect.stringContaining('ingest still catching up?') });
  });
});

describe('--expect bin-collection-round: one collection event per bin at its emptying', () => {
  const BINS = ['bin-bazaar-01', 'bin-bazaar-02', 'bin-school-01'];

  /** Collection events as the service records them: the core's detection over what each bin sent. */
  function detected(run: PlanRun) {
    return BINS.flatMap((id) => {
      const bin = exampleDevices.find((d) => d.id === id) as BinDevice;
      return detectCollections(
        fillSeries(samplesOf(run.emissions, id), bin.depthMm),
        binSettingsFor(bin),
      ).map((c) => ({ binId: id, at: new Date(c.ts).toISOString(), fromPct: c.fromPct, toPct: c.toPct }));
    });
  }

  function service(events: { binId: string; at: string; fromPct: number; toPct: number }[]): ServiceView {
    return viewOf(async (path) =>
      new URL(path, 'http://x').pathname === '/bins/collections'
        ? { status: 200, body: { townships: [{ events }] } }
        : { status: 404, body: {} },
    );
  }

  const run = runPlan({
    hours: 4,
    seed: SEED,
    simStart: SIM_START,
    devices: BINS,
    scenarios: ['bin-collection-round:round_after=1h'],
  });
  const judge = async (events: ReturnType<typeof detected>, plan: PlanRun = run) =>
    onlyBinChecks(await runChecks(checksFor(plan), service(events), { timeoutMs: 0 }));

  it('pass exactly one event per bin, at the first sample after the round, from ≥ 50 % to ≤ 15 %', async () => {
    const events = detected(run);
    expect(events).toHaveLength(3);
    const results = await judge(events);
    expect(results.map((r) => [r.subject, r.ok])).toEqual(BINS.map((id) => [id, true]));
    expect(results[0]?.found).toMatch(/^1 event \(\S+Z \d+(\.\d)? % → \d(\.\d)? %\)$/);
  });

  it('fail a bin recorded twice, a bin missing, and an event at the wrong time', async () => {
    const [a, b, c] = detected(run) as [ReturnType<typeof detected>[number], ...ReturnType<typeof detected>];
    const shifted = {
      ...(c as typeof a),
      at: new Date(Date.parse((c as typeof a).at) - 15 * MINUTE).toISOString(),
    };
    const results = await judge([a, a, shifted]);
    expect(results.map((r) => r.ok)).toEqual([false, false, false]);
    expect(results[0]?.found).toMatch(/^2 events/);
    expect(results[1]?.found).toBe('0 events');
    expect(b?.binId).toBe('bin-bazaar-02');
    expect(results[2]?.found).toMatch(/expected the emptying at/);
  });

  it('say so when the run ended before the round', async () => {
    const short = runPlan({
      hours: 1,
      seed: SEED,
      simStart: SIM_START,
      devices: BINS,
      scenarios: ['bin-collection-round:round_after=2h'],
    });
    const results = await judge([], short);
    expect(results).toHaveLength(3);
    expect(results.every((r) => !r.ok && r.found.startsWith('the run ended before the round'))).toBe(true);
  });
});
