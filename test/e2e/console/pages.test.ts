import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildConsole,
  type ConsoleContext,
  launchBrowser,
  openConsole,
  screenshot,
  scrollsSideways,
  signIn,
} from '../../helpers/browser';
import { publishAs } from '../../helpers/mqtt';
import { type RuntimeProcess, startRuntimeProcess } from '../../helpers/runtime-process';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

/** How long a page may take to show what the API did: the machine runs the runtime, Chromium and other tests at once. */
const SETTLE = { timeout: 15_000, interval: 100 };

// The bins, engineering and reports pages in real Chromium against the runtime `npm start` runs (a child process):
// readings and a malformed message arrive over MQTT from the example fleet's own devices.

const QUARTER = 15 * 60_000;
const ENGINEER = { name: 'eng-ma', role: 'engineer', token: 'engineer-ma-0123456789abcdef' };
const VIEWER = { name: 'clerk-wang', role: 'viewer', token: 'viewer-wang-0123456789abcdef' };
/** Markup in a payload: the quarantine page must show it as text and never run it. */
const MALFORMED = '{"v":1,"m":<img src=x onerror="window.__pwned=1">}\u0000\u00ff';

describe('console: bins, engineering and reports pages', () => {
  let dir: string;
  let runtime: RuntimeProcess;
  let browser: Browser;
  let base: string;
  const opened: ConsoleContext[] = [];

  /** A new browser context signed in with `token`, on `hash`; its errors are checked when the test ends. */
  async function signedIn(token: string, hash: string, width = 1000): Promise<ConsoleContext> {
    const c = await openConsole(browser, base, { width, height: 900 });
    opened.push(c);
    await signIn(c.page, base, token);
    await c.page.goto(`${base}/${hash}`);
    return c;
  }

  /** No request left the console's origin and nothing failed (a CSP refusal is a console error too). */
  function clean(c: ConsoleContext, extraErrors: readonly string[] = [], expected?: RegExp) {
    expect(c.foreign).toEqual([]);
    expect([...c.errors, ...extraErrors].filter((e) => !expected?.test(e))).toEqual([]);
  }

  const shot = (page: Page, name: string) => screenshot(page, name);

  beforeAll(async () => {
    dir = await makeTempDir('pamir-console-pages-');
    await writeFile(join(dir, 'api-tokens.json'), JSON.stringify([ENGINEER, VIEWER]));
    [runtime, browser] = await Promise.all([
      startRuntimeProcess({ dataDir: dir }),
      launchBrowser(),
      buildConsole(),
    ]);
    base = `http://127.0.0.1:${runtime.httpPort}`;
    const devices = {
      mqttPort: runtime.mqttPort,
      deviceSecretFile: (id: string) => join(dir, 'devices', `${id}.secret`),
    };

    // Six hours of fill readings every 15 minutes ending an hour ago, one batch per bin, from the bin itself.
    const t0 = Date.now() - 7 * 3_600_000;
    let seq = 0;
    const filling = (from: number, perHour: number) =>
      Array.from({ length: 25 }, (_, i) => ({
        ts: t0 + i * QUARTER,
        seq: seq++,
        m: { fill_pct: from + (perHour * i) / 4, temperature_c: 3, tilt: false },
      }));
    const bins = {
      'bin-bazaar-01': filling(20, 7.5),
      'bin-bazaar-02': filling(55, 5),
      'bin-bazaar-03': filling(10, 2),
      'bin-school-01': filling(40, 5),
    };
    for (const [binId, samples] of Object.entries(bins))
      await publishAs(devices, binId, [
        { topic: `dt/bin/${binId}`, payload: JSON.stringify({ v: 1, samples, battery_pct: 80 }) },
      ]);
    await publishAs(devices, 'wq-town-outlet', [{ topic: 'dt/water/wq-town-outlet', payload: MALFORMED }]);
    await runtime.idle();
    // The compliance report reads roll-ups: roll up the hours just written, as the 15-minute schedule would.
    await runtime.runRollups();
  });

  afterAll(async () => {
    for (const c of opened) await c.context.close();
    await browser?.close();
    await runtime?.stop();
    await removeTempDir(dir);
  });

  it('lists the bins to collect, most urgent first, and draws a bin’s fill with its forecast', async () => {
    const c = await signedIn(ENGINEER.token, '#/bins');
    const { page } = c;
    const list = page.locator('[data-testid=collection-list]');
    await list.waitFor();
    // Within 24 h: bazaar-02 is over its 75 % threshold, bazaar-01 reaches it in minutes, the school bin its 85 % in
    // about three hours; bazaar-03 (22 %, 2 %/h) is more than a day away.
    const rows = list.locator('> li');
    expect(await rows.evaluateAll((li) => li.map((e) => e.getAttribute('data-testid')))).toEqual([
      'bin-bin-bazaar-02',
      'bin-bin-bazaar-01',
      'bin-bin-school-01',
    ]);
    await expect.poll(() => rows.first().getAttribute('data-urgency'), SETTLE).toBe('above');
    expect(await rows.first().textContent()).toContain('Above threshold');
    await shot(page, 'bins');

    // The window picker by keyboard: arrow keys move between the radio buttons, and the list follows.
    await page.focus('input[name=bins-window]:checked');
    await page.keyboard.press('ArrowLeft');
    await expect
      .poll(() => page.locator('input[name=bins-window]:checked').getAttribute('value'))
      .toBe('PT12H');
    await expect.poll(() => rows.count(), SETTLE).toBe(3);

    await page.locator('[data-testid=bin-bin-bazaar-02] a').click();
    const chart = page.locator('[data-testid=chart-fill]');
    await chart.waitFor();
    expect(page.url()).toMatch(/#\/bins\/bin-bazaar-02$/);
    // 25 readings in the fill line and the forecast's two ends.
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(25);
    expect(await chart.getAttribute('data-levels')).toContain('warnMax=75');
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('main').textContent()).toMatch(/Forecast/);
    await shot(page, 'bin-detail');
    clean(c);
  });

  it('shows an engineer a quarantined message with its reason and raw bytes, as text only', async () => {
    const c = await signedIn(ENGINEER.token, '#/engineering/quarantine');
    const { page } = c;
    const entry = page.locator('[data-testid=quarantine-list] > li[data-reason=not_json]');
    await entry.waitFor();
    expect(await entry.count()).toBe(1);
    const text = await entry.textContent();
    expect(text).toContain('dt/water/wq-town-outlet');
    expect(text).toContain('wq-town-outlet');
    // The hex dump starts with the payload's first bytes: {"v":1,"m":<
    expect(await entry.locator('pre').textContent()).toMatch(
      /^00000000 {2}7b 22 76 22 3a 31 2c 22 6d 22 3a 3c/,
    );
    await entry.getByRole('button', { name: 'Base64' }).click();
    expect(await entry.locator('pre').textContent()).toBe(Buffer.from(MALFORMED).toString('base64'));
    await entry.getByRole('button', { name: 'Text' }).click();
    expect(await entry.locator('pre').textContent()).toContain('<img src=x onerror="window.__pwned=1">');
    // Shown, never parsed: no element came from the payload and its handler never ran.
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.evaluate<unknown>('window.__pwned')).toBeUndefined();
    await shot(page, 'quarantine');
    clean(c);
  });

  it('shows a viewer no engineering pages, and the API refuses them too', async () => {
    const c = await signedIn(VIEWER.token, '#/bins');
    const { page } = c;
    await page.locator('[data-testid=collection-list]').waitFor();
    const nav = page.locator('header nav');
    expect(await nav.locator('a[href="#/bins"]').count()).toBe(1);
    for (const tab of ['quarantine', 'dead-letters', 'health', 'subscriptions'])
      expect(await nav.locator(`a[href="#/engineering/${tab}"]`).count()).toBe(0);
    await page.goto(`${base}/#/engineering/quarantine`);
    await expect.poll(() => page.locator('main').textContent(), SETTLE).toMatch(/may not|无权/);
    expect(await page.locator('[data-testid=quarantine-list]').count()).toBe(0);
    const refused = await fetch(`${base}/quarantine`, {
      headers: { authorization: `Bearer ${VIEWER.token}` },
    });
    expect(refused.status).toBe(403);
    clean(c);
  });

  it('lists a month with data and opens its HTML report in a new tab, styled', async () => {
    const c = await signedIn(ENGINEER.token, '#/reports');
    const { context, page } = c;
    const month = page.locator('[data-testid=report-list] > li[data-has-data=true]').first();
    await month.waitFor();
    const id = (await month.getAttribute('data-testid'))?.replace(/^report-/, '') as string;
    expect(id).toMatch(/^\d{4}-\d{2}$/);
    // Every month checked (with or without data) before the picture is taken.
    await expect
      .poll(() => page.locator('[data-testid=report-list] > li:not([data-has-data])').count(), {
        timeout: 20_000,
      })
      .toBe(0);
    await shot(page, 'reports');
    const tabErrors: string[] = [];
    context.on('page', (p) => p.on('console', (m) => m.type() === 'error' && tabErrors.push(m.text())));
    const [tab] = await Promise.all([
      context.waitForEvent('page'),
      month.locator(`[data-testid=open-report-${id}]`).click(),
    ]);
    await expect.poll(() => tab.title(), SETTLE).toContain(id);
    expect(tab.url()).toMatch(/^blob:/);
    // The console's policy allows no inline style: the report's CSS is adopted instead, so it is not unstyled.
    // Page expressions as strings: this file is compiled for Node, without the DOM's types.
    await expect.poll(() => tab.evaluate<number>('document.adoptedStyleSheets.length'), SETTLE).toBe(1);
    expect(await tab.evaluate<string>('getComputedStyle(document.body).fontFamily')).toContain('sans-serif');
    await shot(tab, 'report-html');
    clean(c, tabErrors);
  });

  it('fits a 375 px phone screen on every page of its own', async () => {
    const c = await signedIn(ENGINEER.token, '#/bins', 375);
    for (const [hash, ready] of [
      ['#/bins', '[data-testid=collection-list]'],
      ['#/bins/bin-bazaar-02', '[data-testid=chart-fill] canvas'],
      ['#/engineering/quarantine', '[data-testid=quarantine-list] > li'],
      ['#/engineering/dead-letters', 'main .toolbar .muted'],
      ['#/engineering/health', '[data-testid=device-health] tbody tr'],
      ['#/reports', '[data-testid=report-list] > li[data-has-data=true]'],
    ] as const) {
      await c.page.goto(`${base}/${hash}`);
      await c.page.locator(ready).first().waitFor();
      expect(await scrollsSideways(c.page), hash).toBe(false);
    }
    await shot(c.page, 'reports-375');
    clean(c);
  });

  it('lets an admin add an SMS subscription, with the API’s own refusal first, and delete it after confirming', async () => {
    const c = await signedIn(runtime.apiToken, '#/engineering/subscriptions');
    const { page } = c;
    const rows = page.locator('[data-testid=subscription-list] > li');
    await rows.first().waitFor();
    const before = await rows.count();

    await page.locator('[data-testid=subscription-new]').click();
    const form = page.locator('[data-testid=subscription-form]');
    await form.locator('input[name=phone]').fill('12345');
    await form.locator('[data-testid=subscription-save]').click();
    await expect.poll(() => form.locator('[role=alert]').textContent(), SETTLE).toContain('E.164');

    await form.locator('input[name=phone]').fill('+8613800000999');
    await form.locator('select[name=audience]').selectOption('sanitation');
    await form.locator('input[name=townships]').fill('Tashkurgan Town');
    await form.locator('[data-testid=subscription-save]').click();
    await expect.poll(() => rows.count(), SETTLE).toBe(before + 1);
    const added = rows.filter({ hasText: '+8613800000999' });
    expect(await added.textContent()).toContain('Tashkurgan Town');

    // Escape backs out of the confirmation; only "Confirm" deletes.
    await added.getByRole('button', { name: 'Delete' }).click();
    await page.locator('[data-testid=confirm]').waitFor();
    await page.keyboard.press('Escape');
    expect(await page.locator('[data-testid=confirm]').count()).toBe(0);
    expect(await rows.count()).toBe(before + 1);
    await added.getByRole('button', { name: 'Delete' }).click();
    await page.locator('[data-testid=confirm-yes]').click();
    await expect.poll(() => rows.count(), SETTLE).toBe(before);
    const listed = await fetch(`${base}/subscriptions`, {
      headers: { authorization: `Bearer ${runtime.apiToken}` },
    });
    expect(JSON.stringify(await listed.json())).not.toContain('+8613800000999');
    await shot(page, 'subscriptions');
    // The refused phone is a 400 the browser logs; that one is expected.
    clean(c, [], /status of 400/);
  });
});
