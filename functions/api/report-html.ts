import type {
  ComplianceReport,
  ComplianceSummary,
  DeviceCompleteness,
  ExcludedWindow,
  LimitApplied,
  RateFigures,
  SiteCompliance,
} from '../core/compliance-types';
import { LABELS, metricWords, POINTS } from '../core/sms/words';
import { chinaShort, countyWaste, hours, hoursMinutes, percent } from './report-format';

/**
 * The compliance report as one self-contained printable HTML document: no scripts, no external fonts, images or
 * styles, so it prints (and turns into a PDF) the same offline. Bilingual by default: Chinese first, English beside or
 * below. Every figure is text (the PDF's text layer carries it); the charts are small inline SVGs. Everything taken
 * from the report (site names come from the fleet file) is escaped.
 */

/** Which language(s) the document is written in. */
export type ReportLang = 'zh' | 'en' | 'both';

interface Words {
  zh: string;
  en: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for HTML content and attribute values. */
function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const W = {
  title: { zh: '饮用水水质合规报告', en: 'Drinking-water compliance report' },
  county: { zh: '县级汇总', en: 'County summary' },
  byTownship: { zh: '各乡镇', en: 'By township' },
  byPoint: { zh: '各监测点类型', en: 'By measurement point' },
  bySite: { zh: '各站点', en: 'By site' },
  exceedances: { zh: '超标事件', en: 'Exceedance events' },
  completeness: { zh: '数据完整率', en: 'Data completeness' },
  sensorFaults: { zh: '传感器故障时间', en: 'Sensor-fault time' },
  waste: { zh: '垃圾分类收运', en: 'Waste collection' },
  notes: { zh: '说明', en: 'Notes' },
  period: { zh: '报告期', en: 'Period' },
  generated: { zh: '生成时间', en: 'Generated' },
  scope: { zh: '范围', en: 'Scope' },
  township: { zh: '乡镇', en: 'Township' },
  site: { zh: '站点', en: 'Site' },
  point: { zh: '监测点', en: 'Measurement point' },
  metric: { zh: '指标', en: 'Metric' },
  overall: { zh: '总体', en: 'Overall' },
  sites: { zh: '站点数', en: 'Sites' },
  devices: { zh: '设备数', en: 'Devices' },
  valid: { zh: '有效样本', en: 'Valid samples' },
  within: { zh: '达标样本', en: 'Within limits' },
  rate: { zh: '合格率', en: 'Compliance' },
  timeRate: { zh: '时间加权合格率', en: 'Time-weighted' },
  overWarning: { zh: '超预警样本', en: 'Over warning' },
  limit: { zh: '限值', en: 'Limit' },
  warning: { zh: '预警值', en: 'Warning level' },
  citation: { zh: '依据', en: 'Citation' },
  daily: { zh: '逐日合格率', en: 'Daily compliance' },
  device: { zh: '设备', en: 'Device' },
  deviceAlarm: { zh: '设备 / 告警', en: 'Device / alarm' },
  severity: { zh: '级别', en: 'Severity' },
  startEnd: { zh: '开始 / 结束', en: 'Start / end' },
  duration: { zh: '持续', en: 'Duration' },
  peak: { zh: '峰值', en: 'Peak' },
  acked: { zh: '确认', en: 'Acknowledged' },
  ackDelay: { zh: '用时', en: 'after' },
  stillActive: { zh: '期末仍在', en: 'still active' },
  notAcked: { zh: '未确认', en: 'not acknowledged' },
  interval: { zh: '上报间隔', en: 'Interval' },
  expected: { zh: '应收', en: 'Expected' },
  received: { zh: '实收', en: 'Received' },
  excluded: { zh: '排除时段', en: 'Excluded windows' },
  flaggedTime: { zh: '故障时长', en: 'Flagged time' },
  flaggedSamples: { zh: '故障样本', en: 'Flagged samples' },
  episodes: { zh: '故障告警', en: 'Fault alarms' },
  collections: { zh: '收运次数', en: 'Collections' },
  stream: { zh: '分类', en: 'Stream' },
  overflow: { zh: '满溢事件', en: 'Overflow events' },
  fire: { zh: '火情事件', en: 'Fire events' },
  meanFill: { zh: '收运时平均满溢度', en: 'Mean fill at collection' },
  overflowedBefore: { zh: '收运前已满溢', en: 'Overflowed before collection' },
  all: { zh: '合计', en: 'All' },
  countyRow: { zh: '全县', en: 'County' },
  none: { zh: '无', en: 'none' },
  exceedanceCount: { zh: '超标 / 全部事件（含预警）', en: 'Exceedances / all events (incl. warnings)' },
  sitesDevices: { zh: '站点 / 设备', en: 'Sites / devices' },
  exceedanceTime: { zh: '超标总时长', en: 'Time over limits' },
  meanCompleteness: { zh: '数据完整率（水质）', en: 'Completeness (water)' },
  faultTime: { zh: '传感器故障时长', en: 'Sensor-fault time' },
  type: { zh: '类型', en: 'Type' },
  supplyClass: { zh: '供水类型', en: 'Supply class' },
  disinfectant: { zh: '消毒方式', en: 'Disinfectant' },
  noData: { zh: '无有效数据', en: 'no valid data' },
  chartNote: {
    zh: '柱高：90 %–100 %；绿色 100 %，黄色 ≥ 99 %，红色 < 99 %，灰色无数据',
    en: 'bar height 90–100 %; green 100 %, amber ≥ 99 %, red < 99 %, grey no data',
  },
} satisfies Record<string, Words>;

const SITE_TYPES: Record<string, Words> = {
  water_source: { zh: '水源', en: 'water source' },
  water_plant: { zh: '水厂', en: 'water plant' },
  water_network: { zh: '管网', en: 'network' },
  school: { zh: '学校', en: 'school' },
  village: { zh: '村', en: 'village' },
  market: { zh: '市场', en: 'market' },
};
const CLASSES: Record<string, Words> = {
  standard: { zh: '集中式供水', en: 'standard supply' },
  small: { zh: '小型集中式供水', en: 'small supply' },
};
const DISINFECTANTS: Record<string, Words> = {
  none: { zh: '无', en: 'none' },
  free_chlorine: { zh: '游离氯', en: 'free chlorine' },
  chloramine: { zh: '氯胺', en: 'chloramine' },
  chlorine_dioxide: { zh: '二氧化氯', en: 'chlorine dioxide' },
};
const STREAMS: Record<string, Words> = {
  residual: { zh: '其他垃圾', en: 'residual' },
  recyclable: { zh: '可回收物', en: 'recyclable' },
  kitchen: { zh: '厨余垃圾', en: 'kitchen' },
  hazardous: { zh: '有害垃圾', en: 'hazardous' },
};
const REASONS: Record<ExcludedWindow['reason'], Words> = {
  maintenance: { zh: '维护', en: 'maintenance' },
  outage: { zh: '已知停运', en: 'outage' },
  not_commissioned: { zh: '未投运', en: 'not commissioned' },
};

/** A known word from a dictionary, or the raw value in both languages. */
function lookup(dict: Record<string, Words>, key: string | undefined): Words {
  const k = key ?? '';
  return (Object.hasOwn(dict, k) ? dict[k] : undefined) ?? { zh: k, en: k };
}

const POINT_WORDS = POINTS as Record<string, Words>;
const SEVERITY_WORDS: Record<string, Words> = Object.fromEntries(
  Object.entries(LABELS).map(([k, v]) => [k, { zh: v.zh, en: v.en }]),
);

function metricName(metric: string | undefined): Words {
  const w = metricWords(metric);
  return w ? { zh: w.zh, en: w.en } : { zh: '', en: '' };
}

const unitOf = (metric: string | undefined) => metricWords(metric)?.unit ?? '';

const count = (n: number) => n.toLocaleString('en-US');

/** The renderer for one language choice: every piece of wording goes through it. */
class Writer {
  constructor(readonly lang: ReportLang) {}

