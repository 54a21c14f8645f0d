/**
 * `npm run console:screenshots`: the README's console images. Starts the local runtime with the example county, a
 * month of history, a day of bins and a live chlorine-loss alarm (console-fixture.ts), signs in as an operator (and as an
 * engineer for the engineering pages) through the form in
 * Chromium, and writes docs/images/console-<page>.png at desktop width (English) and at 375 px (Chinese).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchBrowser, openConsole, signIn } from '../helpers/browser';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { DEMO_ENGINEER, DEMO_OPERATOR, startConsoleDemo } from './console-fixture';

const OUT = fileURLToPath(new URL('../../docs/images', import.meta.url));

/** The pages shown, each with what must be drawn before the picture is taken. */
const PAGES: { name: string; hash: (alarmId: string) => string; ready: string; engineer?: boolean }[] = [
  { name: 'overview', hash: () => '#/', ready: '[data-testid=overview] [data-testid^="site-"]' },
  { name: 'alarms', hash: () => '#/alarms', ready: '[data-testid=alarm-list]' },
  { name: 'alarm-detail', hash: (id) => `#/alarms/${id}`, ready: '[data-testid=alarm-history]' },
  {
    name: 'device',
    hash: () => '#/devices/wq-town-outlet?range=30d',
    ready: '[data-testid="chart-free_chlorine_mg_l"] canvas',
  },
  { name: 'bins', hash: () => '#/bins', ready: '[data-testid=collection-list] [data-testid^="bin-"]' },
  { name: 'bin-detail', hash: () => '#/bins/bin-bazaar-02', ready: '[data-testid=chart-fill] canvas' },
  { name: 'reports', hash: () => '#/reports', ready: '[data-testid=report-list]' },
  {
    name: 'health',
    hash: () => '#/engineering/health',
    ready: '[data-testid=device-health]',
    engineer: true,
  },
];

const VIEWS = [
  { suffix: '', width: 1280, height: 900, locale: 'en-US' },
  { suffix: '-375', width: 375, height: 812, locale: 'zh-CN' },
];

async function main(): Promise<void> {
  const log = (line: string) => console.log(line);
  const dir = await makeTempDir('pamir-screenshots-');
  const { runtime, base } = await startConsoleDemo(dir, log);
  const browser = await launchBrowser();
  try {
    await mkdir(OUT, { recursive: true });
    const alarms = (await (
      await fetch(`${base}/alarms?severity=critical`, {
        headers: { authorization: `Bearer ${runtime.apiToken}` },
      })
    ).json()) as { items: { alarmId: string }[] };
    const alarmId = alarms.items[0]?.alarmId;
    if (!alarmId) throw new Error('the demo raised no critical alarm to show');
    for (const view of VIEWS) {
      for (const who of [DEMO_OPERATOR, DEMO_ENGINEER]) {
        const c = await openConsole(browser, base, view);
        const page: Page = c.page;
        await signIn(page, base, who.token);
        for (const p of PAGES.filter((each) => (each.engineer ?? false) === (who === DEMO_ENGINEER))) {
          await page.goto(`${base}/${p.hash(alarmId)}`);
          await page.locator(p.ready).first().waitFor({ timeout: 30_000 });
          // Let the charts' resize and the live list's first poll settle.
          await page.waitForTimeout(300);
          const file = join(OUT, `console-${p.name}${view.suffix}.png`);
          await page.screenshot({ path: file });
          log(`wrote ${file}`);
        }
        if (c.errors.length || c.foreign.length)
          throw new Error(`console errors: ${JSON.stringify({ errors: c.errors, foreign: c.foreign })}`);
        await c.context.close();
      }
    }
  } finally {
    await browser.close();
    await runtime.stop();
    await removeTempDir(dir);
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`console:screenshots failed: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
