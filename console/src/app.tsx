import type { ComponentType, JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { WhoAmI } from '../../functions/api/console-types';
import type { ConsoleConfig } from '../../functions/contract/console-config';
import type { Permission } from '../../functions/core/roles';
import { type Api, ApiError, createApi } from './api';
import { CognitoAuth, type Session, saveToken, tokenSession } from './auth';
import { ErrorNote, Loading } from './components/common';
import { applyLang, type Lang, loadLang, WORDS, type Words } from './i18n';
import type { PageProps } from './page';
import { AlarmDetailPage, AlarmsPage } from './pages/alarms';
import { BinDetailPage } from './pages/bin-detail';
import { BinsPage } from './pages/bins';
import { DevicePage } from './pages/device';
import { DeadLettersPage, DeviceHealthPage, QuarantinePage, SubscriptionsPage } from './pages/engineering';
import { OverviewPage } from './pages/overview';
import { ReportsPage } from './pages/reports';
import { SitePage } from './pages/site';

/** One page of the console: its hash path (`:name` is a parameter), who may see it, and its nav entry if any. */
interface Route {
  path: string;
  page: ComponentType<PageProps>;
  permission?: Permission;
  nav?: keyof Words['nav'];
  /** The page's main read, started beside `GET /me` when the console opens on this page. */
  prime?: string;
}

/** The route table, in nav order. */
const ROUTES: Route[] = [
  { path: '/', page: OverviewPage, nav: 'overview', prime: '/overview' },
  { path: '/sites/:siteId', page: SitePage },
  { path: '/devices/:deviceId', page: DevicePage },
  { path: '/alarms', page: AlarmsPage, nav: 'alarms' },
  { path: '/alarms/:alarmId', page: AlarmDetailPage },
  // ── Pages of UI-B (bins, bin detail, engineering, reports): one line each below. ──
  { path: '/bins', page: BinsPage, nav: 'bins' },
  { path: '/bins/:binId', page: BinDetailPage },
  { path: '/engineering/quarantine', page: QuarantinePage, permission: 'quarantine:read', nav: 'quarantine' },
  {
    path: '/engineering/dead-letters',
    page: DeadLettersPage,
    permission: 'dead-letters:read',
    nav: 'deadLetters',
  },
  { path: '/engineering/health', page: DeviceHealthPage, permission: 'quarantine:read', nav: 'health' },
  {
    path: '/engineering/subscriptions',
    page: SubscriptionsPage,
    permission: 'subscriptions:read',
    nav: 'subscriptions',
  },
  { path: '/reports', page: ReportsPage, nav: 'reports' },
];

/** The route a hash names, with its parameters. */
function matchRoute(
  hash: string,
  routes: readonly Route[] = ROUTES,
): { route: Route; params: Record<string, string> } | undefined {
  const [rawPath, rawQuery] = hash.replace(/^#/, '').split('?');
  const path = rawPath || '/';
  // `#/devices/x?range=30d`: the query's values are parameters too (the path's win), so a view can be linked.
  const query = Object.fromEntries(new URLSearchParams(rawQuery ?? ''));
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = { ...query };
    const ok = pattern.every((seg, i) => {
      const part = parts[i] as string;
      if (seg.startsWith(':')) {
        try {
          params[seg.slice(1)] = decodeURIComponent(part);
        } catch {
          return false;
        }
        return true;
      }
      return seg === part;
    });
    if (ok) return { route, params };
  }
  return undefined;
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const onChange = () => setHash(location.hash || '#/');
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

const SIGN_IN_TEXT = {
  zh: {
    title: '登录',
    token: 'API 令牌',
    tokenHelp: '本地运行时：令牌在 .data/api-token（管理员）或 .data/api-tokens.json 中。',
    cognito: '使用单位账号登录',
  },
  en: {
    title: 'Sign in',
    token: 'API token',
    tokenHelp: 'Local runtime: the token is in .data/api-token (admin) or .data/api-tokens.json.',
    cognito: 'Sign in with your organisation account',
  },
} as const;

function SignIn(props: {
  config: ConsoleConfig;
  lang: Lang;
  message: string | undefined;
  onToken(token: string): void;
  onCognito(): void;
}): JSX.Element {
  const text = SIGN_IN_TEXT[props.lang];
  const [token, setToken] = useState('');
  return (
    <main id="main" class="sign-in">
      <h1>{text.title}</h1>
      {props.message && (
        <p class="error" role="alert">
          {props.message}
        </p>
      )}
      {props.config.auth === 'token' ? (
        <form
          data-testid="sign-in"
          onSubmit={(e) => {
            e.preventDefault();
            if (token.trim()) props.onToken(token);
          }}
        >
          <label for="token">{text.token}</label>
          <input
            id="token"
            type="password"
            name="token"
            autocomplete="current-password"
            required
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          />
          <p class="muted">{text.tokenHelp}</p>
          <button type="submit" class="primary">
            {WORDS[props.lang].button.signIn}
          </button>
        </form>
      ) : (
        <button type="button" class="primary" onClick={props.onCognito}>
          {text.cognito}
        </button>
      )}
    </main>
  );
}

function Shell(props: {
  api: Api;
  me: WhoAmI;
  lang: Lang;
  onLang(lang: Lang): void;
  onSignOut(): void;
}): JSX.Element {
  const hash = useHash();
  const words = WORDS[props.lang];
  const match = matchRoute(hash);
  const allowed = (r: Route) => !r.permission || props.me.permissions.includes(r.permission);
  const current = match?.route.path ?? '';
  const Page = match?.route.page;
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        {words.skip}
      </button>
      <header class="top">
        <a class="brand" href="#/">
          {words.app}
        </a>
        <nav aria-label={words.menu}>
          <ul>
            {ROUTES.filter((r) => r.nav && allowed(r)).map((r) => {
              const href = `#${r.path}`;
              const active = current === r.path || (r.path !== '/' && current.startsWith(`${r.path}/`));
              return (
                <li key={r.path}>
                  <a href={href} aria-current={active ? 'page' : undefined}>
                    {words.nav[r.nav as keyof Words['nav']]}
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
        <div class="who">
          <span data-testid="whoami">
            {props.me.name} · {words.role[props.me.role]}
          </span>
          <button
            type="button"
            class="small"
            data-testid="lang-switch"
            aria-label={words.switchLangLabel}
            onClick={() => props.onLang(props.lang === 'zh' ? 'en' : 'zh')}
          >
            {words.switchLang}
          </button>
          <button type="button" class="small" onClick={props.onSignOut}>
            {words.button.signOut}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {!match || !Page ? (
          <p>{words.notFound}</p>
        ) : !allowed(match.route) ? (
          <p>{words.notPermitted}</p>
        ) : (
          <Page
            key={hash}
            api={props.api}
            lang={props.lang}
            me={props.me}
            params={match.params}
            navigate={(h) => {
              location.hash = h;
            }}
          />
        )}
      </main>
    </>
  );
}

/** The console: sign-in, then the shell with the page the hash names. */
export function App({ config }: { config: ConsoleConfig }): JSX.Element {
  const [lang, setLang] = useState<Lang>(loadLang);
  useEffect(() => applyLang(lang), [lang]);
  const cognito = useMemo(
    () =>
      config.auth === 'cognito'
        ? new CognitoAuth(config, {
            store: sessionStorage,
            fetch: (url, init) => fetch(url, init),
            now: () => Date.now(),
            redirect: (url) => location.assign(url),
          })
        : undefined,
    [config],
  );
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [starting, setStarting] = useState(true);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [me, setMe] = useState<WhoAmI | undefined>(undefined);

  const signedOut = (why?: string) => {
    setSession(undefined);
    setMe(undefined);
    setMessage(why);
  };

  // Picks up a session: a token kept in this tab, or Cognito's redirect back with a code.
  useEffect(() => {
    (async () => {
      if (cognito) {
        try {
          if (await cognito.complete(location.search))
            history.replaceState(null, '', `${location.pathname}${location.hash}`);
        } catch (err) {
          setMessage((err as Error).message);
        }
        if (cognito.signedIn())
          setSession({ token: () => cognito.token(), signOut: () => cognito.signOut() });
      } else {
        setSession(tokenSession(sessionStorage, () => undefined));
      }
      setStarting(false);
    })();
  }, [cognito]);

  const api = useMemo(
    () =>
      session &&
      createApi({
        baseUrl: config.apiUrl,
        token: () => session.token(),
        onUnauthorized: (why) => {
          session.signOut();
          signedOut(why);
        },
      }),
    [session, config.apiUrl],
  );

  useEffect(() => {
    if (!api) return;
    const first = matchRoute(location.hash || '#/')?.route.prime;
    if (first) api.prime(first);
    api.get<WhoAmI>('/me').then(setMe, (err: Error) => {
      if (!(err instanceof ApiError && err.status === 401)) setMessage(err.message);
    });
  }, [api]);

  if (starting) return <Loading lang={lang} />;
  if (!session || !api)
    return (
      <SignIn
        config={config}
        lang={lang}
        message={message}
        onToken={(token) => {
          saveToken(sessionStorage, token);
          setMessage(undefined);
          setSession(tokenSession(sessionStorage, () => undefined));
        }}
        onCognito={() => void cognito?.begin()}
      />
    );
  if (!me) return message ? <ErrorNote error={new Error(message)} lang={lang} /> : <Loading lang={lang} />;
  return (
    <Shell
      api={api}
      me={me}
      lang={lang}
      onLang={setLang}
      onSignOut={() => {
        session.signOut();
        signedOut();
      }}
    />
  );
}
