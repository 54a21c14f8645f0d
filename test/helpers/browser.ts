import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { chromiumPath } from '../../infra/report/pdf';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where browser tests keep their screenshots: CI artifacts, never committed. */
const SCREENSHOT_DIR = join(ROOT, '.ci', 'out', 'console');

/** Builds the console as `npm run console:build` does, so a browser test sees the source it runs with. */
export async function buildConsole(): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'console/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    { cwd: ROOT },
  );
}

/** Debian's headless Chromium through playwright-core (CHROMIUM_PATH overrides, as for the report's PDF). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true });
}

/** A browser context on the console with what it did wrong collected: requests elsewhere, errors, CSP refusals. */
export interface ConsoleContext {
  context: BrowserContext;
  page: Page;
  /** Requests to anywhere but the console's own origin (all are refused: nothing may come from the internet). */
  foreign: string[];
  /** Uncaught errors and console errors, which include content-security-policy violations. */
  errors: string[];
}

export async function openConsole(
  browser: Browser,
  baseUrl: string,
  options: { width?: number; height?: number; locale?: string } = {},
): Promise<ConsoleContext> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 860 },
    locale: options.locale ?? 'en-US',
    timezoneId: 'Asia/Shanghai',
  });
  const foreign: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(baseUrl)) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    // A refused sign-in or a 403 is logged by Chromium as a failed resource; those are expected answers, not bugs.
    if (msg.type() === 'error' && !/status of (401|403)/.test(msg.text())) errors.push(msg.text());
  });
  return { context, page, foreign, errors };
}

/** Signs in through the token form, as a person would, and waits for the shell. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/#/`);
  await page.locator('form[data-testid=sign-in] input[type=password][name=token]').fill(token);
  await page.locator('form[data-testid=sign-in] button[type=submit]').click();
  await page.locator('[data-testid=whoami]').waitFor();
}

/** Saves a full-page screenshot as `.ci/out/console/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Whether the page scrolls sideways (a layout wider than the viewport). */
export function scrollsSideways(page: Page): Promise<boolean> {
  // A string, evaluated in the page: this file is compiled for Node, without the DOM's types.
  return page.evaluate<boolean>(
    'document.documentElement.scrollWidth > document.documentElement.clientWidth',
  );
}

/** Whether the element has the keyboard focus. */
export function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((el) => el.matches(':focus'));
}
