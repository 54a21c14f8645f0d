import { describe, expect, it } from 'vitest';
import type { Emission } from '../../../device-sim/device';
import { UsageError } from '../../../device-sim/fleet';
import { parseScenarioSpecs, resolveScenarios, SCENARIOS } from '../../../device-sim/scenarios';
import { binSettingsFor, detectCollections, fillSeries, forecastFill } from '../../../functions/core/bins';
import { parseTelemetry } from '../../../functions/core/telemetry';
import { device, exampleDevices, exampleFleet, runPlan, SUMMER, samplesOf } from './fixtures';

const MIN = 60_000;
const world = { fleet: exampleFleet, devices: exampleDevices };
const byInterval = (d: { intervalS: number }) => d.intervalS * 1000;

/** Emissions of every device except one, to show a scenario leaves the rest of the fleet alone. */
const others = (emissions: Emission[], except: string[]) =>
  emissions.filter((e) => !except.includes(e.deviceId)).map((e) => `${e.topic} ${e.payload}`);

describe('scenario specs', () => {
  it('parse name, target, start, duration and parameters', () => {
    const [spec] = parseScenarioSpecs(['chlorine-loss@wq-town-outlet+10m~30m:level=0.05']);
    expect(spec).toEqual({
      text: 'chlorine-loss@wq-town-outlet+10m~30m:level=0.05',
      name: 'chlorine-loss',
      target: 'wq-town-outlet',
      startMs: 10 * MIN,
      durationMs: 30 * MIN,
      params: { level: '0.05' },
    });
  });

  it('combine with commas and repeated options', () => {
    const specs = parseScenarioSpecs(['chlorine-loss,sensor-stuck@wq-town-school-tap', 'malformed']);
    expect(specs.map((s) => s.name)).toEqual(['chlorine-loss', 'sensor-stuck', 'malformed']);
  });

  it.each([
    ['no-such-thing', /unknown scenario "no-such-thing"/],
    ['chlorine-loss@', /is not name/],
    ['chlorine-loss:color=red', /has no parameter "color"/],
    ['turbidity-spike:peak=lots', /is not a number/],
    ['malformed:cases=not_json/bogus', /unknown entries \(bogus\)/],
  ])('reject %s with a message saying what is wrong', (text, message) => {
    expect(() => parseScenarioSpecs([text])).toThrow(message);
  });

  it('reject a target the scenario does not apply to, an unknown target, and a metric the device lacks', () => {
    const resolve = (text: string) => resolveScenarios(parseScenarioSpecs([text]), world, byInterval);
    expect(() => resolve('bin-fire@wq-town-outlet')).toThrow(
      /does not apply to wq-town-outlet: it applies to bin fill sensors/,
    );
    expect(() => resolve('chlorine-loss@wq-karasu-intake')).toThrow(UsageError);
    expect(() => resolve('chlorine-loss@nowhere')).toThrow(/no device or site "nowhere"/);
    expect(() => resolve('sensor-stuck@wq-town-school-tap:metric=orp_mv')).toThrow(/does not report orp_mv/);
  });

  it('pick the most frequent reporter by default, a whole site when named, and add normal for the fleet', () => {
    const instances = resolveScenarios(
      parseScenarioSpecs(['chlorine-loss', 'bin-tilt@market-town']),
      world,
      byInterval,
    );
    expect(instances.map((i) => i.def.name)).toEqual(['normal', 'chlorine-loss', 'bin-tilt']);
    expect(instances[0]?.affected).toHaveLength(exampleDevices.length);
    expect(instances[1]?.affected.map((a) => a.device.id)).toEqual(['wq-town-outlet']);
    expect(instances[2]?.affected.map((a) => a.device.id)).toEqual([
      'bin-bazaar-01',
      'bin-bazaar-02',
      'bin-bazaar-03',
    ]);
  });

  it('every scenario states its expected outcomes as data', () => {
    for (const s of SCENARIOS) {
      expect(s.outcomes.length, s.name).toBeGreaterThan(0);
      expect(s.expected.length, s.name).toBeGreaterThan(10);
    }
  });
});

