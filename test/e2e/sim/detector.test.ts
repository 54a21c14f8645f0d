import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../../device-sim/cli';
import type { LocalRuntime } from '../../../infra/local/runtime';
import { startTestRuntime } from '../../helpers/runtime';
import { simAgainst } from '../../helpers/sim';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

/**
 * The event detector's scenarios against `npm start`'s runtime, judged by `--expect`. Each backfills a day of normal
 * data (the detector's commissioning) and then the scenario at one plant outlet, as a device back from an outage.
 */
describe('pamir-sim --expect: the event detector', () => {
  let dir: string;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    dir = await makeTempDir('pamir-sim-detector-');
    runtime = await startTestRuntime(dir);
  });
  afterAll(async () => {
    await runtime.stop();
    await removeTempDir(dir);
  });

  const failures = (s: Summary) => (s.expect?.checks ?? []).filter((c) => !c.ok);
  const sim = (args: string) => simAgainst(runtime, dir, args.split(' '));

  it('contamination: pH and ORP shift inside the limits; one event alarm for operators, no limit alarm', async () => {
    const { code, summary } = await sim(
      '--scenario contamination@wq-town-outlet --devices wq-town-outlet --from now-27h --to now --seed 21 --expect --expect-timeout 120s',
    );
    expect(failures(summary)).toEqual([]);
    expect(code).toBe(0);
    expect(summary.expect?.checks.map((c) => c.check)).toEqual(['readings', 'alarm', 'alarm', 'sms']);
  });

  it('sensor-drift: pH drifts while its neighbours stay put; one sensor fault for engineers, nothing to operators', async () => {
    const { code, summary } = await sim(
      '--scenario sensor-drift@wq-dabudar-outlet --devices wq-dabudar-outlet --from now-27h --to now --seed 22 --expect --expect-timeout 120s',
    );
    expect(failures(summary)).toEqual([]);
    expect(code).toBe(0);
    expect(summary.expect?.checks.map((c) => c.check)).toEqual(['readings', 'alarm', 'sms']);
  });
});
