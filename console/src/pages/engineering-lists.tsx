import { useEffect, useRef, useState } from 'preact/hooks';
import type { OverviewDevice, OverviewResponse } from '../../../functions/api/console-types';
import type { QuarantineEntryView, QuarantinePage } from '../../../functions/api/types';
import type { DeadLetter, RedriveResult } from '../../../functions/ports/dead-letters';
import { Dialog, ErrorNote, StateBadge, useLoad } from '../components/common';
import { formatAge, formatTime } from '../i18n';
import type { PageProps } from '../page';
import { Show } from './page-kit';
import { base64Bytes, formatBytes, hexDump, visibleText } from './payload-view';

const TEXT = {
  zh: {
    more: '加载更多',
    refresh: '刷新',
    none: '没有记录。',
    time: '时间',
    topic: '主题',
    client: '客户端',
    device: '设备',
    reason: '原因',
    message: '说明',
    size: '大小',
    truncated: '（仅显示开头）',
    payload: '原始内容',
    asText: '文本',
    asHex: '十六进制',
    asBase64: 'Base64',
    days: '天数',
    reasonFilter: '原因筛选',
    any: '全部',
    received: '接收',
    deadLettered: '进入死信',
    deliveries: '投递次数',
    redrive: '重新投递',
    redriveAll: '全部重新投递',
    confirmOne: (id: string) => `将消息 ${id} 移回接收队列？`,
    confirmAll: (n: number | undefined) => `将全部${n === undefined ? '' : ` ${n} 条`}死信移回接收队列？`,
    confirm: '确认',
    cancel: '取消',
    moved: (r: RedriveResult) =>
      `已移回 ${r.moved} 条${r.notFound.length ? `；未找到 ${r.notFound.join(', ')}` : ''}。`,
    total: (n: number) => `队列中共 ${n} 条`,
    battery: '电量',
    lastSeen: '最新样本',
    age: '时长',
    interval: '上报间隔',
    maintenance: '维护至',
    state: '状态',
    site: '地点',
    low: '电量低',
    overdue: '超时',
    healthAsOf: '数据时间',
  },
  en: {
    more: 'Load more',
    refresh: 'Refresh',
    none: 'Nothing here.',
    time: 'Time',
    topic: 'Topic',
    client: 'Client',
    device: 'Device',
    reason: 'Reason',
    message: 'Message',
    size: 'Size',
    truncated: '(first bytes only)',
    payload: 'Raw payload',
    asText: 'Text',
    asHex: 'Hex',
    asBase64: 'Base64',
    days: 'Days',
    reasonFilter: 'Reason',
    any: 'Any',
    received: 'Received',
    deadLettered: 'Dead-lettered',
    deliveries: 'Deliveries',
    redrive: 'Redrive',
    redriveAll: 'Redrive all',
    confirmOne: (id: string) => `Move message ${id} back to the ingest queue?`,
    confirmAll: (n: number | undefined) =>
      `Move all${n === undefined ? '' : ` ${n}`} dead letters back to the ingest queue?`,
    confirm: 'Confirm',
    cancel: 'Cancel',
    moved: (r: RedriveResult) =>
      `Moved ${r.moved}${r.notFound.length ? `; not found: ${r.notFound.join(', ')}` : ''}.`,
    total: (n: number) => `${n} in the queue`,
    battery: 'Battery',
    lastSeen: 'Newest sample',
    age: 'Age',
    interval: 'Interval',
    maintenance: 'Maintenance until',
    state: 'State',
    site: 'Site',
    low: 'low',
    overdue: 'overdue',
    healthAsOf: 'As of',
  },
} as const;

type Lang = PageProps['lang'];

/** The reasons an engineer filters by most; the API accepts any reason code. */
const REASONS = [
  'not_json',
  'bad_shape',
  'bad_value',
  'oversize',
  'unknown_device',
  'topic_mismatch',
  'ts_too_old',
  'dead_lettered',
];

/** A page of items fetched with a cursor, appended by "load more"; starts again when `deps` change. */
function usePaged<T>(
  fetchPage: (cursor?: string) => Promise<{ items: T[]; next?: string }>,
  deps: readonly unknown[],
) {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(true);
  const generation = useRef(0);
  const load = (cursor: string | undefined, append: boolean) => {
    const mine = ++generation.current;
    setBusy(true);
    setError(undefined);
    fetchPage(cursor).then(
      (page) => {
        if (mine !== generation.current) return;
        setItems((old) => (append ? [...old, ...page.items] : page.items));
        setNext(page.next);
        setBusy(false);
      },
      (e: unknown) => {
        if (mine !== generation.current) return;
        setError(e instanceof Error ? e : new Error(String(e)));
        setBusy(false);
      },
    );
  };
  useEffect(() => load(undefined, false), deps);
  return {
    items,
    next,
    error,
    busy,
    more: () => next && load(next, true),
    reload: () => load(undefined, false),
  };
}

