import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { median } from '../../functions/shared/stats';
import { launchBrowser, openConsole } from '../helpers/browser';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { DEMO_OPERATOR, startConsoleDemo } from './console-fixture';

const ASSETS = fileURLToPath(new URL('../../console/dist/assets', import.meta.url));
const RUNS = 5;
/** The budgets: the overview drawn within a second locally, the bundle under 300 KB gzipped. */
export const CONSOLE_BUDGET = { firstRenderMs: 1000, bundleGzipBytes: 300 * 1024 };

/** The console's JavaScript and CSS as a browser downloads them compressed (gzip level 9), bytes. */
async function bundleSize(): Promise<{ raw: number; gzip: number; files: number }> {
  let raw = 0;
  let gzip = 0;
  let files = 0;
  for (const name of await readdir(ASSETS)) {
    if (!/\.(js|css)$/.test(name)) continue;
    const bytes = await readFile(join(ASSETS, name));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
    files++;
  }
  return { raw, gzip, files };
}

/** What "drawn" means: at least `count` elements match `selector`, each with a canvas and points when `chart`. */
interface Drawn {
  selector: string;
  count: number;
  chart: boolean;
  /** The API path whose request time is reported beside (the slowest request under it). */
  api: string;
}

interface DomLike {
  querySelectorAll(
    selector: string,
  ): ArrayLike<{ getAttribute(name: string): string | null; querySelector(s: string): unknown }>;
}

/**
 * Opens `hash` in a fresh tab already signed in (the token in this tab's session storage, as after the sign-in form)
 * and answers the page's own clock, ms since navigation started, at the first animation frame where it is drawn.
 * The check is a function, not a string: the console's content security policy forbids eval, for tests too.
 */
async function timeTo(
  browser: Browser,
  base: string,
  hash: string,
  drawn: Drawn,
): Promise<{ ms: number; apiMs: number }> {
  const c = await openConsole(browser, base);
  try {
    await c.context.addInitScript(
      `sessionStorage.setItem('pamir.token', ${JSON.stringify(DEMO_OPERATOR.token)})`,
    );
    const page: Page = c.page;
    await page.goto(`${base}/${hash}`);
    const at = await page.waitForFunction(
      (want: Drawn) => {
        const doc = (globalThis as unknown as { document: DomLike }).document;
        const found = Array.from(doc.querySelectorAll(want.selector)).filter(
          (el) => !want.chart || (el.querySelector('canvas') && Number(el.getAttribute('data-points')) > 0),
        );
        return found.length >= want.count && performance.now();
      },
      drawn,
      { polling: 'raf', timeout: 30_000 },
    );
    const ms = (await at.jsonValue()) as number;
    // How long the API took for the slowest call this page made: the part of the time the console does not own.
    const apiMs = await page.evaluate((path: string) => {
      const entries = performance.getEntriesByType('resource') as unknown as {
        name: string;
        startTime: number;
        responseEnd: number;
      }[];
      const own = entries.filter((e) => new URL(e.name).pathname.startsWith(path));
      return Math.max(0, ...own.map((e) => e.responseEnd - e.startTime));
    }, drawn.api);
    if (c.errors.length || c.foreign.length)
      throw new Error(`console errors: ${JSON.stringify({ errors: c.errors, foreign: c.foreign })}`);
    return { ms, apiMs };
  } finally {
    await c.context.close();
  }
}

export interface ConsoleBenchResult {
  runs: number;
  overviewFirstRenderMs: number;
  /** Of which GET /overview took (server and transfer). */
  overviewApiMs: number;
  chart30dRenderMs: number;
  /** The slowest GET /devices/{id}/series of the page. */
  chart30dSeriesApiMs: number;
  chart30dPoints: number;
  bundle: { raw: number; gzip: number; files: number };
  budget: typeof CONSOLE_BUDGET;
  withinBudget: boolean;
}

/**
 * (k) the operator console in Chromium against the local runtime with the example county: the overview's first
 * render (navigation → every site drawn) and a 30-day chart's (navigation to a device page at 30 days → the chart
 * drawn from ~720 hourly points of 10-minute data), median of 5 each, and the bundle size gzipped.
 */
export async function consoleBench(
  log: (line: string) => void = () => undefined,
): Promise<ConsoleBenchResult> {
  const dir = await makeTempDir('pamir-console-bench-');
  let browser: Browser | undefined;
  let stop: (() => Promise<void>) | undefined;
  try {
    const { runtime, base } = await startConsoleDemo(dir, log);
    stop = () => runtime.stop();
    browser = await launchBrowser();
    const sites = (runtime.devices.map((d) => d.siteId) as string[]).filter(
      (s, i, all) => all.indexOf(s) === i,
    );
    const overviewDrawn = {
      selector: '[data-testid=overview] [data-testid^="site-"]',
      count: sites.length,
      chart: false,
      api: '/overview',
    };
    const chartDrawn = {
      selector: '[data-testid="chart-free_chlorine_mg_l"]',
      count: 1,
      chart: true,
      api: '/devices/wq-town-outlet/series',
    };
    // One unmeasured load of each warms the browser's and the runtime's caches, as a user's second visit would be.
    await timeTo(browser, base, '#/', overviewDrawn);
    await timeTo(browser, base, '#/devices/wq-town-outlet?range=30d', chartDrawn);
    const overview: { ms: number; apiMs: number }[] = [];
    const chart: { ms: number; apiMs: number }[] = [];
    log(`measuring (${RUNS} runs each) ...`);
    for (let i = 0; i < RUNS; i++) {
      overview.push(await timeTo(browser, base, '#/', overviewDrawn));
      chart.push(await timeTo(browser, base, '#/devices/wq-town-outlet?range=30d', chartDrawn));
    }
    const series = (await (
      await fetch(
        `${base}/devices/wq-town-outlet/series?metric=free_chlorine_mg_l&from=${Date.now() - 30 * 86_400_000}&points=1000`,
        { headers: { authorization: `Bearer ${runtime.apiToken}` } },
      )
    ).json()) as { points: unknown[] };
    const bundle = await bundleSize();
    const result = {
      runs: RUNS,
      overviewFirstRenderMs: Math.round(median(overview.map((r) => r.ms))),
      overviewApiMs: Math.round(median(overview.map((r) => r.apiMs))),
      chart30dRenderMs: Math.round(median(chart.map((r) => r.ms))),
      chart30dSeriesApiMs: Math.round(median(chart.map((r) => r.apiMs))),
      chart30dPoints: series.points.length,
      bundle,
      budget: CONSOLE_BUDGET,
      withinBudget: false,
    };
    result.withinBudget =
      result.overviewFirstRenderMs < CONSOLE_BUDGET.firstRenderMs &&
      bundle.gzip < CONSOLE_BUDGET.bundleGzipBytes;
    return result;
  } finally {
    await browser?.close();
    await stop?.();
    await removeTempDir(dir);
  }
}
