import './pages.css';
import { useState } from 'preact/hooks';
import type { BinDetailView, SeriesResponse } from '../../../functions/api/types';
import { useLoad } from '../components/common';
import { TimeChart } from '../components/time-chart';
import { formatTime } from '../i18n';
import type { PageProps } from '../page';
import {
  collectionSpans,
  forecastPoints,
  formatHours,
  formatPct,
  formatRate,
  hoursUntil,
  WASTE_STREAM_TEXT,
} from './bin-format';
import { Show } from './page-kit';

const TEXT = {
  zh: {
    back: '← 清运列表',
    title: (id: string) => `垃圾桶 ${id}`,
    range: '时间范围',
    days: (d: number) => `${d} 天`,
    chart: '满溢度',
    fillLine: '满溢度',
    forecastLine: '预测',
    collected: '已清运',
    status: '状态',
    fill: '满溢度',
    level: '水平（近三次中位数）',
    rate: '速率',
    threshold: '清运线',
    thresholdAt: '到达清运线',
    fullAt: '满',
    noForecast: '无预测',
    lastReading: '最新读数',
    readings: '上次清运后读数',
    flagged: '已标记的读数',
    capacity: '容量',
    stream: '类别',
    site: '地点',
    collections: '清运记录',
    noCollections: '此时间范围内没有清运。',
    at: '时间',
    from: '清运前',
    to: '清运后',
    overflowing: '已溢出',
    above: '超过清运线',
    noPoints: '此时间范围内没有读数。',
  },
  en: {
    back: '← Collection list',
    title: (id: string) => `Bin ${id}`,
    range: 'Range',
    days: (d: number) => `${d} d`,
    chart: 'Fill level',
    fillLine: 'Fill',
    forecastLine: 'Forecast',
    collected: 'Collected',
    status: 'Status',
    fill: 'Fill',
    level: 'Level (median of last three)',
    rate: 'Rate',
    threshold: 'Collection threshold',
    thresholdAt: 'Reaches threshold',
    fullAt: 'Full',
    noForecast: 'No forecast',
    lastReading: 'Last reading',
    readings: 'Readings since collection',
    flagged: 'Flagged readings',
    capacity: 'Capacity',
    stream: 'Stream',
    site: 'Site',
    collections: 'Collections',
    noCollections: 'No collection in this range.',
    at: 'Time',
    from: 'Before',
    to: 'After',
    overflowing: 'Overflowing',
    above: 'Above threshold',
    noPoints: 'No readings in this range.',
  },
} as const;

const RANGES = [1, 7, 30] as const;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface Loaded {
  bin: BinDetailView;
  series: SeriesResponse;
  from: number;
  to: number;
  now: number;
}

/** `#/bins/<binId>`: a bin's fill chart with its forecast and collections, its status and its collections list. */
export function BinDetailPage({ api, lang, params }: PageProps) {
  const t = TEXT[lang];
  const binId = params.binId ?? params.id ?? '';
  const [days, setDays] = useState<(typeof RANGES)[number]>(7);

  const state = useLoad<Loaded>(async () => {
    const path = `/bins/${encodeURIComponent(binId)}`;
    const bin = await api.get<BinDetailView>(path, { days });
    const now = Date.parse(bin.history.to ?? '') || Date.now();
    const from = now - days * DAY_MS;
    const series = await api.get<SeriesResponse>(`/devices/${encodeURIComponent(binId)}/series`, {
      metric: 'fill_pct',
      from,
      to: now,
    });
    // Room on the right for the forecast: a quarter of the range, at most a day.
    const to =
      bin.ratePctPerHour !== null && bin.ratePctPerHour > 0 ? now + Math.min(DAY_MS, (now - from) / 4) : now;
    return { bin, series, from, to, now };
  }, [binId, days]);

  return (
    <section class="page bin-detail" aria-labelledby="bin-title">
      <p>
        <a href="#/bins">{t.back}</a>
      </p>
      <h1 id="bin-title">{t.title(binId)}</h1>
      <fieldset class="segmented">
        <legend>{t.range}</legend>
        {RANGES.map((d) => (
          <label key={d} class={d === days ? 'selected' : undefined}>
            <input type="radio" name="bin-range" value={d} checked={d === days} onChange={() => setDays(d)} />
            {t.days(d)}
          </label>
        ))}
      </fieldset>
      <Show state={state} lang={lang}>
        {(data) => <BinDetailBody data={data} lang={lang} />}
      </Show>
    </section>
  );
}

