import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../../../functions/shared/time';
import {
  binomialCdf,
  canaryBaseline,
  type EvalRow,
  scoreEvents,
} from '../../../functions/use-cases/event-evaluation';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { phOrpShift, waterSeries } from '../../helpers/water-series';

const run = promisify(execFile);
const minutes = (n: number) => Array.from({ length: n }, (_, i) => i * MINUTE_MS);

describe('scoreEvents', () => {
  it('scores per minute and per episode with known answers', () => {
    const times = minutes(20);
    // Two labelled episodes (rows 2–5 and 12–13); predictions hit the first from row 4 and alarm falsely at 16–17.
    const label = times.map((_, i) => (i >= 2 && i <= 5) || i === 12 || i === 13);
    const pred = times.map((_, i) => (i >= 4 && i <= 6) || i === 16 || i === 17);
    const s = scoreEvents(times, label, pred);
    expect(s.precision).toBeCloseTo(2 / 5);
    expect(s.recall).toBeCloseTo(2 / 6);
    expect(s.f1).toBeCloseTo((2 * (2 / 5) * (2 / 6)) / (2 / 5 + 2 / 6));
    expect(s.episodes).toBe(2);
    expect(s.episodesDetected).toBe(1);
    expect(s.medianDelayMin).toBe(2);
    expect(s.falseAlarmEpisodes).toBe(1);
    expect(s.timeInAlarm).toBeCloseTo(5 / 20);
    // Only the second half: the first episode is outside it.
    const tail = scoreEvents(times, label, pred, 10);
    expect(tail.episodes).toBe(1);
    expect(tail.episodesDetected).toBe(0);
    expect(tail.falseAlarmEpisodes).toBe(1);
  });
});

describe('CANARY-like baseline', () => {
  it('computes the binomial CDF', () => {
    expect(binomialCdf(0, 3, 0.5)).toBeCloseTo(1 / 8);
    expect(binomialCdf(1, 3, 0.5)).toBeCloseTo(4 / 8);
    expect(binomialCdf(3, 3, 0.5)).toBe(1);
    expect(binomialCdf(-1, 3, 0.5)).toBe(0);
    expect(binomialCdf(2, 20, 0.01)).toBeCloseTo(0.999, 4);
  });

  it('flags a labelled shift after the outliers it causes pile up, and nothing on the normal part', () => {
    const at = 600;
    // A shift that stays: its return would be a second step, which CANARY flags too (after the label).
    const series = waterSeries({
      minutes: at + 200,
      seed: 9,
      shifts: phOrpShift(at, Number.POSITIVE_INFINITY),
    });
    const rows: EvalRow[] = series.map((s) => ({ ts: s.ts, values: { ...s.values } }));
    const labels = rows.map((_, i) => i >= at);
    const settings = { windowRows: 30, outlierSigma: 4, bedRows: 10, budgetPerWeek: 0.3 };
    const out = canaryBaseline(rows, labels, rows.length, settings);
    expect(out.flags.slice(0, at)).not.toContain(true);
    expect(out.flags.slice(at, at + 60)).toContain(true);
    expect(out.outliers).toBeGreaterThanOrEqual(1);
    expect(out.outliers).toBeLessThanOrEqual(settings.bedRows);
    expect(out.probability).toBeGreaterThan(0.5);
  });
});

describe('npm run eval:events', () => {
  let dir: string;
  const at = 50 * 60;
  beforeAll(async () => {
    dir = await makeTempDir('pamir-eval-');
    const series = waterSeries({
      minutes: at + 120,
      seed: 2,
      shifts: phOrpShift(at, 25),
    });
    const lines = ['"Time","Tp","pH","Redox","Cl","EVENT"'];
    series.forEach((s, i) => {
      const time = new Date(s.ts).toISOString().slice(0, 19).replace('T', ' ');
      const v = s.values;
      lines.push(
        `"${time}",${v.temperature_c},${v.ph},${v.orp_mv},${i === 100 ? 'NA' : v.free_chlorine_mg_l},${i >= at && i < at + 25 ? 'TRUE' : 'FALSE'}`,
      );
    });
    await writeFile(join(dir, 'one.csv'), `${lines.join('\n')}\n`);
  });
  afterAll(() => removeTempDir(dir));

  const cli = (args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'infra/bin/eval-events.ts', ...args], { cwd: process.cwd() });

  it('scores a small CSV with a known event and writes one prediction line per row', async () => {
    const { stdout } = await cli([
      '--data',
      join(dir, 'one.csv'),
      '--columns',
      'Tp=temperature_c,pH=ph,Redox=orp_mv,Cl=free_chlorine_mg_l',
      '--tune-until',
      '0.5',
      '--batch',
      '7',
      '--predictions',
      join(dir, 'pred.csv'),
      '--json',
    ]);
    const report = JSON.parse(stdout);
    const held = report.scores['held-out part'].detector;
    expect(held.episodes).toBe(1);
    expect(held.episodesDetected).toBe(1);
    expect(held.medianDelayMin).toBeLessThanOrEqual(4);
    expect(held.falseAlarmEpisodes).toBe(0);
    expect(held.recall).toBeGreaterThan(0.7);
    expect(report.smsPerWeek.operators.raised).toBeGreaterThan(0);
    // The event lies in the held-out part: its raise is counted there, on the data's clock.
    expect(report.smsPerWeekByPart['held-out part'].operators.raised).toBeGreaterThan(0);
    const pred = (await readFile(join(dir, 'pred.csv'), 'utf8')).trim().split('\n');
    expect(pred[0]).toBe('time,event,fault');
    expect(pred).toHaveLength(at + 120 + 1);
    expect(pred[at + 5 + 1]).toMatch(/,1,0$/);
    expect(pred[at - 60 + 1]).toMatch(/,0,0$/);
  }, 60_000);

  it('names the missing column and exits 1', async () => {
    await expect(cli(['--data', join(dir, 'one.csv'), '--columns', 'Nope=ph'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('column "Nope" not in the header'),
    });
    await expect(cli(['--data', join(dir, 'absent.csv')])).rejects.toMatchObject({
      stderr: expect.stringContaining('no such file'),
    });
    await expect(cli(['--data', join(dir, 'one.csv'), '--replay-store', 'disk'])).rejects.toMatchObject({
      stderr: expect.stringContaining('--replay-store must be memory or dynalite'),
    });
  }, 60_000);
});
