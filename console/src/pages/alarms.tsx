import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { WhoAmI } from '../../../functions/api/console-types';
import type { AlarmPage, AlarmSummary } from '../../../functions/api/types';
import type { AlarmDetail } from '../../../functions/core/alarm';
import type { Severity } from '../../../functions/core/alarm-types';
import { alarmText } from '../alarm-text';
import type { Api } from '../api';
import { Dialog, ErrorNote, Loading, SeverityBadge, useLoad } from '../components/common';
import { formatAge, formatTime, type Lang, localInput, WORDS } from '../i18n';
import type { PageProps } from '../page';

const TEXT = {
  zh: {
    title: '未关闭的告警',
    none: '没有未关闭的告警。',
    live: (n: number, at: string) => `实时 · ${n} 个未关闭 · ${at} 更新`,
    paused: '连接中断，正在重试…',
    raised: '发生于',
    detail: '详情',
    new: '新',
    ackTitle: '确认告警',
    shelveTitle: '搁置告警',
    comment: '备注',
    reason: '搁置原因',
    until: '搁置至（最长 24 小时）',
    ackedBy: (by: string) => `由 ${by} 确认`,
    shelvedUntil: (by: string, t: string) => `${by} 搁置至 ${t}`,
    notAllowed: (role: string) => `您的角色（${role}）不能处理此类告警`,
    history: '历史',
    notifications: '短信通知',
    at: '时间',
    change: '变化',
    by: '操作人',
    note: '说明',
    kind: '类型',
    audience: '对象',
    recipients: '收件人数',
    back: '返回告警列表',
    site: '站点',
    device: '设备',
    state: '状态',
  },
  en: {
    title: 'Open alarms',
    none: 'No open alarms.',
    live: (n: number, at: string) => `Live · ${n} open · updated ${at}`,
    paused: 'Connection lost, retrying…',
    raised: 'Raised',
    detail: 'Details',
    new: 'NEW',
    ackTitle: 'Acknowledge alarm',
    shelveTitle: 'Shelve alarm',
    comment: 'Comment',
    reason: 'Reason for shelving',
    until: 'Shelved until (at most 24 h)',
    ackedBy: (by: string) => `acknowledged by ${by}`,
    shelvedUntil: (by: string, t: string) => `shelved by ${by} until ${t}`,
    notAllowed: (role: string) => `Your role (${role}) may not act on this alarm`,
    history: 'History',
    notifications: 'SMS notifications',
    at: 'Time',
    change: 'Change',
    by: 'By',
    note: 'Note',
    kind: 'Kind',
    audience: 'Audience',
    recipients: 'Recipients',
    back: 'Back to the alarms',
    site: 'Site',
    device: 'Device',
    state: 'State',
  },
} as const;

/** Live-list polling: fast while the tab is in view (a new alarm shows within 2 s), slow when it is hidden. */
const POLL_VISIBLE_MS = 1_500;
const POLL_HIDDEN_MS = 15_000;

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, sensor_fault: 2, device: 3 };

/** Most severe first; within a severity the newest first, so a fresh alarm is at the top of its group. */
function sortAlarms<T extends Pick<AlarmSummary, 'severity' | 'raisedAt'>>(items: readonly T[]): T[] {
  return [...items].sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.raisedAt - a.raisedAt,
  );
}

/** Whether the user may acknowledge or shelve this alarm (the API checks again and has the last word). */
function mayAct(
  me: WhoAmI,
  alarm: Pick<AlarmSummary, 'audience'>,
  permission: 'alarm:acknowledge' | 'alarm:shelve',
) {
  return me.permissions.includes(permission) && me.ackAudiences.includes(alarm.audience);
}

interface DialogProps {
  api: Api;
  me: WhoAmI;
  lang: Lang;
  alarm: AlarmSummary;
  onDone(changed: boolean): void;
}

/**
 * A dialog that posts one action on an alarm: its fields, a submit button (disabled while the request runs) and
 * cancel; the API's refusal is shown in it and the dialog stays open.
 */
