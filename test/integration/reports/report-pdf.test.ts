import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { percent } from '../../../functions/api/report-format';
import { complianceHtml } from '../../../functions/api/report-html';
import { htmlToPdf } from '../../../infra/report/pdf';
import { complianceFixture as fixture } from '../../helpers/compliance-fixture';
import { pdfFontNames, pdfPages } from '../../helpers/pdf-text';

/** White space dropped: pdf.js splits and joins runs of text its own way. */
const squeeze = (s: string) => s.replace(/\s+/g, '');

// Real headless Chromium (CHROMIUM_PATH or /usr/bin/chromium; .ci/run installs it), real pdf.js text extraction.
describe('htmlToPdf in headless Chromium', () => {
  let pdf: Buffer;
  let pages: string[];

  beforeAll(async () => {
    pdf = await htmlToPdf(complianceHtml(fixture));
    pages = await pdfPages(pdf);
  }, 60_000);

  it('prints an A4 PDF with pages, each numbered in its footer', () => {
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pages.length).toBeGreaterThanOrEqual(1);
    // A4 is 595.28 × 841.89 pt; Chromium rounds the page to whole CSS pixels.
    const box = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf.toString('latin1'));
    expect(Math.abs(Number(box?.[1]) - 595.28)).toBeLessThan(1);
    expect(Math.abs(Number(box?.[2]) - 841.89)).toBeLessThan(1);
    for (const [i, text] of pages.entries())
      expect(squeeze(text)).toContain(
        squeeze(`第 ${i + 1} / ${pages.length} 页 · page ${i + 1} of ${pages.length}`),
      );
  });

  it('holds the headings in Chinese and English, and the report numbers, as text', () => {
    const all = squeeze(pages.join('\n'));
    for (const heading of [
      '饮用水水质合规报告',
      'Drinking-water compliance report',
      '县级汇总',
      'County summary',
      '超标事件',
      'Exceedance events',
      '数据完整率',
      'Data completeness',
      '垃圾分类收运',
      'Waste collection',
    ])
      expect(all).toContain(squeeze(heading));
    expect(all).toContain(squeeze(percent(fixture.county.overall.rate)));
    expect(all).toContain(fixture.county.overall.valid.toLocaleString('en-US'));
    for (const s of fixture.sites) {
      expect(all).toContain(squeeze(s.siteNameZh ?? s.siteName));
      expect(all).toContain(squeeze(percent(s.overall.rate)));
    }
    for (const e of fixture.exceedances) expect(all).toContain(e.alarmId);
    expect(all).toContain(squeeze('2026-11-14 06:12'));
  });

  it('starts the county summary on page 1 and each major section on a page of its own', () => {
    expect(squeeze(pages[0] ?? '')).toContain('县级汇总');
    // The first text after the page's footer line is the section's heading, Chinese then English.
    const tops = pages.map((p) => squeeze(p).replace(/^第\d+\/\d+页·page\d+of\d+/, ''));
    for (const heading of [
      '各站点 By site',
      '超标事件 Exceedance events',
      '数据完整率 Data completeness',
      '垃圾分类收运 Waste collection',
    ])
      expect(
        tops.some((top) => top.startsWith(squeeze(heading))),
        heading,
      ).toBe(true);
  });

  it('embeds a CJK font (the Chinese is drawn, not boxes)', () => {
    expect(pdfFontNames(pdf).join(' ')).toMatch(
      /WenQuanYi|NotoSans\w*CJK|SourceHan|DroidSansFallback|AR ?PL/i,
    );
  });

  it('loads nothing from outside, even when the HTML asks', async () => {
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.end('body { color: red }');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const { port } = server.address() as AddressInfo;
    try {
      const out = await htmlToPdf(
        `<!doctype html><html><head><link rel="stylesheet" href="http://127.0.0.1:${port}/x.css"></head>` +
          `<body><img src="http://127.0.0.1:${port}/y.png"><p>offline</p></body></html>`,
      );
      expect(squeeze((await pdfPages(out)).join(''))).toContain('offline');
      expect(requests).toEqual([]);
    } finally {
      server.close();
    }
  }, 30_000);

  it('names the install command when Chromium is missing', async () => {
    await expect(htmlToPdf('<p>x</p>', { CHROMIUM_PATH: '/nonexistent/chromium' })).rejects.toThrow(
      /Chromium not found at \/nonexistent\/chromium .*apt-get install -y --no-install-recommends chromium fonts-wqy-microhei/,
    );
  });
});