function MoreButton({
  lang,
  show,
  busy,
  onClick,
}: {
  lang: Lang;
  show: boolean;
  busy: boolean;
  onClick: () => void;
}) {
  if (!show) return null;
  return (
    <button type="button" class="more" disabled={busy} onClick={onClick}>
      {TEXT[lang].more}
    </button>
  );
}

/** The raw bytes of a message as text, hex dump or base64; always text nodes, so markup in a payload is inert. */
function PayloadView({ lang, base64, text }: { lang: Lang; base64: string; text?: string }) {
  const t = TEXT[lang];
  const [view, setView] = useState<'text' | 'hex' | 'base64'>('hex');
  const bytes = base64Bytes(base64);
  const shown =
    view === 'hex'
      ? hexDump(bytes)
      : view === 'base64'
        ? base64
        : visibleText(text ?? new TextDecoder('utf-8', { fatal: false }).decode(bytes));
  return (
    <div class="payload">
      <fieldset class="segmented">
        <legend>{t.payload}</legend>
        {(['text', 'hex', 'base64'] as const).map((v) => (
          <button key={v} type="button" aria-pressed={view === v} onClick={() => setView(v)}>
            {v === 'text' ? t.asText : v === 'hex' ? t.asHex : t.asBase64}
          </button>
        ))}
      </fieldset>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a long dump scrolls; keyboard users scroll it when focused. */}
      <pre class={`payload-${view}`} data-view={view} tabIndex={0}>
        {shown}
      </pre>
    </div>
  );
}

/** Where a device message came from and how big it is: the same facts for quarantine entries and dead letters. */
function MessageOrigin({
  lang,
  message: m,
}: {
  lang: Lang;
  message: {
    topic: string;
    clientId?: string | undefined;
    deviceId?: string | undefined;
    payloadBytes: number;
    truncated: boolean;
    sha256?: string | undefined;
  };
}) {
  const t = TEXT[lang];
  return (
    <>
      <dt>{t.topic}</dt>
      <dd>
        <code>{m.topic}</code>
      </dd>
      <dt>
        {t.client} / {t.device}
      </dt>
      <dd>
        {m.clientId ?? '—'} / {m.deviceId ?? '—'}
      </dd>
      <dt>{t.size}</dt>
      <dd>
        {formatBytes(m.payloadBytes)} {m.truncated && t.truncated}
        {m.sha256 && <code class="sha"> sha256 {m.sha256.slice(0, 16)}…</code>}
      </dd>
    </>
  );
}

