import { describe, expect, it } from 'vitest';
import { conditionsFor } from '../../../functions/core/conditions/build';
import { evaluateConditions, historyFor } from '../../../functions/core/conditions/evaluate';
import { QUALITY_DEFAULTS, stuckVerdict } from '../../../functions/core/quality';
import { series, waterDevice } from './fixtures';

const network = waterDevice({ measurementPoint: 'network' });
const conditions = conditionsFor(network);
const history = historyFor(conditions);
/** The conditions' verdicts at the newest sample, from the window the engine would hand them. */
const statusAt = (values: Record<string, number>[], key: string, open: string[] = []) =>
  evaluateConditions(conditions, series(values).slice(-history), new Set(open)).get(key);

/** A quiet site: free chlorine about 0.15 mg/L, moving by less than its 0.01 resolution, so mostly repeating. */
function quietChlorine(n: number, from = 0): Record<string, number>[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + from;
    // One step of one resolution unit about every 8 minutes, back and forth.
    const free_chlorine_mg_l = Math.floor(i / 8) % 2 === 0 ? 0.15 : 0.16;
    return { free_chlorine_mg_l, temperature_c: 8 + (i % 7) * 0.1, ph: 8.3 + (i % 4) * 0.01 };
  });
}

/** A pH analyser that moves by at least its resolution every minute. */
function movingPh(n: number): Record<string, number>[] {
  return Array.from({ length: n }, (_, i) => ({
    ph: 7.3 + ((i * 3) % 7) * 0.01,
    temperature_c: 8 + i * 0.05,
  }));
}

describe('the stuck rule at the instrument resolution', () => {
  it('watches every stuck channel with enough history to judge a run against what came before it', () => {
    expect(history).toBeGreaterThanOrEqual(QUALITY_DEFAULTS.stuckSamples + QUALITY_DEFAULTS.reference);
  });

  it('raises no fault for chlorine repeating 0.15 for 10, 20 and 40 minutes on a quiet site', () => {
    const before = quietChlorine(40);
    for (const run of [10, 20, 40]) {
      const frozen = Array.from({ length: run }, (_, i) => ({
        free_chlorine_mg_l: 0.15,
        temperature_c: 8 + (i % 7) * 0.1,
        ph: 8.3 + (i % 4) * 0.01,
      }));
      const values = [...before, ...frozen];
      for (let end = before.length + 1; end <= values.length; end++)
        expect(statusAt(values.slice(0, end), 'stuck:free_chlorine_mg_l')).not.toBe('breach');
    }
  });

  it('checks the chlorine limit on such a site: a real drop below the network minimum still raises', () => {
    const values = [...quietChlorine(40), { free_chlorine_mg_l: 0.03 }, { free_chlorine_mg_l: 0.03 }];
    expect(statusAt(values, 'limit:free_chlorine_mg_l:min')).toBe('breach');
  });

  it('finds a frozen pH analyser that normally moves, after the configured run', () => {
    const frozen = Array.from({ length: 10 }, (_, i) => ({ ph: 7.31, temperature_c: 9 + i * 0.05 }));
    const values = [...movingPh(30), ...frozen];
    expect(statusAt(values, 'stuck:ph')).toBe('breach');
    expect(statusAt(values.slice(0, -1), 'stuck:ph')).not.toBe('breach');
  });

  it('compares values at the resolution: noise below it is one reading', () => {
    const window = series([
      ...movingPh(30),
      ...Array.from({ length: 10 }, (_, i) => ({ ph: 7.31 + (i % 2) * 0.0004, temperature_c: 9 + i * 0.1 })),
    ]);
    expect(stuckVerdict(window, 'ph', { samples: 10, resolution: 0.01, reference: 30 })).toBe('stuck');
    expect(stuckVerdict(window, 'ph', { samples: 10, resolution: 0.0001, reference: 30 })).toBe('not_stuck');
  });

  it('takes a per-site resolution: chlorine reported at 0.05 alternating 0.15/0.16 is one reading', () => {
    const coarse = waterDevice({ alarmSettings: { resolution: { free_chlorine_mg_l: 0.05 } } });
    const stuck = conditionsFor(coarse).find((c) => c.key === 'stuck:free_chlorine_mg_l');
    expect(stuck).toMatchObject({ resolution: 0.05 });
    expect(conditions.find((c) => c.key === 'stuck:free_chlorine_mg_l')).toMatchObject({ resolution: 0.01 });
  });

  it('needs the neighbours to move: steady water on every channel is not a fault', () => {
    const values = [...movingPh(30), ...Array.from({ length: 10 }, () => ({ ph: 7.31, temperature_c: 9 }))];
    expect(statusAt(values, 'stuck:ph')).not.toBe('breach');
  });

  it('keeps an alarmed channel out of its limit while a run too long to judge goes on, and says nothing new', () => {
    const frozenLow = Array.from({ length: history }, (_, i) => ({ ph: 6.0, temperature_c: 9 + i * 0.05 }));
    const values = [...movingPh(30), ...frozenLow];
    expect(statusAt(values, 'stuck:ph', ['stuck:ph'])).toBe('hold');
    expect(statusAt(values, 'limit:ph:min', ['stuck:ph'])).toBe('hold');
    // Without a stuck alarm (lost, or acknowledged and closed) the limit is judged again: 6.0 is below 6.5.
    expect(statusAt(values, 'limit:ph:min')).toBe('breach');
  });

  it('is deterministic: the same window gives the same verdict', () => {
    const window = series([...movingPh(30), ...Array.from({ length: 12 }, (_, i) => ({ ph: 7.3, t: i }))]);
    const rule = { samples: 10, resolution: 0.01, reference: 30 };
    expect(new Set(Array.from({ length: 5 }, () => stuckVerdict(window, 'ph', rule))).size).toBe(1);
  });
});
