import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Summary } from '../../../device-sim/cli';
import type { LocalRuntime } from '../../../infra/local/runtime';
import { startTestRuntime } from '../../helpers/runtime';
import { simAgainst } from '../../helpers/sim';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { captureIo } from '../../unit/sim/fixtures';

/** The simulator as an acceptance test: scenarios against `npm start`'s runtime, judged by `--expect`. */
describe('pamir-sim --expect against the local runtime', () => {
  let dir: string;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    dir = await makeTempDir('pamir-sim-e2e-');
    runtime = await startTestRuntime(dir);
  });
  afterAll(async () => {
    await runtime.stop();
    await removeTempDir(dir);
  });

  const sim = (args: string[]) => simAgainst(runtime, dir, args);

  const failures = (s: Summary) => (s.expect?.checks ?? []).filter((c) => !c.ok);
  const words = (text: string) => text.split(' ');

  // Each run gets its own simulated window: the service evaluates a device's samples in timestamp order, so a run
  // that replays a window an earlier run already went past would be judged as late data.
  it('passes normal, duplicate-delivery, malformed and offline-backfill: readings complete, no doubles, quarantine, order', async () => {
    const { code, summary } = await sim(
      words(
        '--scenario normal,duplicate-delivery,malformed,offline-backfill --from now-3h --speed 600 --duration 3 --seed 11 --expect --expect-timeout 20s',
      ),
    );
    expect(failures(summary)).toEqual([]);
    expect(code).toBe(0);
    const kinds = summary.expect?.checks.map((c) => c.check) ?? [];
    expect(kinds.filter((k) => k === 'quarantine')).toHaveLength(4);
    expect(kinds).toContain('backfill-order');
    expect(summary).toMatchObject({ failed: 0, refused: 1 });
  });

  it('refuses, exit 2, to drive a fleet the service never registered: its devices have no secrets', async () => {
    const { io, stdout, stderr } = captureIo();
    const code = await main(
      [
        '--broker',
        `mqtt://127.0.0.1:${runtime.mqttPort}`,
        '--data-dir',
        dir,
        ...words('--water 2 --bins 1 --townships 1 --interval 60 --speed 1200 --samples 3 --seed 12'),
      ],
      io,
    );
    expect(code).toBe(2);
    expect(stdout()).toBe('');
    expect(stderr()).toMatch(
      /no MQTT secret for 3 devices, first .*register the devices .*ALLOW_ANONYMOUS_DEVICES=1/,
    );
  });

  it('fails, exit 1, when the service does not hold what was published (a fleet it never registered, anonymous devices allowed)', async () => {
    const openDir = await makeTempDir('pamir-sim-e2e-anon-');
    const open = await startTestRuntime(openDir, { allowAnonymousDevices: true });
    try {
      const { code, summary } = await simAgainst(
        open,
        openDir,
        words(
          '--water 2 --bins 1 --townships 1 --interval 60 --speed 1200 --samples 3 --seed 12 --expect --expect-timeout 2s',
        ),
        { ALLOW_ANONYMOUS_DEVICES: '1' },
      );
      expect(code).toBe(1);
      expect(summary.acked).toBe(9);
      expect(failures(summary)).toEqual([
        expect.objectContaining({
          check: 'readings',
          found: expect.stringMatching(/^0\/9 readable.*is not registered/),
        }),
      ]);
    } finally {
      await open.stop();
      await removeTempDir(openDir);
    }
  });

  it('chlorine-loss: one critical residual alarm at the plant outlet and exactly one critical SMS to each operator', async () => {
    const { code, summary } = await sim(
      words(
        '--scenario chlorine-loss@wq-town-outlet --from now-1h --speed 600 --duration 3 --seed 13 --expect --expect-timeout 20s',
      ),
    );
    expect(failures(summary)).toEqual([]);
    expect(code).toBe(0);
    expect(summary.expect?.checks.map((c) => c.check)).toEqual(['readings', 'alarm', 'sms']);
  });
});