/** Rejected device messages, newest first, with reason and raw payload. */
export function Quarantine({ api, lang }: PageProps) {
  const t = TEXT[lang];
  const [days, setDays] = useState(7);
  const [reason, setReason] = useState('');
  const paged = usePaged<QuarantineEntryView>(
    async (cursor) => {
      const page = await api.get<QuarantinePage>('/quarantine', {
        limit: 20,
        days,
        reason: reason || undefined,
        cursor,
      });
      return { items: page.items, next: page.nextCursor };
    },
    [days, reason],
  );
  return (
    <>
      <div class="toolbar">
        <label class="field">
          <span>{t.days}</span>
          <select
            value={days}
            onChange={(e) => setDays(Number((e.currentTarget as HTMLSelectElement).value))}
          >
            {[1, 7, 30, 90].map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t.reasonFilter}</span>
          <select value={reason} onChange={(e) => setReason((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">{t.any}</option>
            {REASONS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={paged.reload}>
          {t.refresh}
        </button>
      </div>
      <ErrorNote error={paged.error} lang={lang} />
      {!paged.busy && paged.items.length === 0 && !paged.error && <p>{t.none}</p>}
      <ol class="record-list" data-testid="quarantine-list" aria-busy={paged.busy}>
        {paged.items.map((e) => (
          <li key={e.id} class="record" data-testid={`quarantine-${e.id}`} data-reason={e.reason}>
            <dl class="facts">
              <dt>{t.time}</dt>
              <dd>{formatTime(e.at, lang)}</dd>
              <dt>{t.reason}</dt>
              <dd>
                <code class="reason">{e.reason}</code>
              </dd>
              <dt>{t.message}</dt>
              <dd class="message">{e.message}</dd>
              <MessageOrigin lang={lang} message={{ ...e, sha256: e.payloadSha256 }} />
            </dl>
            <PayloadView lang={lang} base64={e.payloadBase64} text={e.payloadText} />
          </li>
        ))}
      </ol>
      <MoreButton lang={lang} show={paged.next !== undefined} busy={paged.busy} onClick={paged.more} />
    </>
  );
}

/** Messages ingest failed on; redrive (with confirmation) for roles that may. */
export function DeadLetters({ api, lang, me }: PageProps) {
  const t = TEXT[lang];
  const mayRedrive = me.permissions.includes('dead-letters:redrive');
  const [total, setTotal] = useState<number | undefined>();
  const [confirming, setConfirming] = useState<{ ids: string[] } | { all: true } | undefined>();
  const [outcome, setOutcome] = useState<{ ok: string } | { error: Error } | undefined>();
  const paged = usePaged<DeadLetter>(async (cursor) => {
    const page = await api.get<{ items: DeadLetter[]; total?: number; nextCursor?: string }>(
      '/dead-letters',
      {
        limit: 50,
        cursor,
      },
    );
    setTotal(page.total);
    return { items: page.items, next: page.nextCursor };
  }, []);

  const redrive = async () => {
    if (!confirming) return;
    const body = 'all' in confirming ? { all: true } : { ids: confirming.ids };
    setConfirming(undefined);
    try {
      const result = await api.send<RedriveResult>('POST', '/dead-letters/redrive', body);
      setOutcome({ ok: t.moved(result) });
      paged.reload();
    } catch (e) {
      setOutcome({ error: e instanceof Error ? e : new Error(String(e)) });
    }
  };

  return (
    <>
      <div class="toolbar">
        {total !== undefined && <span class="muted">{t.total(total)}</span>}
        <button type="button" onClick={paged.reload}>
          {t.refresh}
        </button>
        {mayRedrive && paged.items.length > 0 && (
          <button type="button" onClick={() => setConfirming({ all: true })}>
            {t.redriveAll}
          </button>
        )}
      </div>
      {confirming && (
        <ConfirmDialog
          lang={lang}
          question={'all' in confirming ? t.confirmAll(total) : t.confirmOne(confirming.ids[0] ?? '')}
          onConfirm={redrive}
          onCancel={() => setConfirming(undefined)}
        />
      )}
      {outcome &&
        ('ok' in outcome ? (
          <p role="status">{outcome.ok}</p>
        ) : (
          <ErrorNote error={outcome.error} lang={lang} />
        ))}
      <ErrorNote error={paged.error} lang={lang} />
      {!paged.busy && paged.items.length === 0 && !paged.error && <p>{t.none}</p>}
      <ol class="record-list" data-testid="dead-letter-list" aria-busy={paged.busy}>
        {paged.items.map((d) => (
          <li key={d.id} class="record" data-testid={`dead-letter-${d.id}`}>
            <dl class="facts">
              <dt>{t.deadLettered}</dt>
              <dd>{formatTime(d.deadLetteredAt, lang)}</dd>
              <dt>{t.received}</dt>
              <dd>{formatTime(d.receivedAt, lang)}</dd>
              <dt>{t.reason}</dt>
              <dd class="message">{d.reason ?? '—'}</dd>
              <dt>{t.deliveries}</dt>
              <dd>{d.receiveCount}</dd>
              <MessageOrigin lang={lang} message={{ ...d, truncated: d.payloadTruncated }} />
            </dl>
            <PayloadView lang={lang} base64={d.payloadBase64} />
            {mayRedrive && (
              <button type="button" onClick={() => setConfirming({ ids: [d.id] })}>
                {t.redrive}
              </button>
            )}
          </li>
        ))}
      </ol>
      <MoreButton lang={lang} show={paged.next !== undefined} busy={paged.busy} onClick={paged.more} />
    </>
  );
}

/** A yes/no question in the shell's modal dialog (focus kept inside, Escape cancels, focus returns after). */
export function ConfirmDialog({
  lang,
  question,
  onConfirm,
  onCancel,
}: {
  lang: Lang;
  question: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const t = TEXT[lang];
  return (
    <Dialog title={t.confirm} lang={lang} onClose={onCancel} testId="confirm">
      <p>{question}</p>
      <div class="actions">
        <button type="button" class="danger" data-testid="confirm-yes" onClick={onConfirm}>
          {t.confirm}
        </button>
        <button type="button" onClick={onCancel}>
          {t.cancel}
        </button>
      </div>
    </Dialog>
  );
}

interface HealthRow extends OverviewDevice {
  siteName: string;
  township: string;
}

/** Battery under this is shown as low; the device's own alarm level is the registry's (default 20 %). */
const LOW_BATTERY_PCT = 20;

/** The devices worst first: no data or offline, then low battery, then the oldest newest sample. */
function healthOrder(a: HealthRow, b: HealthRow): number {
  const bad = (r: HealthRow) =>
    r.state === 'no_data' || r.state === 'offline'
      ? 0
      : r.batteryPct !== null && r.batteryPct < LOW_BATTERY_PCT
        ? 1
        : 2;
  return (
    bad(a) - bad(b) || (b.ageMs ?? Infinity) - (a.ageMs ?? Infinity) || a.deviceId.localeCompare(b.deviceId)
  );
}

/** A reporting interval: "15 min", "1 h". */
function formatInterval(seconds: number | null, lang: Lang): string {
  if (seconds === null) return '—';
  if (seconds < 3600)
    return lang === 'zh' ? `${Math.round(seconds / 60)} 分钟` : `${Math.round(seconds / 60)} min`;
  const h = Math.round((seconds / 3600) * 10) / 10;
  return lang === 'zh' ? `${h} 小时` : `${h} h`;
}

/** Battery, newest sample, its age against the reporting interval, and maintenance, per device. */
export function DeviceHealth({ api, lang }: PageProps) {
  const t = TEXT[lang];
  const state = useLoad(() => api.get<OverviewResponse>('/overview'), []);
  return (
    <>
      <div class="toolbar">
        <button type="button" onClick={state.reload}>
          {t.refresh}
        </button>
      </div>
      <Show state={state} lang={lang}>
        {(overview) => {
          const rows: HealthRow[] = overview.sites
            .flatMap((s) =>
              s.devices.map((d) => ({
                ...d,
                siteName: lang === 'zh' && s.nameZh ? s.nameZh : s.name,
                township: s.township,
              })),
            )
            .sort(healthOrder);
          return (
            <>
              <p class="muted">
                {t.healthAsOf} {formatTime(overview.at, lang)}
              </p>
              <div class="table-scroll">
                <table class="cards-narrow" data-testid="device-health">
                  <thead>
                    <tr>
                      <th scope="col">{t.device}</th>
                      <th scope="col">{t.site}</th>
                      <th scope="col">{t.state}</th>
                      <th scope="col">{t.battery}</th>
                      <th scope="col">{t.lastSeen}</th>
                      <th scope="col">{t.age}</th>
                      <th scope="col">{t.interval}</th>
                      <th scope="col">{t.maintenance}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((d) => {
                      const low = d.batteryPct !== null && d.batteryPct < LOW_BATTERY_PCT;
                      const overdue =
                        d.ageMs !== null && d.intervalSec !== null && d.ageMs > 2 * d.intervalSec * 1000;
                      return (
                        <tr key={d.deviceId} data-testid={`health-${d.deviceId}`} data-state={d.state}>
                          <th scope="row">
                            <a href={d.kind === 'bin' ? `#/bins/${d.deviceId}` : `#/devices/${d.deviceId}`}>
                              {d.deviceId}
                            </a>
                          </th>
                          <td data-label={t.site}>
                            {d.siteName} · {d.township}
                          </td>
                          <td data-label={t.state}>
                            <StateBadge state={d.state} lang={lang} />
                          </td>
                          <td data-label={t.battery} class={low ? 'bad' : undefined}>
                            {d.batteryPct === null ? '—' : `${d.batteryPct} %`}
                            {low && ` ⚠ ${t.low}`}
                          </td>
                          <td data-label={t.lastSeen}>{formatTime(d.lastSampleAt, lang)}</td>
                          <td data-label={t.age} class={overdue ? 'bad' : undefined}>
                            {formatAge(d.ageMs, lang)}
                            {overdue && ` ⚠ ${t.overdue}`}
                          </td>
                          <td data-label={t.interval}>{formatInterval(d.intervalSec, lang)}</td>
                          <td data-label={t.maintenance}>{formatTime(d.maintenanceUntil, lang)}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            </>
          );
        }}
      </Show>
    </>
  );
}