function ActionDialog(props: {
  title: string;
  kind: 'ack' | 'shelve';
  submitLabel: string;
  dialog: DialogProps;
  send(): Promise<unknown>;
  children: ComponentChildren;
}) {
  const { lang, alarm, onDone } = props.dialog;
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await props.send();
      onDone(true);
    } catch (err) {
      setError(err as Error);
      setBusy(false);
    }
  };
  return (
    <Dialog title={props.title} lang={lang} onClose={() => onDone(false)} testId={`${props.kind}-dialog`}>
      <p>{alarmText(alarm, lang)}</p>
      <form onSubmit={submit}>
        {props.children}
        <ErrorNote error={error} lang={lang} />
        <div class="row">
          <button type="submit" class="primary" data-testid={`${props.kind}-submit`} disabled={busy}>
            {props.submitLabel}
          </button>
          <button type="button" onClick={() => onDone(false)}>
            {WORDS[lang].button.cancel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function AckDialog(props: DialogProps) {
  const text = TEXT[props.lang];
  const [comment, setComment] = useState('');
  const send = () =>
    props.api.send('POST', `/alarms/${encodeURIComponent(props.alarm.alarmId)}/ack`, {
      by: props.me.name,
      ...(comment.trim() ? { comment: comment.trim() } : {}),
    });
  return (
    <ActionDialog
      title={text.ackTitle}
      kind="ack"
      submitLabel={WORDS[props.lang].button.ack}
      dialog={props}
      send={send}
    >
      <label for="ack-comment">{text.comment}</label>
      <textarea
        id="ack-comment"
        name="comment"
        rows={3}
        maxLength={500}
        value={comment}
        onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)}
      />
    </ActionDialog>
  );
}

function ShelveDialog(props: DialogProps) {
  const text = TEXT[props.lang];
  const now = Date.now();
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState(localInput(now + 4 * 3_600_000));
  const send = () => {
    const end = new Date(until).getTime();
    if (!Number.isFinite(end)) throw new Error(text.until);
    return props.api.send('POST', `/alarms/${encodeURIComponent(props.alarm.alarmId)}/shelve`, {
      by: props.me.name,
      until: end,
      reason: reason.trim(),
    });
  };
  return (
    <ActionDialog
      title={text.shelveTitle}
      kind="shelve"
      submitLabel={WORDS[props.lang].button.shelve}
      dialog={props}
      send={async () => send()}
    >
      <label for="shelve-reason">{text.reason}</label>
      <input
        id="shelve-reason"
        name="reason"
        required
        minLength={3}
        maxLength={500}
        value={reason}
        onInput={(e) => setReason((e.target as HTMLInputElement).value)}
      />
      <label for="shelve-until">{text.until}</label>
      <input
        id="shelve-until"
        name="until"
        type="datetime-local"
        required
        min={localInput(now)}
        max={localInput(now + 24 * 3_600_000)}
        value={until}
        onInput={(e) => setUntil((e.target as HTMLInputElement).value)}
      />
    </ActionDialog>
  );
}

/** Acknowledge and shelve buttons for one alarm, disabled (with the reason) when the role may not. */
function AlarmActions(props: { api: Api; me: WhoAmI; lang: Lang; alarm: AlarmSummary; onChanged(): void }) {
  const { alarm, me, lang } = props;
  const text = TEXT[lang];
  const words = WORDS[lang];
  const [open, setOpen] = useState<'ack' | 'shelve' | undefined>();
  const ackable = alarm.state === 'active_unack' || alarm.state === 'cleared_unack';
  const shelvable = alarm.status === 'open';
  const canAck = mayAct(me, alarm, 'alarm:acknowledge');
  const canShelve = mayAct(me, alarm, 'alarm:shelve');
  const why = text.notAllowed(words.role[me.role]);
  const done = (changed: boolean) => {
    setOpen(undefined);
    if (changed) props.onChanged();
  };
  return (
    <div class="actions">
      {ackable && (
        <button
          type="button"
          class="primary"
          data-testid={`ack-${alarm.alarmId}`}
          disabled={!canAck}
          title={canAck ? undefined : why}
          onClick={() => setOpen('ack')}
        >
          {words.button.ack}
        </button>
      )}
      {shelvable && (
        <button
          type="button"
          data-testid={`shelve-${alarm.alarmId}`}
          disabled={!canShelve}
          title={canShelve ? undefined : why}
          onClick={() => setOpen('shelve')}
        >
          {words.button.shelve}
        </button>
      )}
      {open === 'ack' && <AckDialog api={props.api} me={me} lang={lang} alarm={alarm} onDone={done} />}
      {open === 'shelve' && <ShelveDialog api={props.api} me={me} lang={lang} alarm={alarm} onDone={done} />}
    </div>
  );
}

