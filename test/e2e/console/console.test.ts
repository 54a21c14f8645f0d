import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildConsole,
  type ConsoleContext,
  isFocused,
  launchBrowser,
  openConsole,
  screenshot,
  scrollsSideways,
  signIn,
} from '../../helpers/browser';
import { connectDevice, deviceCredentials, publishQos1 } from '../../helpers/mqtt';
import { type RuntimeProcess, startRuntimeProcess } from '../../helpers/runtime-process';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

const OUTLET = 'wq-town-outlet';
const PEOPLE = {
  operator: { name: 'operator-ma', role: 'operator', token: 'operator-ma-token-0123456789' },
  viewer: { name: 'clerk-wang', role: 'viewer', token: 'clerk-wang-token-0123456789' },
};

describe('operator console in Chromium against npm start', () => {
  let dir: string;
  let runtime: RuntimeProcess;
  let browser: Browser;
  let base: string;
  let operator: ConsoleContext;
  let alarmId: string;
  let seq = 0;
  const opened: ConsoleContext[] = [];

  /** Publishes as the device itself, with its own credentials, over a real MQTT connection. */
  async function publish(deviceId: string, chlorine: readonly number[], start: number, stepMs = 60_000) {
    const client = await connectDevice(
      runtime.mqttPort,
      deviceId,
      deviceCredentials({ deviceSecretFile: (id) => join(dir, 'devices', `${id}.secret`) }, deviceId),
    );
    try {
      for (const [i, c] of chlorine.entries())
        await publishQos1(
          client,
          `dt/water/${deviceId}`,
          JSON.stringify({ v: 1, ts: start + i * stepMs, seq: seq++, m: { free_chlorine_mg_l: c, ph: 7.3 } }),
        );
    } finally {
      await client.endAsync();
    }
    await runtime.idle();
  }

  async function open(options?: Parameters<typeof openConsole>[2]) {
    const c = await openConsole(browser, base, options);
    opened.push(c);
    return c;
  }

  async function adminGet<T>(path: string): Promise<T> {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${runtime.apiToken}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  beforeAll(async () => {
    dir = await makeTempDir('pamir-console-');
    await writeFile(join(dir, 'api-tokens.json'), JSON.stringify(Object.values(PEOPLE)));
    [runtime, browser] = await Promise.all([
      startRuntimeProcess({ dataDir: dir }),
      launchBrowser(),
      buildConsole(),
    ]);
    base = `http://127.0.0.1:${runtime.httpPort}`;
    // Fifty minutes of good water at the plant outlet up to now (it reports every minute and is offline after three
    // silent ones), so the overview and the chart have something to show.
    await publish(
      OUTLET,
      Array.from({ length: 50 }, (_, i) => 0.6 + (i % 5) * 0.02),
      Date.now() - 49 * 60_000 - 20_000,
    );
    operator = await open();
  });

  afterAll(async () => {
    for (const c of opened) await c.context.close().catch(() => undefined);
    await browser?.close();
    await runtime?.stop();
    await removeTempDir(dir);
  });

  it('signs an operator in with a token and lists every site of the example county on the overview', async () => {
    const { page } = operator;
    await signIn(page, base, PEOPLE.operator.token);
    await expect(page.locator('[data-testid=whoami]').textContent()).resolves.toMatch(/operator-ma/);
    await page.locator('[data-testid=overview]').waitFor();
    const fleet = JSON.parse(await readFile('infra/fleet/example-county.json', 'utf8')) as {
      sites: { id: string; township: string }[];
    };
    for (const site of fleet.sites) {
      const card = page.locator(`[data-testid="site-${site.id}"]`);
      await expect(card.count()).resolves.toBe(1);
      expect(await card.getAttribute('data-state')).toMatch(
        /^(unsafe|warning|sensor_fault|offline|maintenance|safe|no_data)$/,
      );
    }
    for (const township of new Set(fleet.sites.map((s) => s.township)))
      await expect(page.locator(`[data-testid="township-${township}"]`).count()).resolves.toBe(1);
    await expect(page.locator(`[data-testid="site-plant-town"]`).getAttribute('data-state')).resolves.toBe(
      'safe',
    );
    await expect(page.locator('[data-testid="bins-Tashkurgan Town"]').textContent()).resolves.toMatch(/\d/);
    await screenshot(page, 'overview');
  });

  it('shows a chlorine loss published over MQTT in the open alarms without a reload', async () => {
    const { page } = operator;
    await page.locator('a[href="#/alarms"]').click();
    await page.locator('[data-testid=live-status]').filter({ hasText: /Live/ }).waitFor();
    // A mark in this document: a reload would lose it.
    await page.evaluate('window.sameDocument = true');
    await publish(OUTLET, [0.08, 0.07, 0.07], Date.now(), 10_000);
    const row = page.locator('[data-testid^="alarm-"][data-severity=critical]');
    await row.waitFor({ timeout: 10_000 });
    alarmId = ((await row.getAttribute('data-testid')) as string).replace(/^alarm-/, '');
    expect(await row.getAttribute('data-state')).toBe('active_unack');
    await expect(row.textContent()).resolves.toMatch(/Free chlorine/);
    // Still the same document: the list updated itself.
    expect(await page.evaluate<boolean>('window.sameDocument === true')).toBe(true);
    await screenshot(page, 'alarms');
  });

  it('gives a viewer no enabled acknowledge control, and shows the API refusal if the button is forced', async () => {
    const viewer = await open();
    const { page } = viewer;
    await signIn(page, base, PEOPLE.viewer.token);
    await page.goto(`${base}/#/alarms`);
    const ack = page.locator(`[data-testid="ack-${alarmId}"]`);
    await ack.waitFor();
    expect(await ack.isDisabled()).toBe(true);
    // Forced past the UI: the API has the last word, and its message reaches the user.
    await ack.evaluate((b) => b.removeAttribute('disabled'));
    await ack.click();
    await page.locator('[data-testid=ack-submit]').click();
    await expect(page.locator('[role=dialog] [role=alert]').textContent()).resolves.toMatch(/you are viewer/);
    const detail = await adminGet<{ state: string }>(`/alarms/${alarmId}`);
    expect(detail.state).toBe('active_unack');
  });

  it('reaches acknowledge by keyboard, closes the dialog on Escape, and records the ack and a shelve as the operator', async () => {
    const { page } = operator;
    const ack = page.locator(`[data-testid="ack-${alarmId}"]`);
    await page.locator('body').focus();
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await isFocused(ack);
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    const dialog = page.locator('[role=dialog]');
    await dialog.waitFor();
    // Focus moves into the dialog, and back to the button when Escape closes it (waitFor retries until it holds).
    await page.locator('[role=dialog] :focus').waitFor({ timeout: 5_000 });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.locator(`[data-testid="ack-${alarmId}"]:focus`).waitFor({ timeout: 5_000 });

    await page.keyboard.press('Enter');
    await page.locator('[role=dialog] textarea[name=comment]').fill('chlorinator restarted');
    await screenshot(page, 'alarm-ack-dialog');
    await page.locator('[data-testid=ack-submit]').click();
    await page.locator(`[data-testid="alarm-${alarmId}"][data-state=active_ack]`).waitFor();
    const detail = await adminGet<{
      state: string;
      ackedBy: string;
      ackComment: string;
      history: { by?: string }[];
    }>(`/alarms/${alarmId}`);
    expect(detail).toMatchObject({
      state: 'active_ack',
      ackedBy: 'operator-ma',
      ackComment: 'chlorinator restarted',
    });

    // Shelving: a reason and an end (the dialog proposes four hours from now, within the 24-hour bound).
    await page.locator(`[data-testid="shelve-${alarmId}"]`).click();
    await page.locator('[role=dialog] input[name=reason]').fill('sensor cleaning');
    expect(await page.locator('[role=dialog] input[name=until]').inputValue()).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d$/,
    );
    await page.locator('[data-testid=shelve-submit]').click();
    await page.locator('[role=dialog]').waitFor({ state: 'detached' });
    const shelved = await adminGet<{ shelvedBy?: string; shelveReason?: string; shelvedUntil?: number }>(
      `/alarms/${alarmId}`,
    );
    expect(shelved).toMatchObject({ shelvedBy: 'operator-ma', shelveReason: 'sensor cleaning' });
    expect(shelved.shelvedUntil).toBeGreaterThan(Date.now() + 3 * 3_600_000);

    await page.goto(`${base}/#/alarms/${alarmId}`);
    await expect(page.locator('[data-testid=alarm-history]').textContent()).resolves.toMatch(/operator-ma/);
    await screenshot(page, 'alarm-detail');
  });

  it('draws the outlet chlorine chart with its limit line and the alarm period', async () => {
    const { page } = operator;
    await page.goto(`${base}/#/devices/${OUTLET}`);
    const chart = page.locator('[data-testid="chart-free_chlorine_mg_l"]');
    await chart.locator('canvas').first().waitFor();
    expect(await chart.getAttribute('data-levels')).toMatch(/limitMin=\d/);
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(0);
    await page.locator('[data-testid=latest-samples] tbody tr').first().waitFor();
    await screenshot(page, 'device');
  });

  it('switches the labels between Chinese and English, and <html lang> follows', async () => {
    const { page } = operator;
    const nav = page.locator('a[href="#/alarms"]');
    await expect(nav.textContent()).resolves.toBe('Alarms');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.locator('[data-testid=lang-switch]').click();
    await expect(nav.textContent()).resolves.toBe('告警');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await screenshot(page, 'device-zh');
    await page.locator('[data-testid=lang-switch]').click();
    await expect(nav.textContent()).resolves.toBe('Alarms');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
  });

  it('fits a 375 px phone without sideways scrolling, in Chinese by the browser language', async () => {
    const phone = await open({ width: 375, height: 812, locale: 'zh-CN' });
    const { page } = phone;
    await signIn(page, base, PEOPLE.operator.token);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.locator('[data-testid=overview] [data-testid^="site-"]').first().waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'overview-375');
    await page.goto(`${base}/#/alarms`);
    await page.locator('[data-testid=alarm-list]').waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'alarms-375');
  });

  it('loaded nothing from outside and broke no content-security rule', () => {
    for (const c of opened) {
      expect(c.foreign).toEqual([]);
      expect(c.errors).toEqual([]);
    }
  });
});
