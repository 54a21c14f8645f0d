import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../../device-sim/cli';
import type { LocalRuntime } from '../../../infra/local/runtime';
import { startTestRuntime } from '../../helpers/runtime';
import { simAgainst } from '../../helpers/sim';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

/**
 * The event detector's scenarios against `npm start`'s runtime, judged by `--expect`. The detector gives verdicts only
 * after two days of a device's data, so each device first backfills 52 hours of normal data (batches of 100, as a
 * device back from an outage), and then reports the scenario's part one sample per message, as a live device does:
 * an episode found inside a backfill would be summarised, not raised (docs/alarm-rules.md), which is not what these
 * scenarios are about.
 */
describe('pamir-sim --expect: the event detector', () => {
  let dir: string;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    dir = await makeTempDir('pamir-sim-detector-');
    // The detector learns in time order; a backfill split over concurrent ingest invocations can lose the learning of
    // all but one of them (see the README, "Event detection"). A window longer than the backfill's sending keeps each
    // backfill in one invocation, as one SQS batch would.
    runtime = await startTestRuntime(dir, { router: { maxBatchingWindowMs: 5_000 } });
  });
  afterAll(async () => {
    await runtime.stop();
    await removeTempDir(dir);
  });

  const failures = (s: Summary) => (s.expect?.checks ?? []).filter((c) => !c.ok);
  const sim = (args: string) => simAgainst(runtime, dir, args.split(' '));

  /**
   * The commissioning days up to `live` before now, then the scenario from there to now, one sample per message. From
   * 52 hours back: 50 left a 50-minute scenario exactly 48 learned hours and 24 hourly maxima at its start, so one hour
   * not learned (an hour boundary split across two backfill batches evaluated at once) left it still commissioning.
   */
  async function run(device: string, scenario: string, live: string, seed: number) {
    const history = await sim(`--devices ${device} --from now-52h --to now-${live} --seed ${seed}`);
    expect(history.code).toBe(0);
    // The commissioning days are ingested and learned before the live part starts, as for a device that had been
    // online: otherwise the live messages race the backfill's invocations for the detector state, and on a loaded
    // machine a retried write pushed the drift's alarm past the expect timeout.
    await runtime.router.idle();
    return sim(
      `--scenario ${scenario}@${device}+0 --devices ${device} --from now-${live} --to now --batch-size 1 --seed ${seed} --expect --expect-timeout 30s`,
    );
  }

  it('contamination: pH and ORP shift inside the limits; one event alarm for operators, no limit alarm', async () => {
    // The event is found within a few samples: the scenario starts 8 minutes before now, so it is news, not late.
    const { code, summary } = await run('wq-town-outlet', 'contamination', '8m', 21);
    expect(failures(summary)).toEqual([]);
    expect(code).toBe(0);
    expect(summary.expect?.checks.map((c) => c.check)).toEqual(['readings', 'alarm', 'alarm', 'sms']);
  });

  it('sensor-drift: pH drifts 0.3 an hour while ORP stays with the water; one sensor fault for engineers, no event', async () => {
    // Confirmed 18–44 minutes into the drift on the simulator's data (seeds 21–36, two windows each): 50 minutes live.
    const { code, summary } = await run('wq-dabudar-outlet', 'sensor-drift', '50m', 21);
    expect(failures(summary)).toEqual([]);
    expect(code).toBe(0);
    expect(summary.expect?.checks.map((c) => c.check)).toEqual(['readings', 'alarm', 'sms']);
  });
});
