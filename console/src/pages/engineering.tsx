import './pages.css';
import type { WhoAmI } from '../../../functions/api/console-types';
import type { PageProps } from '../page';
import { DeadLetters, DeviceHealth, Quarantine } from './engineering-lists';
import { Subscriptions } from './subscriptions';

const TEXT = {
  zh: {
    title: '工程',
    tabs: { quarantine: '隔离消息', 'dead-letters': '死信', health: '设备健康', subscriptions: '短信订阅' },
    denied: (role: string, needs: string) => `此页面需要 ${needs} 角色；您是 ${role}。`,
  },
  en: {
    title: 'Engineering',
    tabs: {
      quarantine: 'Quarantine',
      'dead-letters': 'Dead letters',
      health: 'Device health',
      subscriptions: 'SMS subscriptions',
    },
    denied: (role: string, needs: string) => `This page needs the role ${needs}; you are ${role}.`,
  },
} as const;

/** The engineering sub-pages, by their hash segment. */
export const ENGINEERING_TABS = ['quarantine', 'dead-letters', 'health', 'subscriptions'] as const;
export type EngineeringTab = (typeof ENGINEERING_TABS)[number];

/**
 * Whether the caller may open a sub-page: the same permissions the API checks (quarantine, dead letters and device
 * health for engineers and admins; subscriptions, which hold phone numbers, for admins only).
 */
export function mayOpen(me: Pick<WhoAmI, 'permissions'>, tab: EngineeringTab): boolean {
  switch (tab) {
    case 'quarantine':
    case 'health':
      return me.permissions.includes('quarantine:read');
    case 'dead-letters':
      return me.permissions.includes('dead-letters:read');
    case 'subscriptions':
      return me.permissions.includes('subscriptions:read');
  }
}

const isTab = (s: string | undefined): s is EngineeringTab =>
  (ENGINEERING_TABS as readonly string[]).includes(s ?? '');

/** `#/engineering/<tab>`: quarantine, dead letters, device health and SMS subscriptions. */
export function EngineeringPage(props: PageProps) {
  const { lang, me, params } = props;
  const t = TEXT[lang];
  const tab: EngineeringTab = isTab(params.tab) ? params.tab : 'quarantine';
  const tabs = ENGINEERING_TABS.filter((x) => mayOpen(me, x));
  return (
    <section class="page engineering" aria-labelledby="eng-title">
      <h1 id="eng-title">{t.title}</h1>
      {tabs.length > 0 && (
        <nav class="subnav" aria-label={t.title}>
          {tabs.map((x) => (
            <a key={x} href={`#/engineering/${x}`} aria-current={x === tab ? 'page' : undefined}>
              {t.tabs[x]}
            </a>
          ))}
        </nav>
      )}
      <h2>{t.tabs[tab]}</h2>
      {mayOpen(me, tab) ? (
        <TabBody tab={tab} {...props} />
      ) : (
        <p class="error" role="alert">
          {t.denied(me.role, tab === 'subscriptions' ? 'admin' : 'engineer / admin')}
        </p>
      )}
    </section>
  );
}

function TabBody({ tab, ...props }: PageProps & { tab: EngineeringTab }) {
  switch (tab) {
    case 'quarantine':
      return <Quarantine {...props} />;
    case 'dead-letters':
      return <DeadLetters {...props} />;
    case 'health':
      return <DeviceHealth {...props} />;
    case 'subscriptions':
      return <Subscriptions {...props} />;
  }
}
