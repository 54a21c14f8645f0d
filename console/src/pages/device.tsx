import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import type { OverviewMetric, OverviewResponse } from '../../../functions/api/console-types';
import type { AlarmPage, AlarmSummary, ReadingsPage, SeriesResponse } from '../../../functions/api/types';
import type { DeviceCompleteness } from '../../../functions/core/compliance-types';
import type { Device } from '../../../functions/core/registry';
import type { Api } from '../api';
import { ErrorNote, Loading, StateBadge, useLoad } from '../components/common';
import { type ChartLine, TimeChart } from '../components/time-chart';
import { formatTime, formatValue, type Lang, localInput, metricLabel, WORDS } from '../i18n';
import { may, type PageProps } from '../page';

const TEXT = {
  zh: {
    ranges: { '24h': '24 小时', '7d': '7 天', '30d': '30 天' },
    range: '时间范围',
    latest: '最新样本',
    time: '采样时间',
    received: '接收时间',
    completeness: (rate: string, received: number, expected: number) =>
      `数据完整率 ${rate}（收到 ${received} / 应有 ${expected}，按已完成的小时汇总计）`,
    maintenance: '维护',
    inMaintenance: (until: string, by: string, reason: string) =>
      `维护中，至 ${until}${by ? `（${by}）` : ''}${reason ? `：${reason}` : ''}`,
    notInMaintenance: '正常运行（告警开启）',
    start: '开始维护',
    stop: '结束维护',
    until: '维护结束时间',
    reason: '原因',
    mean: '均值',
    min: '最小',
    max: '最大',
    value: '值',
    noData: '此范围内没有数据。',
    never: '从未收到：',
    notFound: (id: string) => `设备 ${id} 不存在`,
    site: '站点',
  },
  en: {
    ranges: { '24h': '24 h', '7d': '7 days', '30d': '30 days' },
    range: 'Range',
    latest: 'Latest samples',
    time: 'Sample time',
    received: 'Received',
    completeness: (rate: string, received: number, expected: number) =>
      `Data completeness ${rate} (${received} of ${expected} expected samples, from the completed hourly roll-ups)`,
    maintenance: 'Maintenance',
    inMaintenance: (until: string, by: string, reason: string) =>
      `In maintenance until ${until}${by ? ` (${by})` : ''}${reason ? `: ${reason}` : ''}`,
    notInMaintenance: 'In service (alarms on)',
    start: 'Start maintenance',
    stop: 'End maintenance',
    until: 'Maintenance ends',
    reason: 'Reason',
    mean: 'mean',
    min: 'min',
    max: 'max',
    value: 'value',
    noData: 'No data in this range.',
    never: 'Never reported:',
    notFound: (id: string) => `No device ${id}`,
    site: 'Site',
  },
} as const;

type RangeKey = '24h' | '7d' | '30d';
const RANGE_MS: Record<RangeKey, number> = {
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};
/** A chart of any range draws from about this many points: the series endpoint downsamples to it. */
const CHART_POINTS = 1000;

/**
 * A series' points as chart lines, with an explicit gap where the device was silent for more than three steps (so
 * an outage shows as a break, not as a straight line across it).
 */
function seriesLines(
  series: SeriesResponse,
  words: { mean: string; min: string; max: string; value: string },
) {
  const pts = series.points;
  const steps = pts
    .slice(1)
    .map((p, i) => p.t - (pts[i] as { t: number }).t)
    .sort((a, b) => a - b);
  const step = series.bucketMs ?? steps[Math.floor(steps.length / 2)] ?? Number.POSITIVE_INFINITY;
  const withGaps = <T,>(pick: (p: (typeof pts)[number]) => T) => {
    const out: { t: number; v: T | null }[] = [];
    pts.forEach((p, i) => {
      const prev = pts[i - 1];
      if (prev && p.t - prev.t > 3 * step) out.push({ t: prev.t + step, v: null });
      out.push({ t: p.t, v: pick(p) });
    });
    return out;
  };
  if (series.resolution === 'raw') return [{ label: words.value, points: withGaps((p) => p.mean) }];
  return [
    { label: words.mean, points: withGaps((p) => p.mean) },
    { label: words.min, points: withGaps((p) => p.min), style: 'dashed' as const },
    { label: words.max, points: withGaps((p) => p.max), style: 'dashed' as const },
  ];
}

/** The alarm periods of a metric (and the device-wide ones) as shaded spans. */
function alarmSpans(alarms: readonly AlarmSummary[], metric: string, now: number) {
  return alarms
    .filter((a) => a.metric === undefined || a.metric === metric)
    .map((a) => ({
      from: a.sampleTs ?? a.raisedAt,
      to: a.clearedSampleTs ?? a.clearedAt ?? now,
      label: a.condition,
    }));
}

