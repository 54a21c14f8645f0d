import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalRuntime } from '../../infra/local/runtime';
import { buildConsole } from '../helpers/browser';
import { startTestRuntime } from '../helpers/runtime';
import { simAgainst } from '../helpers/sim';

/** The devices with a month of history behind them (one sample every 10 minutes), for 30-day charts. */
export const MONTH_DEVICES = ['wq-town-outlet', 'wq-town-hospital'];
/** The operator the demo signs in as (its actor name shows on acknowledgements). */
export const DEMO_OPERATOR = {
  name: 'operator-ma',
  role: 'operator',
  token: 'operator-ma-demo-token-0123456789',
};
/** The engineer the demo signs in as for the engineering pages. */
export const DEMO_ENGINEER = {
  name: 'engineer-li',
  role: 'engineer',
  token: 'engineer-li-demo-token-0123456789',
};
/** The bins with a day of fill readings behind them, for the collection list and a fill chart. */
export const DAY_BINS = ['bin-bazaar-01', 'bin-bazaar-02', 'bin-bazaar-03', 'bin-school-01', 'bin-school-02'];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function sim(runtime: LocalRuntime, dir: string, args: string[]) {
  const { code, stderr } = await simAgainst(runtime, dir, args);
  if (code !== 0) throw new Error(`pamir-sim ${args.join(' ')} failed (${code}): ${stderr}`);
}

/**
 * The example county with something to show, in this process: 30 days of the town's outlet and hospital at one
 * sample every 10 minutes (a chlorine loss on day 10, rolled up as the hourly job does), a day of five bins, then the last hour of every
 * device at its own interval, ending in a chlorine loss at the town's plant outlet that is still going on.
 */
export async function startConsoleDemo(dir: string, log: (line: string) => void = () => undefined) {
  await writeFile(join(dir, 'api-tokens.json'), JSON.stringify([DEMO_OPERATOR, DEMO_ENGINEER]));
  const [runtime] = await Promise.all([startTestRuntime(dir), buildConsole()]);
  const now = Date.now();
  const monthEnd = now - HOUR;
  log('backfilling 30 days of two devices at 10-minute intervals ...');
  await sim(runtime, dir, [
    '--devices',
    MONTH_DEVICES.join(','),
    '--interval',
    '600',
    '--from',
    new Date(monthEnd - 30 * DAY).toISOString(),
    '--to',
    new Date(monthEnd).toISOString(),
    '--scenario',
    `chlorine-loss@wq-town-outlet+${10 * 24}h~4h`,
    '--seed',
    '13',
  ]);
  log('a day of the bins at their own intervals ...');
  await sim(runtime, dir, [
    '--devices',
    DAY_BINS.join(','),
    '--from',
    new Date(monthEnd - DAY).toISOString(),
    '--to',
    new Date(monthEnd).toISOString(),
    '--seed',
    '15',
  ]);
  await runtime.router.idle();
  await runtime.runSchedule('rollups');
  log('the last hour of every device, ending in a chlorine loss at the town plant outlet ...');
  await sim(runtime, dir, [
    '--from',
    new Date(monthEnd).toISOString(),
    '--to',
    new Date(now).toISOString(),
    '--scenario',
    'chlorine-loss@wq-town-outlet+45m',
    '--seed',
    '14',
  ]);
  await runtime.router.idle();
  return { runtime, base: `http://127.0.0.1:${runtime.httpPort}` };
}
