import type { JSX } from 'preact';
import type {
  OverviewMetric,
  OverviewResponse,
  OverviewSite,
  OverviewSupply,
  OverviewTownship,
} from '../../../functions/api/console-types';
import { ErrorNote, Loading, StateBadge, useInterval, useLoad } from '../components/common';
import { formatAge, formatValue, type Lang, metricLabel } from '../i18n';
import type { PageProps } from '../page';

const TEXT = {
  zh: {
    title: '全县总览',
    updated: '更新于',
    bins: (b: OverviewTownship['bins']) =>
      `垃圾桶 ${b.total} 个：待清运 ${b.needsCollection}，满溢 ${b.overflowing}，起火 ${b.onFire}`,
    others: '其他站点',
    limits: '限值',
    empty: '尚无站点；加载设备清单后这里会显示。',
    openAlarms: (n: number) => `${n} 个未关闭告警`,
    siteType: {
      water_source: '水源',
      water_plant: '水厂出水',
      water_network: '管网',
      school: '学校龙头',
      village: '村庄龙头',
      market: '集市',
      town: '镇区',
    } as Record<string, string>,
  },
  en: {
    title: 'County overview',
    updated: 'Updated',
    bins: (b: OverviewTownship['bins']) =>
      `Bins: ${b.total}; needing collection ${b.needsCollection}, overflowing ${b.overflowing}, on fire ${b.onFire}`,
    others: 'Other sites',
    limits: 'limits',
    empty: 'No sites yet; they appear once the fleet is loaded.',
    openAlarms: (n: number) => `${n} open alarm${n === 1 ? '' : 's'}`,
    siteType: {
      water_source: 'Source',
      water_plant: 'Plant outlet',
      water_network: 'Network',
      school: 'School tap',
      village: 'Village tap',
      market: 'Market',
      town: 'Town',
    } as Record<string, string>,
  },
} as const;

/** The overview is refreshed this often (alarms have their own faster live list). */
const REFRESH_MS = 30_000;

/** `0.3–2`, `≥ 0.3`, `≤ 1`: a metric's limits in a few characters. */
function limitText(m: OverviewMetric): string {
  if (m.limitMin !== undefined && m.limitMax !== undefined) return `${m.limitMin}–${m.limitMax}`;
  if (m.limitMin !== undefined) return `≥ ${m.limitMin}`;
  if (m.limitMax !== undefined) return `≤ ${m.limitMax}`;
  return '';
}

/** A site's name in the user's language (the English name when there is no Chinese one). */
export function siteName(site: Pick<OverviewSite, 'name' | 'nameZh'>, lang: Lang): string {
  return lang === 'zh' && site.nameZh ? site.nameZh : site.name;
}

function SiteCard({ site, lang, at }: { site: OverviewSite; lang: Lang; at: number }): JSX.Element {
  const text = TEXT[lang];
  const open = Object.values(site.openAlarms).reduce((a, b) => a + b, 0);
  const water = site.devices.filter((d) => d.kind === 'water');
  return (
    <article class="card site" data-testid={`site-${site.siteId}`} data-state={site.state}>
      <h4>
        <a href={`#/sites/${encodeURIComponent(site.siteId)}`}>{siteName(site, lang)}</a>
      </h4>
      <div class="type">{text.siteType[site.type] ?? site.type}</div>
      <StateBadge state={site.state} lang={lang} />
      {open > 0 && (
        <>
          {' '}
          <a href="#/alarms" class="muted">
            {text.openAlarms(open)}
          </a>
        </>
      )}
      <ul class="metrics">
        {water.flatMap((d) =>
          // Only what the devices have reported: a site's limits name more metrics than its analysers measure.
          d.metrics
            .filter((m) => m.value !== null)
            .map((m) => {
              const age = m.time ? at - Date.parse(m.time) : null;
              const limits = limitText(m);
              return (
                <li key={`${d.deviceId}:${m.metric}`} class="m">
                  <span>{metricLabel(m.metric, lang)}</span>
                  <span class={`m-${m.status}`} title={limits ? `${text.limits} ${limits}` : undefined}>
                    {formatValue(m.value)}
                    {limits && <span class="muted"> / {limits}</span>}{' '}
                    <span class="muted">{formatAge(age, lang)}</span>
                  </span>
                </li>
              );
            }),
        )}
      </ul>
    </article>
  );
}

function supplyName(supply: OverviewSupply, lang: Lang): string {
  return lang === 'zh' && supply.nameZh ? supply.nameZh : supply.name;
}

/** Townships, their supplies as chains source → plant outlet → network → taps, and their bins. */
export function OverviewPage({ api, lang }: PageProps): JSX.Element {
  const text = TEXT[lang];
  const overview = useLoad(() => api.get<OverviewResponse>('/overview'), [api]);
  // Only while someone can see it: a background tab costs the API nothing.
  useInterval(() => !document.hidden && overview.reload(), REFRESH_MS);
  const data = overview.data;
  if (!data)
    return overview.error ? <ErrorNote error={overview.error} lang={lang} /> : <Loading lang={lang} />;
  const sites = new Map(data.sites.map((s) => [s.siteId, s]));
  const at = Date.parse(data.at);
  const card = (id: string) => {
    const site = sites.get(id);
    return site ? <SiteCard site={site} lang={lang} at={at} /> : null;
  };
  return (
    <section data-testid="overview">
      <h1>{text.title}</h1>
      <p class="muted" aria-live="polite">
        {text.updated} {formatAge(Date.now() - at, lang)}
      </p>
      <ErrorNote error={overview.error} lang={lang} />
      {data.townships.length === 0 && <p>{text.empty}</p>}
      {data.townships.map((t) => (
        <section key={t.township} class="township" data-testid={`township-${t.township}`}>
          <header>
            <h2>{t.township}</h2>
            <span class="bins-summary" data-testid={`bins-${t.township}`}>
              <a href="#/bins">{text.bins(t.bins)}</a>
            </span>
          </header>
          {t.supplies.map((supply) => (
            <div key={supply.id}>
              <h3>{supplyName(supply, lang)}</h3>
              <ol class="chain">
                {supply.siteIds.map((id) => (
                  <li key={id}>{card(id)}</li>
                ))}
              </ol>
            </div>
          ))}
          {t.otherSiteIds.length > 0 && (
            <>
              <h3>{text.others}</h3>
              <ul class="others">
                {t.otherSiteIds.map((id) => (
                  <li key={id}>{card(id)}</li>
                ))}
              </ul>
            </>
          )}
        </section>
      ))}
    </section>
  );
}
