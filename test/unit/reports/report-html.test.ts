import { describe, expect, it } from 'vitest';
import { percent } from '../../../functions/api/report-format';
import { complianceHtml } from '../../../functions/api/report-html';
import type { ComplianceReport } from '../../../functions/core/compliance-types';
import { complianceFixture as fixture, nth } from '../../helpers/compliance-fixture';

/** The section headings, Chinese and English. */
const HEADINGS = [
  ['饮用水水质合规报告', 'Drinking-water compliance report'],
  ['县级汇总', 'County summary'],
  ['各乡镇', 'By township'],
  ['各监测点类型', 'By measurement point'],
  ['各站点', 'By site'],
  ['超标事件', 'Exceedance events'],
  ['数据完整率', 'Data completeness'],
  ['传感器故障时间', 'Sensor-fault time'],
  ['垃圾分类收运', 'Waste collection'],
] as const;

const headingTexts = (html: string) =>
  [...html.matchAll(/<h([123])[^>]*>(.*?)<\/h\1>/gs)].map((m) => (m[2] ?? '').replace(/<[^>]+>/g, ' '));

/** The document's text as a reader sees it: tags dropped, entities read, white space collapsed. */
const visibleText = (html: string) =>
  html
    .replace(/<style>.*?<\/style>/s, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

describe('complianceHtml', () => {
  const html = complianceHtml(fixture);

  it('is one complete document with its own style and nothing from outside', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toMatch(/@page\s*{\s*size:\s*A4/);
    expect(html).toContain('display: table-header-group');
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:|\/\/)/i);
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import|url\(/i);
  });

  it('has every heading in Chinese and English by default, Chinese first', () => {
    const headings = headingTexts(html);
    for (const [zh, en] of HEADINGS) {
      const h = headings.find((x) => x.includes(zh));
      expect(h, zh).toBeDefined();
      expect(h).toContain(en);
      expect(h?.indexOf(zh)).toBeLessThan(h?.indexOf(en) ?? -1);
    }
  });

  it.each([
    ['zh', 0, 1],
    ['en', 1, 0],
  ] as const)('lang %s has its headings only', (lang, mine, other) => {
    const only = complianceHtml(fixture, { lang });
    const text = headingTexts(only).join('\n');
    for (const h of HEADINGS) {
      expect(text).toContain(h[mine]);
      expect(text).not.toContain(h[other]);
    }
    expect(only).toContain(`<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">`);
  });

  it('shows the report numbers as text: county, townships, points, sites, events, completeness, waste', () => {
    const text = visibleText(html);
    const count = (n: number) => n.toLocaleString('en-US');
    expect(text).toContain(percent(fixture.county.overall.rate));
    expect(text).toContain(count(fixture.county.overall.valid));
    for (const t of fixture.townships) expect(text).toContain(percent(t.overall.rate));
    for (const p of fixture.measurementPoints) expect(text).toContain(count(p.overall.valid));
    for (const s of fixture.sites) {
      expect(text).toContain(s.siteNameZh);
      expect(text).toContain(s.siteName);
      expect(text).toContain(percent(s.overall.rate));
      for (const l of s.limits) if (l.citation) expect(text).toContain(l.citation);
    }
    for (const e of fixture.exceedances) {
      expect(text).toContain(String(e.peak));
      expect(text).toContain(e.deviceId);
      expect(text).toContain(e.alarmId);
    }
    expect(text).toContain('2026-11-14 06:12');
    expect(text).toContain('1 h 44 min');
    for (const d of fixture.completeness) expect(text).toContain(percent(d.rate));
    expect(text).toContain('sensor cleaning & recalibration <pH probe>');
    expect(text).toContain(count(fixture.waste.collections));
    for (const t of fixture.waste.townships)
      expect(text).toContain(`${t.meanFillAtCollectionPct?.toFixed(1)} %`);
  });

  it('draws a daily chart per site and a completeness bar per device, inline', () => {
    expect(html.match(/<svg class="chart"/g)).toHaveLength(fixture.sites.length);
    expect(html.match(/<svg class="bar"/g)).toHaveLength(fixture.completeness.length);
    // One bar per day; a red one for the outlet's chlorine-loss day (97.58 %).
    const plant = html.slice(html.indexOf('plant-town</span>'));
    const chart = plant.slice(plant.indexOf('<svg class="chart"'), plant.indexOf('</svg>'));
    expect(chart.match(/<rect /g)).toHaveLength(30);
    expect(chart).toMatch(/fill="#c62828"><title>2026-11-14 97\.58 %<\/title>/);
  });

  it('escapes everything that comes from the fleet file or the API', () => {
    const evil = '<script>alert(1)</script>"\'&<img src=x onerror=alert(2)>';
    const report: ComplianceReport = {
      ...fixture,
      scope: { county: evil, township: evil },
      townships: [{ ...nth(fixture.townships, 0), township: evil }],
      sites: [{ ...nth(fixture.sites, 1), siteName: evil, siteNameZh: evil, siteId: evil, township: evil }],
      exceedances: [{ ...nth(fixture.exceedances, 0), siteName: evil, ackedBy: evil, condition: evil }],
      completeness: [
        {
          ...nth(fixture.completeness, 0),
          deviceId: evil,
          excluded: [
            { from: fixture.period.from, to: fixture.period.from + 1, reason: 'maintenance', note: evil },
          ],
        },
      ],
      notes: [evil],
    };
    const out = complianceHtml(report);
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<img');
    expect(out).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;&lt;img src=x onerror=alert(2)&gt;',
    );
  });

  it('says so where a figure has no value: no valid data, still active, not acknowledged', () => {
    const text = visibleText(html);
    const open = fixture.exceedances.find((e) => e.end === undefined);
    expect(open).toBeDefined();
    expect(text).toContain('期末仍在 still active');
    expect(text).toContain('未确认 not acknowledged');
    const empty = complianceHtml({ ...fixture, exceedances: [], sensorFaults: [] }, { lang: 'en' });
    expect(visibleText(empty)).toMatch(/Exceedance events.*?none/s);
  });
});