  /** Running text: both languages on one line, `中文 / English`. */
  inline(w: Words): string {
    if (this.lang === 'zh') return esc(w.zh);
    if (this.lang === 'en') return esc(w.en);
    return w.zh === w.en ? esc(w.zh) : `${esc(w.zh)} <span class="en" lang="en">${esc(w.en)}</span>`;
  }

  /** A label (table header, heading): English below the Chinese. */
  label(w: Words): string {
    if (this.lang === 'zh') return esc(w.zh);
    if (this.lang === 'en') return esc(w.en);
    return w.zh === w.en ? esc(w.zh) : `${esc(w.zh)}<span class="en sub" lang="en">${esc(w.en)}</span>`;
  }

  heading(level: 2 | 3, w: Words, cls = ''): string {
    return `<h${level}${cls ? ` class="${cls}"` : ''}>${this.label(w)}</h${level}>`;
  }

  table(head: Words[], rows: string[][], cls = ''): string {
    const th = head.map((h) => `<th>${this.label(h)}</th>`).join('');
    const body = rows.length
      ? rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')
      : `<tr><td colspan="${head.length}">${this.inline(W.none)}</td></tr>`;
    return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
  }
}

function siteTitle(w: Writer, s: { siteName: string; siteNameZh?: string }): string {
  return w.inline({ zh: s.siteNameZh ?? s.siteName, en: s.siteName });
}

function rateRow(f: RateFigures): string[] {
  return [count(f.valid), count(f.within), percent(f.rate), percent(f.timeRate), count(f.overWarning)].map(
    (c, i) => (i === 2 ? `<b>${esc(c)}</b>` : esc(c)),
  );
}

const RATE_HEAD = [W.valid, W.within, W.rate, W.timeRate, W.overWarning];

function summaryTable(w: Writer, s: ComplianceSummary): string {
  const rows = [
    [w.label(W.overall), ...rateRow(s.overall)],
    ...Object.entries(s.byMetric).map(([m, f]) => [w.label(metricName(m)), ...rateRow(f)]),
  ];
  return w.table([W.metric, ...RATE_HEAD], rows, 'num');
}

function groupTable(w: Writer, first: Words, groups: { name: string; summary: ComplianceSummary }[]): string {
  return w.table(
    [first, W.sites, W.devices, ...RATE_HEAD],
    groups.map((g) => [g.name, esc(g.summary.sites), esc(g.summary.devices), ...rateRow(g.summary.overall)]),
    'num',
  );
}

function range(min: number | undefined, max: number | undefined, unit: string): string {
  const u = unit ? ` ${unit}` : '';
  if (min !== undefined && max !== undefined) return esc(`${min}–${max}${u}`);
  if (min !== undefined) return esc(`≥ ${min}${u}`);
  if (max !== undefined) return esc(`≤ ${max}${u}`);
  return '—';
}

/** Daily compliance as a bar per China-time day, scaled 90–100 % so a day at 97.6 % stands out from one at 100 %. */
function dailyChart(daily: SiteCompliance['daily']): string {
  const n = daily.length || 1;
  const bw = 8;
  const h = 36;
  const width = n * bw + 30;
  const bars = daily
    .map((d, i) => {
      const x = 28 + i * bw;
      if (d.rate === null)
        return `<rect x="${x}" y="2" width="${bw - 1}" height="${h}" fill="#d0d0d0"><title>${esc(d.day)}</title></rect>`;
      const v = Math.max(0, Math.min(1, (d.rate - 0.9) / 0.1));
      const bh = Math.max(1, v * h);
      const color = d.rate >= 1 ? '#2e7d32' : d.rate >= 0.99 ? '#f9a825' : '#c62828';
      return `<rect x="${x}" y="${(2 + h - bh).toFixed(1)}" width="${bw - 1}" height="${bh.toFixed(1)}" fill="${color}"><title>${esc(d.day)} ${esc(percent(d.rate))}</title></rect>`;
    })
    .join('');
  const first = daily[0]?.day.slice(8) ?? '';
  const last = daily[daily.length - 1]?.day.slice(8) ?? '';
  return (
    `<svg class="chart" role="img" width="${width}" height="${h + 14}" viewBox="0 0 ${width} ${h + 14}">` +
    `<text x="0" y="9" font-size="7">100%</text><text x="4" y="${h + 2}" font-size="7">90%</text>` +
    `<line x1="27" y1="${h + 2.5}" x2="${width}" y2="${h + 2.5}" stroke="#888" stroke-width="0.5"/>${bars}` +
    `<text x="28" y="${h + 12}" font-size="7">${esc(first)}</text>` +
    `<text x="${28 + (n - 1) * bw}" y="${h + 12}" font-size="7">${esc(last)}</text></svg>`
  );
}

/** A completeness bar: the share received of the expected (capped at the bar's end). */
function completenessBar(rate: number | null): string {
  const v = rate === null ? 0 : Math.max(0, Math.min(1, rate));
  const color = rate === null ? '#d0d0d0' : rate >= 0.98 ? '#2e7d32' : rate >= 0.9 ? '#f9a825' : '#c62828';
  return (
    `<svg class="bar" width="80" height="9" viewBox="0 0 80 9">` +
    `<rect x="0" y="0" width="80" height="9" fill="#eee"/><rect x="0" y="0" width="${(v * 80).toFixed(1)}" height="9" fill="${color}"/></svg>`
  );
}

function limitRow(w: Writer, l: LimitApplied, s: SiteCompliance): string[] {
  const unit = unitOf(l.metric);
  const f = s.byMetric[l.metric];
  return [
    w.label(metricName(l.metric)),
    range(l.limitMin, l.limitMax, unit),
    range(l.warnMin, l.warnMax, unit),
    esc(l.citation ?? ''),
    ...(f ? rateRow(f) : [w.inline(W.noData), '', '', '', '']),
  ];
}

function siteSection(w: Writer, s: SiteCompliance): string {
  const points = s.measurementPoints.map((p) => w.inline(lookup(POINT_WORDS, p))).join(', ');
  const limited = new Set(s.limits.map((l) => l.metric));
  const rows = [
    ...s.limits.map((l) => limitRow(w, l, s)),
    // A metric judged without a limit listed (should not happen) still shows its figures.
    ...Object.entries(s.byMetric)
      .filter(([m]) => !limited.has(m))
      .map(([m, f]) => [w.label(metricName(m)), '—', '—', '', ...rateRow(f)]),
    [`<b>${w.label(W.overall)}</b>`, '', '', '', ...rateRow(s.overall)],
  ];
  return `<div class="site">
<h3>${siteTitle(w, s)} <span class="id">${esc(s.siteId)}</span></h3>
<p class="meta">${w.inline(W.township)}: ${esc(s.township)} · ${w.inline(W.type)}: ${w.inline(lookup(SITE_TYPES, s.siteType))} · ${w.inline(W.point)}: ${points} · ${w.inline(W.supplyClass)}: ${w.inline(lookup(CLASSES, s.supplyClass))} · ${w.inline(W.disinfectant)}: ${w.inline(lookup(DISINFECTANTS, s.disinfectant))} · ${w.inline(W.devices)}: ${esc(s.devices)}</p>
${w.table([W.metric, W.limit, W.warning, W.citation, ...RATE_HEAD], rows, 'num')}
<div class="daily"><span class="caption">${w.inline(W.daily)}</span>${dailyChart(s.daily)}<span class="legend">${w.inline(W.chartNote)}</span></div>
</div>`;
}

function windowList(w: Writer, windows: ExcludedWindow[]): string {
  return windows
    .map(
      (x) =>
        `${w.inline(lookup(REASONS, x.reason))} ${esc(chinaShort(x.from))} – ${esc(chinaShort(x.to))}` +
        (x.note ? ` (${esc(x.note)})` : '') +
        (x.by ? ` · ${esc(x.by)}` : ''),
    )
    .join('<br>');
}

function completenessRows(w: Writer, devices: DeviceCompleteness[]): string[][] {
  return devices.map((d) => [
    esc(d.deviceId),
    esc(d.siteId),
    esc(d.township),
    esc(`${d.intervalS} s`),
    esc(count(d.expected)),
    esc(count(d.received)),
    `${esc(percent(d.rate))} ${completenessBar(d.rate)}`,
    windowList(w, d.excluded),
  ]);
}

/** Received ÷ expected pooled over the water devices. */
function pooledCompleteness(devices: DeviceCompleteness[]): number | null {
  const water = devices.filter((d) => d.kind === 'water');
  const expected = water.reduce((n, d) => n + d.expected, 0);
  return expected ? Math.min(1, water.reduce((n, d) => n + d.received, 0) / expected) : null;
}

const CSS = `
@page { size: A4; margin: 14mm 12mm 16mm 12mm;
  @bottom-center { content: "第 " counter(page) " / " counter(pages) " 页 · page " counter(page) " of " counter(pages); font-size: 8pt; color: #555; } }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
  font-size: 9pt; line-height: 1.35; color: #111; margin: 0; }
@media screen { body { max-width: 186mm; margin: 1.5em auto; } }
h1 { font-size: 18pt; margin: 0 0 4pt; }
h2 { font-size: 13pt; margin: 14pt 0 6pt; border-bottom: 1.5pt solid #1a4d7a; color: #1a4d7a; }
h3 { font-size: 10.5pt; margin: 10pt 0 3pt; }
h2, h3 { break-after: avoid; }
.major { break-before: page; }
.en { color: #444; font-weight: normal; }
.sub { display: block; font-size: 0.8em; }
h1 .sub { font-size: 0.6em; }
.id { font-weight: normal; color: #666; font-size: 8pt; }
.block { display: block; }
td { overflow-wrap: anywhere; }
table.events { font-size: 7.5pt; }
.events .id { font-size: 6.5pt; }
table.events td:nth-child(5) { white-space: nowrap; }
.meta { margin: 0 0 4pt; color: #333; font-size: 8pt; }
table { border-collapse: collapse; width: 100%; margin: 2pt 0 6pt; font-size: 8pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.5pt solid #999; padding: 2pt 3pt; vertical-align: top; text-align: left; }
th { background: #e8eef4; font-weight: 600; }
table.num td { font-variant-numeric: tabular-nums; }
.site { break-inside: avoid; margin-bottom: 6pt; }
.daily { display: flex; align-items: flex-end; gap: 6pt; font-size: 7.5pt; }
.caption { min-width: 18mm; }
.legend { color: #555; font-size: 7pt; }
.kpis { display: grid; grid-template-columns: repeat(4, 1fr); gap: 4pt; margin: 6pt 0; }
.kpi { border: 0.5pt solid #999; padding: 4pt; }
.kpi .v { font-size: 13pt; font-weight: 700; display: block; }
.kpi .k { font-size: 7.5pt; }
svg.bar { vertical-align: middle; margin-left: 3pt; }
svg text { font-family: sans-serif; fill: #333; }
.notes li { margin-bottom: 2pt; }
`;

/**
 * The report as a complete HTML document (print CSS for A4, page numbers in the footer when printed by Chromium,
 * repeated table headers, page breaks before the major sections). `lang` defaults to both.
 */
export function complianceHtml(report: ComplianceReport, options: { lang?: ReportLang } = {}): string {
  const w = new Writer(options.lang ?? 'both');
  const r = report;
  const { county } = r;
  const critical = r.exceedances.filter((e) => e.severity === 'critical');
  const scope = [
    esc(r.scope.county),
    r.scope.township ? `${w.inline(W.township)}: ${esc(r.scope.township)}` : '',
    r.scope.siteId ? `${w.inline(W.site)}: ${esc(r.scope.siteId)}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const kpi = (k: Words, v: string) =>
    `<div class="kpi"><span class="v">${esc(v)}</span><span class="k">${w.inline(k)}</span></div>`;
  const wasteRows = [
    ...r.waste.townships.map((t) => ({ t, name: esc(t.township) })),
    { t: countyWaste(r.waste, ''), name: w.inline(W.countyRow) },
  ].flatMap(({ t, name }) => [
    [
      `<b>${name}</b>`,
      w.inline(W.all),
      `<b>${esc(count(t.collections))}</b>`,
      esc(t.overflowEvents),
      esc(t.fireEvents),
      esc(t.meanFillAtCollectionPct === null ? '—' : `${t.meanFillAtCollectionPct.toFixed(1)} %`),
      esc(t.binsOverflowedBeforeCollection),
    ],
    ...Object.entries(t.byWasteStream).map(([stream, n]) => [
      '',
      w.inline(lookup(STREAMS, stream)),
      esc(count(n)),
      '',
      '',
      '',
      '',
    ]),
  ]);
  const docLang = w.lang === 'en' ? 'en' : 'zh-CN';
  const titleText =
    w.lang === 'en' ? W.title.en : w.lang === 'zh' ? W.title.zh : `${W.title.zh} ${W.title.en}`;

  return `<!doctype html>
<html lang="${docLang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(titleText)} ${esc(r.period.label)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${w.label(W.title)}</h1>
<p>${w.inline(W.period)}: <b>${esc(r.period.label)}</b> (${esc(chinaShort(r.period.from))} – ${esc(chinaShort(r.period.to))}, UTC+8)<br>
${w.inline(W.scope)}: ${scope}<br>
${w.inline(W.generated)}: ${esc(chinaShort(r.generatedAt))} (UTC+8)</p>
</header>

<section>
${w.heading(2, W.county)}
<div class="kpis">
${kpi(W.rate, percent(county.overall.rate))}
${kpi(W.timeRate, percent(county.overall.timeRate))}
${kpi(W.valid, count(county.overall.valid))}
${kpi(W.sitesDevices, `${county.sites} / ${county.devices}`)}
${kpi(W.exceedanceCount, `${critical.length} / ${r.exceedances.length}`)}
${kpi(W.exceedanceTime, hoursMinutes(critical.reduce((n, e) => n + e.durationMs, 0)))}
${kpi(W.meanCompleteness, percent(pooledCompleteness(r.completeness)))}
${kpi(
  W.faultTime,
  `${hours(
    r.sensorFaults.reduce((n, f) => n + f.flaggedMs, 0),
    2,
  )} h`,
)}
</div>
${summaryTable(w, county)}
</section>

<section>
${w.heading(2, W.byTownship)}
${groupTable(
  w,
  W.township,
  r.townships.map((t) => ({ name: esc(t.township), summary: t })),
)}
${w.heading(2, W.byPoint)}
${groupTable(
  w,
  W.point,
  r.measurementPoints.map((p) => ({ name: w.inline(lookup(POINT_WORDS, p.measurementPoint)), summary: p })),
)}
</section>

<section class="major">
${w.heading(2, W.bySite)}
${r.sites.map((s) => siteSection(w, s)).join('\n')}
</section>

<section class="major">
${w.heading(2, W.exceedances)}
${w.table(
  [W.site, W.deviceAlarm, W.metric, W.severity, W.startEnd, W.duration, W.peak, W.limit, W.acked],
  r.exceedances.map((e) => [
    `${esc(e.siteName)}<span class="id block">${esc(e.township)}</span>`,
    `${esc(e.deviceId)}<span class="id block">${esc(e.alarmId)}</span>`,
    `${w.label(metricName(e.metric))}<span class="id block">${esc(e.condition)}</span>`,
    w.label(lookup(SEVERITY_WORDS, e.severity)),
    `${esc(chinaShort(e.start))}<br>${e.end === undefined ? w.inline(W.stillActive) : esc(chinaShort(e.end))}`,
    esc(hoursMinutes(e.durationMs)),
    esc(e.peak === undefined ? '—' : `${e.peak} ${unitOf(e.metric)}`.trim()),
    e.limit
      ? `${esc(`${e.limit.direction === 'min' ? '≥' : '≤'} ${e.limit.value}`)}<span class="id block">${esc(e.limit.citation)}</span>`
      : '—',
    e.ackedAt === undefined
      ? w.inline(W.notAcked)
      : `${esc(chinaShort(e.ackedAt))}<span class="block">${esc(e.ackedBy ?? '')}</span>` +
        (e.ackDelayMs === undefined
          ? ''
          : `<span class="id block">${w.inline(W.ackDelay)} ${esc(hoursMinutes(e.ackDelayMs))}</span>`),
  ]),
  'events',
)}
</section>

<section class="major">
${w.heading(2, W.completeness)}
${w.table(
  [W.device, W.site, W.township, W.interval, W.expected, W.received, W.completeness, W.excluded],
  completenessRows(w, r.completeness),
  'num',
)}
${w.heading(2, W.sensorFaults)}
${w.table(
  [W.device, W.site, W.metric, W.flaggedTime, W.flaggedSamples, W.episodes],
  r.sensorFaults.map((f) => [
    esc(f.deviceId),
    esc(f.siteId),
    w.label(metricName(f.metric)),
    esc(`${hours(f.flaggedMs, 2)} h`),
    esc(count(f.flaggedSamples)),
    f.episodes
      .map(
        (e) =>
          `${esc(e.alarmId)} ${esc(e.condition)} ${esc(chinaShort(e.start))} – ${e.end === undefined ? w.inline(W.stillActive) : esc(chinaShort(e.end))}`,
      )
      .join('<br>'),
  ]),
  'num',
)}
</section>

<section class="major">
${w.heading(2, W.waste)}
${w.table([W.township, W.stream, W.collections, W.overflow, W.fire, W.meanFill, W.overflowedBefore], wasteRows, 'num')}
${w.heading(2, W.notes)}
<ul class="notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
</section>
</body>
</html>
`;
}
