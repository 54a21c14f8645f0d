import './pages.css';
import type { PageProps } from '../page';
import { DeadLetters, DeviceHealth, Quarantine } from './engineering-lists';
import { Subscriptions } from './subscriptions';

const TEXT = {
  zh: {
    title: '工程',
    tabs: { quarantine: '隔离消息', 'dead-letters': '死信', health: '设备健康', subscriptions: '短信订阅' },
  },
  en: {
    title: 'Engineering',
    tabs: {
      quarantine: 'Quarantine',
      'dead-letters': 'Dead letters',
      health: 'Device health',
      subscriptions: 'SMS subscriptions',
    },
  },
} as const;

/** The engineering pages, by their hash segment. */
type EngineeringTab = keyof (typeof TEXT)['en']['tabs'];

const BODIES: Record<EngineeringTab, (props: PageProps) => preact.JSX.Element> = {
  quarantine: Quarantine,
  'dead-letters': DeadLetters,
  health: DeviceHealth,
  subscriptions: Subscriptions,
};

/**
 * `#/engineering/<tab>`: quarantine, dead letters, device health and SMS subscriptions. The shell's route table
 * holds the permission of each (engineer and admin; subscriptions, which hold phone numbers, admin only) and links
 * each from its nav.
 */
function EngineeringPage(props: PageProps & { tab: EngineeringTab }) {
  const { lang, tab, ...rest } = props;
  const Body = BODIES[tab];
  return (
    <section class="page engineering" aria-labelledby="eng-title">
      <p class="muted">{TEXT[lang].title}</p>
      <h1 id="eng-title">{TEXT[lang].tabs[tab]}</h1>
      <Body lang={lang} {...rest} />
    </section>
  );
}

/** The route table's pages, one per tab. */
export const QuarantinePage = (props: PageProps) => <EngineeringPage {...props} tab="quarantine" />;
export const DeadLettersPage = (props: PageProps) => <EngineeringPage {...props} tab="dead-letters" />;
export const DeviceHealthPage = (props: PageProps) => <EngineeringPage {...props} tab="health" />;
export const SubscriptionsPage = (props: PageProps) => <EngineeringPage {...props} tab="subscriptions" />;
