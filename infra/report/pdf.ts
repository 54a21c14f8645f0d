import { access, constants } from 'node:fs/promises';
import { type Browser, chromium, type Page } from 'playwright-core';

/**
 * Prints HTML to PDF (and page images) in the system's headless Chromium through playwright-core, which ships no
 * browser: `CHROMIUM_PATH`, else Debian's /usr/bin/chromium. Used by `npm run report` only; the Lambda API serves
 * JSON, CSV and HTML and never needs a browser.
 */

/** The Debian packages: the browser and a CJK font small enough for CI (fonts-noto-cjk is 56 MB, this 1.6 MB). */
const CHROMIUM_INSTALL =
  'apt-get update && apt-get install -y --no-install-recommends chromium fonts-wqy-microhei';

const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** Where Chromium is expected: `CHROMIUM_PATH`, else /usr/bin/chromium. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
}

async function launch(env: NodeJS.ProcessEnv): Promise<Browser> {
  const executablePath = chromiumPath(env);
  try {
    await access(executablePath, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium not found at ${executablePath} (set CHROMIUM_PATH, or install it: ${CHROMIUM_INSTALL}); ` +
        'HTML, CSV and JSON need no browser',
    );
  }
  return chromium.launch({ executablePath, headless: true });
}

/**
 * Opens the document with JavaScript off and the network offline: the report is self-contained, and a report that
 * still referred to something outside would print without it rather than reach out.
 */
async function withPrintPage<T>(
  html: string,
  deviceScaleFactor: number,
  env: NodeJS.ProcessEnv,
  use: (page: Page) => Promise<T>,
): Promise<T> {
  const browser = await launch(env);
  try {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      offline: true,
      viewport: A4_PX,
      deviceScaleFactor,
    });
    const page = await context.newPage();
    await page.route(/^(?!data:|about:)/, (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    return await use(page);
  } finally {
    await browser.close();
  }
}

/** A4 at CSS's 96 px per inch. */
const A4_PX = { width: 794, height: 1123 };

/** The document printed to PDF as Chromium prints it: the page size, margins and footer come from its print CSS. */
export function htmlToPdf(html: string, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  return withPrintPage(html, 1, env, async (page) =>
    Buffer.from(await page.pdf({ preferCSSPageSize: true, printBackground: true })),
  );
}

/**
 * The top of the document as print media at A4 width, one page tall, as PNG (the docs' sample page). A screenshot has
 * no @page margins, so they are imitated with padding; `scale` 1.5 keeps small print legible.
 */
export function htmlToPagePng(
  html: string,
  scale = 1.5,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Buffer> {
  const padded = html.replace('</head>', '<style>body { padding: 14mm 12mm; }</style></head>');
  return withPrintPage(padded, scale, env, (page) =>
    page.screenshot({ clip: { x: 0, y: 0, ...A4_PX }, type: 'png' }),
  );
}
