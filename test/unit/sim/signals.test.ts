import { describe, expect, it } from 'vitest';
import { hash32, mulberry32, parseSeed } from '../../../device-sim/random';
import { baseSignal } from '../../../device-sim/signals';
import { type BinDevice, fillFromDistance, trueFill } from '../../../device-sim/signals/bin';
import { localHour, rainIntensity } from '../../../device-sim/signals/common';
import { residualMetric } from '../../../device-sim/signals/water';
import type { Device } from '../../../functions/core/registry';
import { device, exampleDevices, SUMMER, WINTER } from './fixtures';

const HOUR = 3_600_000;
const water = exampleDevices.filter((d): d is Extract<Device, { kind: 'water' }> => d.kind === 'water');
const bins = exampleDevices.filter((d): d is BinDevice => d.kind === 'bin');

function times(start: number, hours: number, stepMin: number): number[] {
  return Array.from({ length: (hours * 60) / stepMin }, (_, i) => start + i * stepMin * 60_000);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('seeded randomness', () => {
  it('repeats mulberry32 for a seed and differs between seeds', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const c = mulberry32(8);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('hashes parts with a separator, so ("ab","c") and ("a","bc") differ', () => {
    expect(hash32('ab', 'c')).not.toBe(hash32('a', 'bc'));
    expect(hash32('wq-1', 5)).toBe(hash32('wq-1', 5));
  });

  it('takes a numeric seed as is and hashes any other text', () => {
    expect(parseSeed('42')).toBe(42);
    expect(parseSeed('county-demo')).toBe(hash32('county-demo'));
  });
});

describe('signal generators', () => {
  it('give byte-identical readings for the same device, time and seed, and others for another seed', () => {
    for (const d of exampleDevices) {
      const ts = SUMMER + 3 * HOUR + 17_000;
      expect(JSON.stringify(baseSignal(d, ts, 1))).toBe(JSON.stringify(baseSignal(d, ts, 1)));
      expect(JSON.stringify(baseSignal(d, ts, 2))).not.toBe(JSON.stringify(baseSignal(d, ts, 1)));
    }
  });

  it.each([
    ['summer', SUMMER],
    ['winter', WINTER],
  ])('keep every water metric within the normal band of its measurement point for a %s week', (_, start) => {
    for (const d of water) {
      for (const ts of times(start, 7 * 24, 30)) {
        const { m, batteryPct } = baseSignal(d, ts, 5);
        const v = (k: string) => m[k] as number;
        expect(v('ph'), `${d.id} pH`).toBeGreaterThanOrEqual(6.5);
        expect(v('ph'), `${d.id} pH`).toBeLessThanOrEqual(8.5);
        expect(v('temperature_c'), `${d.id} temperature`).toBeGreaterThan(0);
        expect(v('temperature_c'), `${d.id} temperature`).toBeLessThan(20);
        expect(v('turbidity_ntu'), `${d.id} turbidity`).toBeGreaterThan(0);
        expect(batteryPct).toBeGreaterThanOrEqual(15);
        expect(batteryPct).toBeLessThanOrEqual(100);
        if (d.measurementPoint === 'source') {
          expect(v('dissolved_oxygen_mg_l'), `${d.id} DO`).toBeGreaterThanOrEqual(5);
          expect(v('turbidity_ntu')).toBeLessThan(4000);
          continue;
        }
        expect(v('turbidity_ntu'), `${d.id} turbidity`).toBeLessThanOrEqual(1);
        const residual = residualMetric(d) as string;
        const minimum = {
          free_chlorine_mg_l: [0.3, 0.05],
          chlorine_dioxide_mg_l: [0.1, 0.02],
          total_chlorine_mg_l: [0.5, 0.05],
        }[residual] as [number, number];
        const max = residual === 'chlorine_dioxide_mg_l' ? 0.8 : 2;
        expect(v(residual), `${d.id} ${residual}`).toBeGreaterThanOrEqual(
          d.measurementPoint === 'plant_outlet' ? minimum[0] : minimum[1],
        );
        expect(v(residual), `${d.id} ${residual}`).toBeLessThanOrEqual(max);
        if ('conductivity_us_cm' in m) expect(v('conductivity_us_cm')).toBeGreaterThan(100);
        if ('orp_mv' in m) expect(v('orp_mv')).toBeGreaterThan(500);
        if ('pressure_kpa' in m) expect(v('pressure_kpa')).toBeGreaterThan(150);
      }
    }
  });

  it('reports the disinfectant residual only past treatment, named after the site disinfectant', () => {
    expect('free_chlorine_mg_l' in baseSignal(device('wq-karasu-intake'), SUMMER, 1).m).toBe(false);
    expect('free_chlorine_mg_l' in baseSignal(device('wq-town-outlet'), SUMMER, 1).m).toBe(true);
    expect('chlorine_dioxide_mg_l' in baseSignal(device('wq-tiznap-outlet'), SUMMER, 1).m).toBe(true);
  });

  it('decays chlorine from plant outlet to network to tap, lowest at the tap at night', () => {
    const day = times(SUMMER, 72, 15);
    const chlorine = (id: string, ts: number[]) =>
      mean(ts.map((t) => baseSignal(device(id), t, 3).m.free_chlorine_mg_l as number));
    const outlet = chlorine('wq-town-outlet', day);
    const network = chlorine('wq-town-hospital', day);
    const tap = chlorine('wq-town-school-tap', day);
    expect(outlet).toBeGreaterThan(network);
    expect(network).toBeGreaterThan(tap);
    const night = day.filter((t) => localHour(t) >= 2 && localHour(t) < 5);
    const morning = day.filter((t) => localHour(t) >= 7 && localHour(t) < 9);
    expect(chlorine('wq-town-school-tap', night)).toBeLessThan(
      chlorine('wq-town-school-tap', morning) - 0.05,
    );
  });

  it('raises river turbidity after rain over the township and lowers conductivity', () => {
    const intake = device('wq-karasu-intake');
    const span = times(SUMMER, 30 * 24, 60);
    const wet = span.find((t) => rainIntensity(5, intake.township, t) > 0.5);
    const dry = span.filter((t) => rainIntensity(5, intake.township, t) === 0);
    expect(wet, 'a month of summer has a storm').toBeDefined();
    const atWet = baseSignal(intake, wet as number, 5).m;
    const dryTurbidity = mean(dry.map((t) => baseSignal(intake, t, 5).m.turbidity_ntu as number));
    const dryConductivity = mean(dry.map((t) => baseSignal(intake, t, 5).m.conductivity_us_cm as number));
    expect(atWet.turbidity_ntu as number).toBeGreaterThan(3 * dryTurbidity);
    expect(atWet.conductivity_us_cm as number).toBeLessThan(dryConductivity);
  });

  it('fills bins between collection rounds, empties them at each round, and never shows them overflowing', () => {
    for (const bin of bins) {
      const fills = times(SUMMER, 7 * 24, 30).map((t) => trueFill(bin, t, 9));
      expect(Math.max(...fills), bin.id).toBeLessThan(96);
      expect(Math.min(...fills), bin.id).toBeGreaterThanOrEqual(0);
      const drops = fills.filter((f, i) => i > 0 && (fills[i - 1] as number) - f > 15).length;
      expect(drops, `${bin.id} collections in a week`).toBeGreaterThanOrEqual(2);
    }
  });

  it('fills a market bin faster than a village bin', () => {
    const rise = (id: string) => {
      const d = device(id) as BinDevice;
      const fills = times(SUMMER, 7 * 24, 60).map((t) => trueFill(d, t, 9));
      return mean(fills.slice(1).map((f, i) => Math.max(0, f - (fills[i] as number))));
    };
    expect(rise('bin-bazaar-01')).toBeGreaterThan(rise('bin-tiznap-01'));
  });

  it('derives the reported fill from the ultrasonic distance and the bin depth', () => {
    const bin = device('bin-bazaar-01') as BinDevice;
    for (const ts of times(SUMMER, 24, 60)) {
      const { m } = baseSignal(bin, ts, 2);
      expect(m.fill_pct).toBeCloseTo(fillFromDistance(m.distance_mm as number, bin.depthMm), 6);
      expect(m.tilt).toBe(false);
    }
  });
});
