import { describe, expect, it } from 'vitest';
import { generateFleet } from '../../../device-sim/fleet';
import { encodeBatches } from '../../../device-sim/payload';
import { Histogram } from '../../../device-sim/stats';
import { parseDuration, parseInstant } from '../../../device-sim/time';
import { CONTRACT_LIMITS, telemetryTopic } from '../../../functions/contract';
import { parseTelemetry } from '../../../functions/core/telemetry';
import { runPlan, SUMMER } from './fixtures';

describe('deterministic runs', () => {
  it('produce byte-identical payload sequences for a seed, with every scenario active', () => {
    const scenarios = [
      'chlorine-loss,intrusion,contamination,sensor-stuck@wq-dabudar-outlet,sensor-drift@wq-tiznap-outlet,offline-backfill,duplicate-delivery@wq-town-hospital,malformed@wq-dabudar-outlet,bin-fire,bin-tilt@bin-school-01,low-battery@bin-tiznap-01',
    ];
    const a = runPlan({ hours: 6, seed: 99, scenarios });
    const b = runPlan({ hours: 6, seed: 99, scenarios });
    const c = runPlan({ hours: 6, seed: 100, scenarios });
    const bytes = (run: typeof a) => run.emissions.map((e) => `${e.at} ${e.topic} ${e.payload}`).join('\n');
    expect(a.emissions.length).toBeGreaterThan(500);
    expect(bytes(b)).toBe(bytes(a));
    expect(bytes(c)).not.toBe(bytes(a));
  });
});

describe('schedule', () => {
  it('spreads a fleet across the interval: a steady rate, never a burst', () => {
    const fleet = generateFleet({ water: 600, bins: 0, townships: 6, seed: 1, intervalS: 60 });
    const { emissions } = runPlan({ fleet, hours: 0.25, seed: 3 });
    const perSecond = new Map<number, number>();
    for (const e of emissions) {
      const s = Math.floor((e.at - SUMMER) / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    const steady = [...perSecond].filter(([s]) => s >= 60 && s < 840).map(([, n]) => n);
    // 600 devices every 60 s is 10 per second on average; all in one phase would be 600 in one second.
    expect(steady).toHaveLength(780);
    expect(Math.max(...steady)).toBeLessThanOrEqual(20);
    expect(Math.min(...steady)).toBeGreaterThanOrEqual(2);
  });

  it('jitters each device around its interval grid without reordering its samples', () => {
    const { emissions } = runPlan({ hours: 6, devices: ['wq-town-outlet'] });
    const ts = emissions.map((e) => e.at);
    const gaps = ts.slice(1).map((t, i) => t - (ts[i] as number));
    expect(gaps.every((g) => g >= 58_800 && g <= 61_200)).toBe(true);
    expect(new Set(gaps).size).toBeGreaterThan(10);
  });
});

describe('backfill batches', () => {
  it('carry at most 100 samples, oldest first, with consecutive seq, each a valid contract v1 message', () => {
    const { emissions } = runPlan({ devices: ['wq-town-outlet'], batchAll: true, hours: 250 / 60 });
    expect(emissions.map((e) => e.type)).toEqual(['batch', 'batch', 'batch']);
    const bodies = emissions.map((e) => JSON.parse(e.payload) as { samples: { ts: number; seq: number }[] });
    expect(bodies.map((b) => b.samples.length)).toEqual([100, 100, 50]);
    const all = bodies.flatMap((b) => b.samples);
    expect(all.map((s) => s.seq)).toEqual(all.map((_, i) => i));
    expect(all.every((s, i) => i === 0 || s.ts > (all[i - 1] as { ts: number }).ts)).toBe(true);
    for (const e of emissions) {
      const parsed = parseTelemetry({
        topic: e.topic,
        payload: Buffer.from(e.payload),
        clientId: e.deviceId,
        receivedAt: e.at,
      });
      expect(parsed.ok).toBe(true);
    }
  });

  it('split a batch in halves when it would exceed the contract message size', () => {
    const m = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`long_metric_name_number_${i}_unit`, 1234.5678 + i]),
    );
    const samples = Array.from({ length: 100 }, (_, i) => ({ ts: SUMMER + i * 1000, seq: i, m }));
    const batches = encodeBatches(samples, 100);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.every((b) => Buffer.byteLength(b.payload) <= CONTRACT_LIMITS.maxMessageBytes)).toBe(true);
    expect(batches.flatMap((b) => b.samples.map((s) => s.seq))).toEqual(samples.map((s) => s.seq));
  });
});

describe('topics', () => {
  it('use dt/<kind>/<id>, or the Basic Ingest topic of the telemetry rule', () => {
    expect(telemetryTopic('water', 'wq-1')).toBe('dt/water/wq-1');
    expect(telemetryTopic('bin', 'bin-1', true)).toBe('$aws/rules/pamir_telemetry_bin/dt/bin/bin-1');
  });
});

describe('time options', () => {
  it('parse durations and instants, relative to now', () => {
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
    expect(parseInstant('now-6h', 10 * 3_600_000)).toBe(4 * 3_600_000);
    expect(parseInstant('2025-07-15T00:00:00Z', 0)).toBe(SUMMER);
    expect(parseInstant(String(SUMMER), 0)).toBe(SUMMER);
    expect(() => parseInstant('yesterday', 0)).toThrow(/not a time/);
  });
});

describe('latency histogram', () => {
  it('reports quantiles within its 2 % resolution', () => {
    const h = new Histogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 10);
    expect(h.quantile(0.5)).toBeGreaterThan(49);
    expect(h.quantile(0.5)).toBeLessThan(51.1);
    expect(h.quantile(0.99)).toBeGreaterThan(98.5);
    expect(h.quantile(0.99)).toBeLessThan(101);
    expect(h.max).toBe(100);
    expect(new Histogram().quantile(0.5)).toBe(0);
  });
});
