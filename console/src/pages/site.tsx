import type { JSX } from 'preact';
import type { OverviewResponse } from '../../../functions/api/console-types';
import type { AlarmPage } from '../../../functions/api/types';
import { alarmText } from '../alarm-text';
import { ErrorNote, Loading, SeverityBadge, StateBadge, useLoad } from '../components/common';
import { formatAge, formatValue, metricLabel } from '../i18n';
import type { PageProps } from '../page';
import { siteName } from './overview';

const TEXT = {
  zh: {
    devices: '设备',
    metric: '指标',
    value: '最新值',
    limits: '限值',
    age: '时间',
    alarms: '未关闭告警',
    none: '没有未关闭告警。',
    battery: '电量',
    notFound: (id: string) => `站点 ${id} 不存在`,
    township: '乡镇',
    back: '返回总览',
  },
  en: {
    devices: 'Devices',
    metric: 'Metric',
    value: 'Latest',
    limits: 'Limits',
    age: 'Age',
    alarms: 'Open alarms',
    none: 'No open alarms.',
    battery: 'battery',
    notFound: (id: string) => `No site ${id}`,
    township: 'Township',
    back: 'Back to the overview',
  },
} as const;

/** A site: its devices with their latest values against the limits, and its open alarms. */
export function SitePage({ api, lang, params }: PageProps): JSX.Element {
  const text = TEXT[lang];
  const id = params.siteId ?? '';
  const data = useLoad(
    () =>
      Promise.all([
        api.get<OverviewResponse>('/overview'),
        api.get<AlarmPage>('/alarms', { siteId: id, state: 'open' }),
      ]),
    [api, id],
  );
  if (!data.data) return data.error ? <ErrorNote error={data.error} lang={lang} /> : <Loading lang={lang} />;
  const [overview, alarms] = data.data;
  const site = overview.sites.find((s) => s.siteId === id);
  if (!site) return <p>{text.notFound(id)}</p>;
  const at = Date.parse(overview.at);
  return (
    <section data-testid="site-page">
      <p>
        <a href="#/">← {text.back}</a>
      </p>
      <h1>
        {siteName(site, lang)} <StateBadge state={site.state} lang={lang} />
      </h1>
      <p class="muted">
        {text.township}: {site.township}
      </p>
      <h2>{text.devices}</h2>
      {site.devices.map((d) => (
        <div key={d.deviceId} class="card device-card">
          <h3>
            <a href={`#/devices/${encodeURIComponent(d.deviceId)}`} data-testid={`device-link-${d.deviceId}`}>
              {d.deviceId}
            </a>{' '}
            <StateBadge state={d.state} lang={lang} />{' '}
            <span class="muted">
              {formatAge(d.ageMs, lang)}
              {d.batteryPct !== null ? ` · ${text.battery} ${d.batteryPct}%` : ''}
            </span>
          </h3>
          {d.metrics.length > 0 && (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>{text.metric}</th>
                    <th>{text.value}</th>
                    <th>{text.limits}</th>
                    <th>{text.age}</th>
                  </tr>
                </thead>
                <tbody>
                  {d.metrics.map((m) => (
                    <tr key={m.metric}>
                      <td>{metricLabel(m.metric, lang)}</td>
                      <td class={`m-${m.status}`}>{formatValue(m.value)}</td>
                      <td>
                        {[m.limitMin, m.limitMax].some((v) => v !== undefined)
                          ? `${m.limitMin ?? ''}–${m.limitMax ?? ''}`
                          : ''}
                      </td>
                      <td>{formatAge(m.time ? at - Date.parse(m.time) : null, lang)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      ))}
      <h2>{text.alarms}</h2>
      {alarms.items.length === 0 ? (
        <p>{text.none}</p>
      ) : (
        <ul>
          {alarms.items.map((a) => (
            <li key={a.alarmId}>
              <SeverityBadge severity={a.severity} lang={lang} />{' '}
              <a href={`#/alarms/${encodeURIComponent(a.alarmId)}`}>{alarmText(a, lang)}</a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