/** Runs at most `n` of the loads at once, in the order asked: the first chart on the page is not queued behind the last. */
function limiter(n: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T,>(load: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((go) => waiting.push(go));
    running++;
    try {
      return await load();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** Disinfectant and turbidity first: what an operator checks first, and what the limits are mostly about. */
const METRIC_ORDER = [
  'free_chlorine_mg_l',
  'total_chlorine_mg_l',
  'chlorine_dioxide_mg_l',
  'turbidity_ntu',
  'ph',
];
const metricRank = (m: string) => {
  const i = METRIC_ORDER.indexOf(m);
  return i < 0 ? METRIC_ORDER.length : i;
};

type Levels = Pick<OverviewMetric, 'limitMin' | 'limitMax' | 'warnMin' | 'warnMax'>;

function MetricChart(props: {
  api: Api;
  lang: Lang;
  deviceId: string;
  metric: string;
  /** The metric's levels from the overview; undefined while it loads (the chart waits, so it is drawn with them). */
  levels: Levels | undefined;
  from: number;
  to: number;
  alarms: readonly AlarmSummary[];
  queue: ReturnType<typeof limiter>;
}) {
  const text = TEXT[props.lang];
  const { metric } = props;
  const series = useLoad(
    () =>
      props.queue(() =>
        props.api.get<SeriesResponse>(`/devices/${encodeURIComponent(props.deviceId)}/series`, {
          metric,
          from: props.from,
          to: props.to,
          points: CHART_POINTS,
        }),
      ),
    [props.api, props.deviceId, metric, props.from, props.to],
  );
  const lines = useMemo<ChartLine[]>(
    () => (series.data ? seriesLines(series.data, text) : []),
    [series.data, text],
  );
  const { limitMin, limitMax, warnMin, warnMax } = props.levels ?? {};
  const levels = useMemo(
    () => ({ limitMin, limitMax, warnMin, warnMax }),
    [limitMin, limitMax, warnMin, warnMax],
  );
  const shaded = useMemo(() => alarmSpans(props.alarms, metric, props.to), [props.alarms, metric, props.to]);
  if (!series.data || !props.levels)
    return series.error ? (
      <ErrorNote error={series.error} lang={props.lang} />
    ) : (
      <Loading lang={props.lang} />
    );
  return (
    <TimeChart
      testId={`chart-${metric}`}
      title={metricLabel(metric, props.lang)}
      lang={props.lang}
      from={props.from}
      to={props.to}
      lines={lines}
      levels={levels}
      shaded={shaded}
    />
  );
}

function Maintenance(props: {
  api: Api;
  lang: Lang;
  me: PageProps['me'];
  device: Device;
  onChanged(): void;
}) {
  const text = TEXT[props.lang];
  const { device } = props;
  const active =
    device.maintenance && (device.maintenanceUntil === undefined || device.maintenanceUntil > Date.now());
  const [until, setUntil] = useState(() => localInput(Date.now() + 8 * 3_600_000));
  const [reason, setReason] = useState('');
  const [error, setError] = useState<Error | undefined>();
  const canChange = may(props.me, 'device:maintenance');
  const send = async (on: boolean) => {
    setError(undefined);
    try {
      await props.api.send('POST', `/devices/${encodeURIComponent(device.id)}/maintenance`, {
        by: props.me.name,
        on,
        ...(on ? { until: new Date(until).getTime() } : {}),
        ...(on && reason.trim() ? { reason: reason.trim() } : {}),
      });
      props.onChanged();
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <section class="card" data-testid="maintenance">
      <h2>{text.maintenance}</h2>
      <p>
        {active
          ? text.inMaintenance(
              device.maintenanceUntil ? formatTime(device.maintenanceUntil, props.lang) : '—',
              device.maintenanceBy ?? '',
              device.maintenanceReason ?? '',
            )
          : text.notInMaintenance}
      </p>
      {canChange &&
        (active ? (
          <button type="button" onClick={() => void send(false)}>
            {text.stop}
          </button>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void send(true);
            }}
          >
            <label for="maint-until">{text.until}</label>
            <input
              id="maint-until"
              name="until"
              type="datetime-local"
              required
              value={until}
              onInput={(e) => setUntil((e.target as HTMLInputElement).value)}
            />
            <label for="maint-reason">{text.reason}</label>
            <input
              id="maint-reason"
              name="reason"
              maxLength={500}
              value={reason}
              onInput={(e) => setReason((e.target as HTMLInputElement).value)}
            />
            <div class="row">
              <button type="submit" class="primary">
                {text.start}
              </button>
            </div>
          </form>
        ))}
      <ErrorNote error={error} lang={props.lang} />
    </section>
  );
}

/** A device: a chart per metric over 24 h / 7 d / 30 d with limits and alarm periods, its latest samples. */
export function DevicePage({ api, lang, me, params }: PageProps): JSX.Element {
  const text = TEXT[lang];
  const id = params.deviceId ?? '';
  const [range, setRange] = useState<RangeKey>(
    params.range && params.range in RANGE_MS ? (params.range as RangeKey) : '24h',
  );
  // The range ends at the minute the page opened (or the range changed), so the charts share one x axis.
  const [to, from] = useMemo(() => {
    const end = Math.ceil(Date.now() / 60_000) * 60_000;
    return [end, end - RANGE_MS[range]];
  }, [range]);
  // What the charts need first (the device, its alarms, the metrics it reports) is quick; the overview, for the
  // levels and the state, is the slowest read and is loaded beside it rather than before the charts' series.
  const base = useLoad(async () => {
    const enc = encodeURIComponent(id);
    const [device, open, closed, readings] = await Promise.all([
      api.get<Device>(`/devices/${enc}`),
      api.get<AlarmPage>('/alarms', { deviceId: id, state: 'open', limit: 500 }),
      api.get<AlarmPage>('/alarms', { deviceId: id, state: 'closed', limit: 500 }),
      api.get<ReadingsPage>(`/devices/${enc}/readings`, { order: 'desc', limit: 12 }),
    ]);
    return { device, alarms: [...open.items, ...closed.items], readings };
  }, [api, id]);
  const overview = useLoad(async () => {
    const all = await api.get<OverviewResponse>('/overview');
    return all.sites.flatMap((s) => s.devices).find((d) => d.deviceId === id);
  }, [api, id]);
  const queue = useMemo(() => limiter(2), []);
  // Completeness comes from the compliance report over the same range; it is a nice-to-have, so its failure is quiet.
  const completeness = useLoad(async () => {
    const siteId = base.data?.device.siteId;
    if (!siteId) return undefined;
    const report = await api.get<{ completeness: DeviceCompleteness[] }>('/reports/compliance', {
      siteId,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      format: 'json',
    });
    return report.completeness.find((c) => c.deviceId === id);
  }, [api, id, base.data?.device.siteId, from, to]);

  if (!base.data) return base.error ? <ErrorNote error={base.error} lang={lang} /> : <Loading lang={lang} />;
  const { device, alarms, readings } = base.data;
  const dev = overview.data;
  // A chart per metric the device has reported (numbers), disinfectant first; the metrics its site's limits name that
  // it never reported are listed instead.
  const reported = [...new Set(readings.items.flatMap((r) => Object.keys(r.m)))];
  const metrics = reported
    .filter((m) => readings.items.some((r) => typeof r.m[m] === 'number'))
    .sort((a, b) => metricRank(a) - metricRank(b));
  const levelsOf = (metric: string): Levels | undefined =>
    overview.data === undefined && !overview.error
      ? undefined
      : (dev?.metrics.find((m) => m.metric === metric) ?? {});
  const silent = (dev?.metrics ?? []).filter((m) => m.value === null && !reported.includes(m.metric));
  const c = completeness.data;
  const metricNames = reported;
  return (
    <section data-testid="device-page">
      <p>
        <a href={`#/sites/${encodeURIComponent(device.siteId)}`}>
          ← {text.site}: {lang === 'zh' && device.siteNameZh ? device.siteNameZh : device.siteName}
        </a>
      </p>
      <h1>
        {device.id} {dev && <StateBadge state={dev.state} lang={lang} />}
      </h1>
      {c && c.rate !== null && (
        <p data-testid="completeness">
          {text.completeness(`${(c.rate * 100).toFixed(1)}%`, c.received, c.expected)}
        </p>
      )}
      <fieldset class="tabs">
        <legend class="sr-only">{text.range}</legend>
        {(Object.keys(RANGE_MS) as RangeKey[]).map((k) => (
          <button key={k} type="button" aria-pressed={range === k} onClick={() => setRange(k)}>
            {text.ranges[k]}
          </button>
        ))}
      </fieldset>
      <div class="grid2">
        {metrics.map((m) => (
          <MetricChart
            key={`${m}-${range}`}
            api={api}
            lang={lang}
            deviceId={id}
            metric={m}
            levels={levelsOf(m)}
            from={from}
            to={to}
            alarms={alarms}
            queue={queue}
          />
        ))}
      </div>
      {metrics.length === 0 && <p>{text.noData}</p>}
      {silent.length > 0 && (
        <p class="muted">
          {text.never} {silent.map((m) => metricLabel(m.metric, lang)).join(', ')}
        </p>
      )}
      <h2>{text.latest}</h2>
      <div class="table-wrap">
        <table data-testid="latest-samples">
          <thead>
            <tr>
              <th>{text.time}</th>
              {metricNames.map((m) => (
                <th key={m}>{metricLabel(m, lang)}</th>
              ))}
              <th>{text.received}</th>
            </tr>
          </thead>
          <tbody>
            {readings.items.map((r) => (
              <tr key={`${r.ts}-${r.seq}`}>
                <td>{formatTime(r.ts, lang)}</td>
                {metricNames.map((m) => (
                  <td key={m}>{formatValue(r.m[m] as number | boolean | undefined)}</td>
                ))}
                <td>{formatTime(r.receivedAt, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Maintenance api={api} lang={lang} me={me} device={device} onChanged={base.reload} />
      <p class="muted">
        {WORDS[lang].nav.alarms}: {alarms.filter((a) => a.status === 'open').length}
      </p>
    </section>
  );
}
