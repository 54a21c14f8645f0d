import './pages.css';
import { useEffect, useState } from 'preact/hooks';
import type { CsvTable } from '../../../functions/api/report-csv';
import type { ComplianceReport } from '../../../functions/core/compliance-types';
import { ErrorNote } from '../components/common';
import type { PageProps } from '../page';
import { chinaMonthOf, recentMonths, reportHasData, reportSamples, separateStyles } from './report-months';

const TEXT = {
  zh: {
    title: '月度合规报告',
    intro: '近 12 个月（北京时间）。有数据的月份可打开报告或下载 CSV 表格。',
    month: '月份',
    checking: '检查中…',
    noData: '无数据',
    inProgress: '（本月，进行中）',
    samples: (n: number) => `${n.toLocaleString('zh-CN')} 个样本`,
    rate: (r: number | null) => (r === null ? '' : ` · 合格率 ${(r * 100).toFixed(1)}%`),
    open: '打开报告',
    csv: 'CSV',
    reportLang: '报告语言',
    both: '中英文',
    failed: '打开失败：',
    tables: {
      sites: '站点',
      metrics: '指标',
      exceedances: '超标事件',
      completeness: '数据完整性',
      'sensor-faults': '传感器故障',
      waste: '垃圾清运',
    },
  },
  en: {
    title: 'Monthly compliance reports',
    intro: 'The last 12 months (China time). A month with data opens its report or downloads its CSV tables.',
    month: 'Month',
    checking: 'Checking…',
    noData: 'No data',
    inProgress: '(this month, in progress)',
    samples: (n: number) => `${n.toLocaleString('en-GB')} samples`,
    rate: (r: number | null) => (r === null ? '' : ` · ${(r * 100).toFixed(1)} % within limits`),
    open: 'Open report',
    csv: 'CSV',
    reportLang: 'Report language',
    both: 'Chinese and English',
    failed: 'Could not open: ',
    tables: {
      sites: 'Sites',
      metrics: 'Metrics',
      exceedances: 'Exceedances',
      completeness: 'Completeness',
      'sensor-faults': 'Sensor faults',
      waste: 'Waste',
    },
  },
} as const;

// Keyed by the API's tables, so a new CSV table does not compile without its words here.
const TABLES = Object.keys(TEXT.en.tables) as CsvTable[];
TEXT.en.tables satisfies Record<CsvTable, string>;

const MONTHS = 12;

type MonthState =
  | { status: 'checking' }
  | { status: 'error'; error: Error }
  | { status: 'ok'; samples: number; rate: number | null; hasData: boolean };

type ReportLang = 'zh' | 'en' | 'both';

/**
 * Gives the report in `tab` its CSS as a constructed stylesheet once the tab shows `url` (see separateStyles). The
 * tab is polled: a same-origin navigation may replace its window's document without a load event reaching us.
 */
async function adoptStyles(tab: Window, url: string, css: string): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (tab.closed) return;
    let doc: Document;
    try {
      doc = tab.document;
    } catch {
      return;
    }
    if (doc.URL === url && doc.readyState !== 'loading') {
      const sheet = new (tab as Window & typeof globalThis).CSSStyleSheet();
      sheet.replaceSync(css);
      doc.adoptedStyleSheets = [sheet];
      return;
    }
  }
}

/** `#/reports`: the compliance report of each recent month that has data, as HTML (new tab) and CSV tables. */
export function ReportsPage({ api, lang }: PageProps) {
  const t = TEXT[lang];
  const [months] = useState(() => recentMonths(Date.now(), MONTHS));
  const [states, setStates] = useState<Record<string, MonthState>>({});
  const [reportLang, setReportLang] = useState<ReportLang>('both');
  const [error, setError] = useState<Error | undefined>();

  useEffect(() => {
    let cancelled = false;
    // One month at a time, newest first: a report reads a month of roll-ups, and the newest is the one people want.
    (async () => {
      for (const month of months) {
        if (cancelled) return;
        setStates((s) => ({ ...s, [month]: { status: 'checking' } }));
        try {
          const report = await api.get<ComplianceReport>('/reports/compliance', { month, format: 'json' });
          const state: MonthState = {
            status: 'ok',
            samples: reportSamples(report),
            rate: report.county.overall.rate,
            hasData: reportHasData(report),
          };
          if (!cancelled) setStates((s) => ({ ...s, [month]: state }));
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          if (!cancelled) setStates((s) => ({ ...s, [month]: { status: 'error', error: err } }));
        }
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [api, months]);

  const openHtml = async (month: string) => {
    setError(undefined);
    // Opened now, while the click still counts as the user's, so no pop-up blocker stops it; filled when loaded.
    const tab = window.open('', '_blank');
    try {
      const blob = await api.blob('/reports/compliance', { month, format: 'html', lang: reportLang });
      const { html, css } = separateStyles(await blob.text());
      const url = URL.createObjectURL(new Blob([html], { type: 'text/html;charset=utf-8' }));
      if (!tab) {
        window.location.assign(url);
        return;
      }
      tab.location.href = url;
      await adoptStyles(tab, url, css);
      // The tab holds its document now; the URL is only needed again for a reload.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      tab?.close();
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };

  const downloadCsv = async (month: string, table: CsvTable) => {
    setError(undefined);
    try {
      const blob = await api.blob('/reports/compliance', { month, format: 'csv', table });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `compliance-${month}-${table}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };

  const current = chinaMonthOf(Date.now());
  return (
    <section class="page reports" aria-labelledby="reports-title">
      <h1 id="reports-title">{t.title}</h1>
      <p class="muted">{t.intro}</p>
      <label class="field">
        <span>{t.reportLang}</span>
        <select
          name="report-lang"
          value={reportLang}
          onChange={(e) => setReportLang((e.currentTarget as HTMLSelectElement).value as ReportLang)}
        >
          <option value="both">{t.both}</option>
          <option value="zh">中文</option>
          <option value="en">English</option>
        </select>
      </label>
      {error && (
        <p class="error" role="alert">
          {t.failed}
          {error.message}
        </p>
      )}
      <ol class="record-list" data-testid="report-list">
        {months.map((month) => {
          const s = states[month] ?? { status: 'checking' };
          return (
            <li
              key={month}
              class="record report-month"
              data-testid={`report-${month}`}
              data-has-data={s.status === 'ok' ? String(s.hasData) : undefined}
            >
              <h2>
                {month} {month === current && <span class="muted">{t.inProgress}</span>}
              </h2>
              {s.status === 'checking' && <p class="muted">{t.checking}</p>}
              {s.status === 'error' && <ErrorNote error={s.error} lang={lang} />}
              {s.status === 'ok' && !s.hasData && <p class="muted">{t.noData}</p>}
              {s.status === 'ok' && s.hasData && (
                <>
                  <p>
                    {t.samples(s.samples)}
                    {t.rate(s.rate)}
                  </p>
                  <div class="actions">
                    <button
                      type="button"
                      data-testid={`open-report-${month}`}
                      onClick={() => openHtml(month)}
                    >
                      {t.open}
                    </button>
                    {TABLES.map((table) => (
                      <button
                        key={table}
                        type="button"
                        data-testid={`csv-${month}-${table}`}
                        onClick={() => downloadCsv(month, table)}
                      >
                        {t.csv}: {t.tables[table]}
                      </button>
                    ))}
                  </div>
                </>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
