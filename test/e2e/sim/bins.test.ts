import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../../infra/local/runtime';
import { startTestRuntime } from '../../helpers/runtime';
import { simAgainst } from '../../helpers/sim';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

/**
 * The three simulator outcomes for bins, judged by `--expect` against `npm start`'s runtime: a steady fill
 * forecast within 20 % of the true crossing, one collection event per bin of a round, and a fire alarmed once to
 * sanitation and supervisors. A runtime of its own: the window (the last 8 h) overlaps the other simulator tests'.
 */
describe('pamir-sim --expect, bin scenarios, against the local runtime', () => {
  let dir: string;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    dir = await makeTempDir('pamir-sim-bins-');
    runtime = await startTestRuntime(dir);
  });
  afterAll(async () => {
    await runtime.stop();
    await removeTempDir(dir);
  });

  it('steady fill, a collection round and a fire: every expected outcome holds', async () => {
    const { code, summary } = await simAgainst(runtime, dir, [
      '--devices',
      'market-town,village-dabudar,bin-tiznap-01',
      '--scenario',
      'bin-steady-fill@bin-bazaar-01,bin-collection-round@village-dabudar:round_after=3h,bin-fire@bin-tiznap-01+7h',
      '--from',
      'now-8h',
      '--to',
      'now',
      '--seed',
      '21',
      '--expect',
      '--expect-timeout',
      '30s',
    ]);
    const checks = summary.expect?.checks ?? [];
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(code).toBe(0);
    expect(checks.map((c) => `${c.check} ${c.subject}`)).toEqual([
      'readings 6 devices',
      'forecast bin-bazaar-01',
      'collections bin-dabudar-01',
      'collections bin-dabudar-02',
      'alarm bin-tiznap-01',
      'sms bin-tiznap-01',
      'sms bin-tiznap-01',
    ]);
    const forecast = checks.find((c) => c.check === 'forecast');
    expect(forecast?.found).toMatch(/listed within PT\d+S, not within PT\d+S$/);
  });
});