function BinDetailBody({ data, lang }: { data: Loaded; lang: PageProps['lang'] }) {
  const t = TEXT[lang];
  const { bin, series, from, to, now } = data;
  const fill = series.points.map((p) => ({ t: p.t, v: p.mean }));
  const forecast = forecastPoints(bin, to);
  const site = lang === 'zh' && bin.siteNameZh ? bin.siteNameZh : bin.siteName;
  const flagged = Object.entries(bin.history.flagged)
    .map(([flag, n]) => `${flag} ${n}`)
    .join(', ');
  return (
    <>
      {fill.length === 0 && <p class="muted">{t.noPoints}</p>}
      <TimeChart
        testId="chart-fill"
        title={t.chart}
        unit="%"
        lang={lang}
        from={from}
        to={to}
        lines={[
          { label: t.fillLine, points: fill, style: 'solid' },
          ...(forecast.length > 0
            ? [{ label: t.forecastLine, points: forecast, style: 'dashed' as const }]
            : []),
        ]}
        levels={{ warnMax: bin.thresholdPct, limitMax: 100 }}
        shaded={collectionSpans(bin.collections).map((s) => ({ ...s, label: t.collected }))}
      />
      <h2>{t.status}</h2>
      <dl class="facts">
        <dt>{t.site}</dt>
        <dd>
          {site} · {bin.township}
        </dd>
        <dt>{t.fill}</dt>
        <dd>
          {formatPct(bin.fillPct)}
          {bin.overflowing && <strong class="badge urgency-overflowing"> ⛔ {t.overflowing}</strong>}
          {!bin.overflowing && bin.aboveThreshold && (
            <strong class="badge urgency-above"> ▲ {t.above}</strong>
          )}
        </dd>
        <dt>{t.level}</dt>
        <dd>{formatPct(bin.levelPct)}</dd>
        <dt>{t.rate}</dt>
        <dd>{formatRate(bin.ratePctPerHour, lang)}</dd>
        <dt>{t.threshold}</dt>
        <dd>{bin.thresholdPct} %</dd>
        <dt>{t.thresholdAt}</dt>
        <dd>
          {bin.thresholdAt === null
            ? t.noForecast
            : `${formatTime(bin.thresholdAt, lang)} (${formatHours(hoursUntil(bin.thresholdAt, now), lang)})`}
        </dd>
        <dt>{t.fullAt}</dt>
        <dd>
          {bin.fullAt === null
            ? t.noForecast
            : `${formatTime(bin.fullAt, lang)} (${formatHours(hoursUntil(bin.fullAt, now), lang)})`}
        </dd>
        {bin.reason !== null && (
          <>
            <dt>{t.noForecast}</dt>
            <dd>{bin.reason}</dd>
          </>
        )}
        <dt>{t.lastReading}</dt>
        <dd>{formatTime(bin.lastReadingAt, lang)}</dd>
        <dt>{t.readings}</dt>
        <dd>{bin.readingsSinceCollection}</dd>
        {flagged && (
          <>
            <dt>{t.flagged}</dt>
            <dd>{flagged}</dd>
          </>
        )}
        <dt>{t.capacity}</dt>
        <dd>{bin.capacityL} L</dd>
        <dt>{t.stream}</dt>
        <dd>{WASTE_STREAM_TEXT[bin.wasteStream][lang]}</dd>
      </dl>
      <h2>{t.collections}</h2>
      {bin.collections.length === 0 ? (
        <p class="muted">{t.noCollections}</p>
      ) : (
        <div class="table-scroll">
          <table class="collections" data-testid="collections">
            <thead>
              <tr>
                <th scope="col">{t.at}</th>
                <th scope="col">{t.from}</th>
                <th scope="col">{t.to}</th>
              </tr>
            </thead>
            <tbody>
              {[...bin.collections].reverse().map((c) => (
                <tr key={`${c.at}-${c.fromPct}`}>
                  <td>{formatTime(c.at, lang)}</td>
                  <td>{formatPct(c.fromPct)}</td>
                  <td>{formatPct(c.toPct)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