describe('scenario signatures', () => {
  it('normal: every message is valid contract v1 and each device counts seq up without gaps', () => {
    const { emissions } = runPlan({ hours: 12 });
    expect(emissions.length).toBeGreaterThan(500);
    for (const e of emissions) {
      const parsed = parseTelemetry({
        topic: e.topic,
        payload: Buffer.from(e.payload),
        clientId: e.deviceId,
        receivedAt: e.at,
      });
      expect(parsed.ok, e.payload).toBe(true);
    }
    for (const d of exampleDevices) {
      const seqs = samplesOf(emissions, d.id).map((s) => s.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i));
    }
  });

  it('chlorine-loss: the residual at the target falls below its minimum; the rest of the fleet is untouched', () => {
    const base = runPlan({ hours: 1 });
    const run = runPlan({ hours: 1, scenarios: ['chlorine-loss@wq-town-outlet+10m'] });
    const samples = samplesOf(run.emissions, 'wq-town-outlet');
    const before = samples.filter((s) => s.ts < SUMMER + 10 * MIN);
    const after = samples.filter((s) => s.ts >= SUMMER + 20 * MIN);
    expect(before.every((s) => (s.m.free_chlorine_mg_l as number) >= 0.5)).toBe(true);
    expect(after.length).toBeGreaterThan(10);
    expect(after.every((s) => (s.m.free_chlorine_mg_l as number) < 0.3)).toBe(true);
    expect(others(run.emissions, ['wq-town-outlet'])).toEqual(others(base.emissions, ['wq-town-outlet']));
  });

  it('turbidity-spike: turbidity above 3 NTU from the second affected sample', () => {
    const samples = samplesOf(
      runPlan({ hours: 1, scenarios: ['turbidity-spike@wq-town-outlet+10m'] }).emissions,
      'wq-town-outlet',
    );
    const inWindow = samples.filter((s) => s.ts >= SUMMER + 10 * MIN);
    expect(
      samples.filter((s) => s.ts < SUMMER + 10 * MIN).every((s) => (s.m.turbidity_ntu as number) < 1),
    ).toBe(true);
    expect(inWindow.slice(1).every((s) => (s.m.turbidity_ntu as number) > 3)).toBe(true);
  });

  it('intrusion: several parameters move at the source, then downstream one lag per hop, weaker', () => {
    const base = runPlan({ hours: 3 });
    const run = runPlan({ hours: 3, scenarios: ['intrusion@wq-karasu-intake+10m:lag=20m'] });
    const firstBreach = (id: string) =>
      samplesOf(run.emissions, id).find((s) => (s.m.turbidity_ntu as number) > 1)?.ts;
    const outlet = firstBreach('wq-town-outlet') as number;
    const network = firstBreach('wq-town-hospital') as number;
    const tap = firstBreach('wq-town-school-tap') as number;
    expect(outlet).toBeGreaterThanOrEqual(SUMMER + 30 * MIN);
    expect(network).toBeGreaterThanOrEqual(SUMMER + 50 * MIN);
    expect(network).toBeGreaterThan(outlet);
    expect(tap).toBeGreaterThan(network);
    const late = (emissions: Emission[], id: string) =>
      samplesOf(emissions, id).filter((s) => s.ts > SUMMER + 2 * 60 * MIN);
    const src = late(run.emissions, 'wq-karasu-intake');
    const srcBase = late(base.emissions, 'wq-karasu-intake');
    for (const [i, s] of src.entries()) {
      const b = srcBase[i] as (typeof srcBase)[number];
      expect(s.m.turbidity_ntu as number).toBeGreaterThan(3 * (b.m.turbidity_ntu as number));
      expect(s.m.conductivity_us_cm as number).toBeGreaterThan(b.m.conductivity_us_cm as number);
      expect(s.m.ph as number).toBeLessThan(b.m.ph as number);
    }
    const outletLate = late(run.emissions, 'wq-town-outlet');
    const outletBase = late(base.emissions, 'wq-town-outlet');
    expect(
      outletLate.every(
        (s, i) => (s.m.free_chlorine_mg_l as number) < (outletBase[i]?.m.free_chlorine_mg_l as number) * 0.6,
      ),
    ).toBe(true);
    expect(
      others(run.emissions, ['wq-karasu-intake', 'wq-town-outlet', 'wq-town-hospital', 'wq-town-school-tap']),
    ).toEqual(
      others(base.emissions, [
        'wq-karasu-intake',
        'wq-town-outlet',
        'wq-town-hospital',
        'wq-town-school-tap',
      ]),
    );
  });

  it('sensor-stuck: one channel repeats its value exactly while its neighbours move', () => {
    const samples = samplesOf(
      runPlan({ hours: 1, scenarios: ['sensor-stuck@wq-town-outlet+5m'] }).emissions,
      'wq-town-outlet',
    );
    const stuck = samples.filter((s) => s.ts >= SUMMER + 5 * MIN);
    expect(stuck.length).toBeGreaterThan(20);
    expect(new Set(stuck.map((s) => s.m.ph)).size).toBe(1);
    expect(new Set(stuck.map((s) => s.m.free_chlorine_mg_l)).size).toBeGreaterThan(3);
    expect(new Set(samples.filter((s) => s.ts < SUMMER + 5 * MIN).map((s) => s.m.ph)).size).toBeGreaterThan(
      1,
    );
  });

  it('sensor-drift: the channel departs from the truth in proportion to the time since the fault', () => {
    const base = samplesOf(runPlan({ hours: 3 }).emissions, 'wq-town-outlet');
    const run = samplesOf(
      runPlan({ hours: 3, scenarios: ['sensor-drift@wq-town-outlet+0m:rate=0.5'] }).emissions,
      'wq-town-outlet',
    );
    for (const [i, s] of run.entries()) {
      const truth = base[i]?.m.ph as number;
      const hours = (s.ts - SUMMER) / 3_600_000;
      expect(s.m.ph as number).toBeCloseTo(truth + 0.5 * hours, 1);
      expect(s.m.free_chlorine_mg_l).toBe(base[i]?.m.free_chlorine_mg_l);
    }
  });

  it('sensor-out-of-range: a value no instrument of that kind can report (pH above 14)', () => {
    const samples = samplesOf(
      runPlan({ hours: 1, scenarios: ['sensor-out-of-range@wq-town-outlet+5m'] }).emissions,
      'wq-town-outlet',
    );
    const bad = samples.filter((s) => s.ts >= SUMMER + 5 * MIN);
    expect(bad.length).toBeGreaterThan(20);
    expect(bad.every((s) => (s.m.ph as number) > 14)).toBe(true);
    expect(samples.filter((s) => s.ts < SUMMER + 5 * MIN).every((s) => (s.m.ph as number) < 8.5)).toBe(true);
  });

  it('low-battery: the battery sags below 5 % within six samples', () => {
    const samples = samplesOf(
      runPlan({ hours: 1, scenarios: ['low-battery@wq-town-outlet+5m'] }).emissions,
      'wq-town-outlet',
    );
    const after = samples.filter((s) => s.ts >= SUMMER + 11 * MIN);
    expect(after.length).toBeGreaterThan(10);
    expect(after.every((s) => (s.battery_pct as number) <= 5)).toBe(true);
    expect(samples[0]?.battery_pct as number).toBeGreaterThan(15);
  });

  it('offline-backfill: silent in the window, then the current sample and the backlog as one ordered batch', () => {
    const { emissions } = runPlan({ hours: 1, scenarios: ['offline-backfill@wq-town-outlet+10m~15m'] });
    const mine = emissions.filter((e) => e.deviceId === 'wq-town-outlet');
    expect(mine.filter((e) => e.at >= SUMMER + 10 * MIN && e.at < SUMMER + 25 * MIN)).toEqual([]);
    const batchIndex = mine.findIndex((e) => e.type === 'batch');
    const batch = mine[batchIndex] as Emission;
    const live = mine[batchIndex - 1] as Emission;
    expect(live.type).toBe('sample');
    expect(live.at).toBeGreaterThanOrEqual(SUMMER + 25 * MIN);
    const body = JSON.parse(batch.payload) as { v: number; samples: { ts: number; seq: number }[] };
    expect(body.v).toBe(1);
    expect(body.samples).toHaveLength(15);
    expect(body.samples.every((s, i, all) => i === 0 || s.ts > (all[i - 1] as { ts: number }).ts)).toBe(true);
    const liveSeq = (JSON.parse(live.payload) as { seq: number }).seq;
    expect(body.samples.map((s) => s.seq)).toEqual(Array.from({ length: 15 }, (_, i) => liveSeq - 15 + i));
    expect(
      parseTelemetry({ topic: batch.topic, payload: Buffer.from(batch.payload), receivedAt: batch.at }).ok,
    ).toBe(true);
  });

  it('duplicate-delivery: each message in the window goes out twice, byte for byte, the copy after the next message', () => {
    const { emissions } = runPlan({ hours: 1, scenarios: ['duplicate-delivery@wq-town-outlet+10m~5m'] });
    const mine = emissions.filter((e) => e.deviceId === 'wq-town-outlet');
    const copies = mine.filter((e) => e.type === 'duplicate');
    expect(copies).toHaveLength(5);
    const seqOf = (e: Emission | undefined) => (JSON.parse(e?.payload ?? '{}') as { seq?: number }).seq;
    for (const copy of copies) {
      const original = mine.find((e) => e.type === 'sample' && e.payload === copy.payload);
      expect(original).toBeDefined();
      // Right behind the next sample of the device.
      const before = mine[mine.indexOf(copy) - 1];
      expect(before?.type).toBe('sample');
      expect(seqOf(before)).toBe((seqOf(original) as number) + 1);
    }
  });

  it("malformed: bad JSON, a wrong shape, the other kind's topic, and another device's topic from a throwaway client", () => {
    const { emissions } = runPlan({ hours: 1, scenarios: ['malformed@wq-town-outlet+5m'] });
    const bad = emissions.filter((e) => e.type === 'malformed');
    expect(bad.map((e) => e.expectReason)).toEqual(['not_json', 'bad_shape', 'wrong_kind', 'topic_mismatch']);
    const reasons = bad.map((e) => {
      const r = parseTelemetry({
        topic: e.topic,
        payload: Buffer.from(e.payload),
        clientId: e.rogueClientId ?? e.deviceId,
        receivedAt: e.at,
      });
      return r.ok ? `ok:${r.message.kind}` : r.reason;
    });
    // wrong_kind passes the contract parser; the registry (ingest) rejects a water device on a bin topic.
    expect(reasons).toEqual(['not_json', 'bad_shape', 'ok:bin', 'topic_mismatch']);
    expect(bad[3]?.rogueClientId).toBe('wq-town-outlet-rogue');
    expect(bad[3]?.topic).not.toContain('wq-town-outlet');
    expect(samplesOf(emissions, 'wq-town-outlet').map((s) => s.seq)).toEqual(
      samplesOf(emissions, 'wq-town-outlet').map((_, i) => i),
    );
  });

  it("bin-overflow: the bin reaches 100 % with the surface in the sensor's blind zone", () => {
    const samples = samplesOf(
      runPlan({ hours: 3, scenarios: ['bin-overflow@bin-bazaar-01+0m'] }).emissions,
      'bin-bazaar-01',
    );
    const last = samples.slice(4);
    expect(last.length).toBeGreaterThan(3);
    expect(last.every((s) => s.m.fill_pct === 100 && (s.m.distance_mm as number) < 40)).toBe(true);
  });

  it('bin-fire: the temperature passes 60 °C within two samples', () => {
    const samples = samplesOf(
      runPlan({ hours: 3, scenarios: ['bin-fire@bin-bazaar-01+0m'] }).emissions,
      'bin-bazaar-01',
    );
    expect(samples.slice(1).every((s) => (s.m.temperature_c as number) > 60)).toBe(true);
    const base = samplesOf(runPlan({ hours: 3 }).emissions, 'bin-bazaar-01');
    expect(base.every((s) => (s.m.temperature_c as number) < 40)).toBe(true);
  });

  it('bin-tilt: the tilt switch closes and the echo reads beyond the bin floor', () => {
    const samples = samplesOf(
      runPlan({ hours: 3, scenarios: ['bin-tilt@bin-bazaar-01+0m'] }).emissions,
      'bin-bazaar-01',
    );
    expect(samples.length).toBeGreaterThan(3);
    expect(
      samples.every((s) => s.m.tilt === true && s.m.fill_pct === 0 && (s.m.distance_mm as number) > 1100),
    ).toBe(true);
  });

  it('bin-steady-fill: emptied after the first sample, then a straight line the service forecasts within 20 %', () => {
    const bin = device('bin-bazaar-01');
    if (bin.kind !== 'bin') throw new Error('bin-bazaar-01 is a bin in the example fleet');
    const settings = binSettingsFor(bin);
    const errors: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const samples = samplesOf(
        runPlan({ hours: 8, seed, scenarios: ['bin-steady-fill@bin-bazaar-01:rate=4:start_pct=5'] })
          .emissions,
        'bin-bazaar-01',
      );
      expect(samples.length).toBeGreaterThanOrEqual(30);
      expect(samples[0]?.m.fill_pct).toBeCloseTo(65, -1);
      const series = fillSeries(samples, bin.depthMm);
      expect(detectCollections(series, settings).map((c) => c.ts)).toEqual([samples[1]?.ts]);
      const forecast = forecastFill(series, settings);
      const start = samples[0]?.ts as number;
      const trueAt = start + ((settings.collectionThresholdPct - 5) / 4) * 3_600_000;
      const newest = samples.at(-1)?.ts as number;
      expect(forecast.status).toBe('ok');
      expect(Math.abs((forecast.ratePctPerHour as number) - 4) / 4).toBeLessThan(0.1);
      errors.push(Math.abs((forecast.thresholdAt as number) - trueAt) / (trueAt - newest));
    }
    // The bound --expect applies; the figures the README quotes come from this spread.
    expect(Math.max(...errors)).toBeLessThan(0.2);
  });

  it('bin-collection-round: every bin rises past 50 %, drops to ≤ 15 % once on its route, and refills', () => {
    const { emissions, instances } = runPlan({
      hours: 5,
      scenarios: ['bin-collection-round:round_after=2h'],
    });
    const bins = instances[1]?.affected.map((a) => a.device) ?? [];
    expect(bins.length).toBe(exampleDevices.filter((d) => d.kind === 'bin').length);
    for (const bin of bins) {
      if (bin.kind !== 'bin') throw new Error(`${bin.id} is not a bin`);
      const series = fillSeries(samplesOf(emissions, bin.id), bin.depthMm);
      const collections = detectCollections(series, binSettingsFor(bin));
      expect(collections, bin.id).toHaveLength(1);
      const at = (collections[0]?.ts as number) - SUMMER;
      expect(at).toBeGreaterThanOrEqual(120 * MIN);
      expect(at).toBeLessThan((150 + bin.intervalS / 60) * MIN);
      expect(collections[0]?.fromPct).toBeGreaterThanOrEqual(55 - 3);
      expect(collections[0]?.toPct).toBeLessThanOrEqual(8 + 3);
    }
  });
});