function stateText(alarm: AlarmSummary, lang: Lang): string {
  const text = TEXT[lang];
  const parts: string[] = [WORDS[lang].alarmState[alarm.state]];
  if (alarm.ackedBy) parts.push(text.ackedBy(alarm.ackedBy));
  if (alarm.shelvedUntil && alarm.shelvedUntil > Date.now())
    parts.push(text.shelvedUntil(alarm.shelvedBy ?? '', formatTime(alarm.shelvedUntil, lang)));
  return parts.join(' · ');
}

/** The open alarms, polled with `If-None-Match` so an unchanged list costs a 304 and nothing else. */
export function AlarmsPage({ api, lang, me }: PageProps): JSX.Element {
  const text = TEXT[lang];
  const [items, setItems] = useState<AlarmSummary[] | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const [checkedAt, setCheckedAt] = useState<number | undefined>();
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const etag = useRef<string | undefined>(undefined);
  const seen = useRef<Set<string> | undefined>(undefined);
  const timer = useRef<number | undefined>(undefined);
  const polling = useRef(false);

  const poll = async () => {
    if (polling.current) return;
    polling.current = true;
    window.clearTimeout(timer.current);
    try {
      const answer = await api.poll<AlarmPage>('/alarms', { state: 'open', limit: 500 }, etag.current);
      if (!answer.unchanged) {
        etag.current = answer.etag;
        const ids = answer.body.items.map((a) => a.alarmId);
        // The first answer is what was open already; anything after it is new and is highlighted.
        if (seen.current) {
          const added = ids.filter((id) => !seen.current?.has(id));
          if (added.length) setFresh((before) => new Set([...before, ...added]));
        } else seen.current = new Set();
        for (const id of ids) seen.current.add(id);
        setItems(answer.body.items);
      }
      setError(undefined);
      setCheckedAt(Date.now());
    } catch (err) {
      setError(err as Error);
    } finally {
      polling.current = false;
      timer.current = window.setTimeout(poll, document.hidden ? POLL_HIDDEN_MS : POLL_VISIBLE_MS);
    }
  };
  useEffect(() => {
    void poll();
    const onVisible = () => !document.hidden && void poll();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      document.removeEventListener('visibilitychange', onVisible);
      window.clearTimeout(timer.current);
    };
  }, [api]);

  const changed = () => {
    etag.current = undefined;
    void poll();
  };
  return (
    <section>
      <h1>{text.title}</h1>
      <p class="live" data-testid="live-status" aria-live="polite">
        {error
          ? text.paused
          : items
            ? text.live(items.length, formatTime(checkedAt ?? Date.now(), lang))
            : ''}
      </p>
      <ErrorNote error={error} lang={lang} />
      {!items ? (
        <Loading lang={lang} />
      ) : items.length === 0 ? (
        <p>{text.none}</p>
      ) : (
        <ul class="alarm-list" data-testid="alarm-list">
          {sortAlarms(items).map((alarm) => (
            <li
              key={alarm.alarmId}
              class={`card alarm${fresh.has(alarm.alarmId) ? ' new' : ''}`}
              data-testid={`alarm-${alarm.alarmId}`}
              data-severity={alarm.severity}
              data-state={alarm.state}
            >
              <SeverityBadge severity={alarm.severity} lang={lang} />
              {fresh.has(alarm.alarmId) && <span class="new-tag">{text.new}</span>}
              <div class="what">
                <a href={`#/sites/${encodeURIComponent(alarm.siteId)}`}>
                  {lang === 'zh' && alarm.siteNameZh ? alarm.siteNameZh : alarm.siteName}
                </a>{' '}
                · {alarmText(alarm, lang)}
                <div class="muted">
                  {text.raised} {formatAge(Date.now() - alarm.raisedAt, lang)} · {stateText(alarm, lang)} ·{' '}
                  <a href={`#/alarms/${encodeURIComponent(alarm.alarmId)}`}>{text.detail}</a>
                </div>
              </div>
              <AlarmActions api={api} me={me} lang={lang} alarm={alarm} onChanged={changed} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** One alarm with its history of transitions and its SMS notifications. */
export function AlarmDetailPage({ api, lang, me, params }: PageProps): JSX.Element {
  const text = TEXT[lang];
  const id = params.alarmId ?? '';
  const detail = useLoad(() => api.get<AlarmDetail>(`/alarms/${encodeURIComponent(id)}`), [api, id]);
  const alarm = detail.data;
  if (!alarm) return detail.error ? <ErrorNote error={detail.error} lang={lang} /> : <Loading lang={lang} />;
  return (
    <section data-testid="alarm-detail">
      <p>
        <a href="#/alarms">← {text.back}</a>
      </p>
      <h1>
        <SeverityBadge severity={alarm.severity} lang={lang} /> {alarmText(alarm, lang)}
      </h1>
      <dl class="facts">
        <dt>{text.site}</dt>
        <dd>
          <a href={`#/sites/${encodeURIComponent(alarm.siteId)}`}>
            {lang === 'zh' && alarm.siteNameZh ? alarm.siteNameZh : alarm.siteName}
          </a>
        </dd>
        <dt>{text.device}</dt>
        <dd>
          <a href={`#/devices/${encodeURIComponent(alarm.deviceId)}`}>{alarm.deviceId}</a>
        </dd>
        <dt>{text.raised}</dt>
        <dd>{formatTime(alarm.raisedAt, lang)}</dd>
        <dt>{text.state}</dt>
        <dd data-testid="alarm-state">{stateText(alarm, lang)}</dd>
        {alarm.ackComment && (
          <>
            <dt>{text.comment}</dt>
            <dd>{alarm.ackComment}</dd>
          </>
        )}
      </dl>
      <AlarmActions api={api} me={me} lang={lang} alarm={alarm} onChanged={detail.reload} />
      <ErrorNote error={detail.error} lang={lang} />
      <h2>{text.history}</h2>
      <div class="table-wrap">
        <table data-testid="alarm-history">
          <thead>
            <tr>
              <th>{text.at}</th>
              <th>{text.change}</th>
              <th>{text.by}</th>
              <th>{text.note}</th>
            </tr>
          </thead>
          <tbody>
            {alarm.history.map((h) => (
              <tr key={`${h.at}-${h.to}`}>
                <td>{formatTime(h.at, lang)}</td>
                <td>
                  {h.from ? `${WORDS[lang].alarmState[h.from]} → ` : ''}
                  {h.to in WORDS[lang].alarmState
                    ? WORDS[lang].alarmState[h.to as keyof (typeof WORDS)['en']['alarmState']]
                    : h.to}
                </td>
                <td>{h.by ?? ''}</td>
                <td>{h.note ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>{text.notifications}</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>{text.at}</th>
              <th>{text.kind}</th>
              <th>{text.audience}</th>
              <th>{text.recipients}</th>
            </tr>
          </thead>
          <tbody>
            {alarm.notifications.map((n) => (
              <tr key={`${n.at}-${n.kind}-${n.audience}`}>
                <td>{formatTime(n.at, lang)}</td>
                <td>
                  {n.kind}
                  {n.suppressed ? ` (${n.suppressed})` : ''}
                </td>
                <td>{n.audience}</td>
                <td>{n.recipients}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
