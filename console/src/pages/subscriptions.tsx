import { useEffect, useRef, useState } from 'preact/hooks';
import type { Audience, Language, Severity } from '../../../functions/core/alarm-types';
import type { Subscription } from '../../../functions/core/subscription';
import { ErrorNote, useLoad } from '../components/common';
import { formatTime } from '../i18n';
import type { PageProps } from '../page';
import { ConfirmDialog } from './engineering-lists';
import { Show } from './page-kit';
import { createBody, formOf, patchBody, type SubscriptionForm } from './subscription-form';

const TEXT = {
  zh: {
    add: '新建订阅',
    edit: '编辑',
    remove: '删除',
    save: '保存',
    cancel: '取消',
    refresh: '刷新',
    none: '没有订阅。',
    phone: '电话（E.164，例如 +8613800000001）',
    name: '姓名',
    audience: '接收对象',
    minSeverity: '最低级别',
    lang: '短信语言',
    siteIds: '站点 ID（逗号分隔；留空为全县）',
    townships: '乡镇（逗号分隔；留空为全县）',
    scope: '范围',
    county: '全县',
    created: '创建',
    source: '来源',
    readOnly: '只有管理员可以修改订阅。',
    confirmDelete: (s: Subscription) => `删除 ${s.name ?? s.phone} 的订阅 ${s.subscriptionId}？`,
    saved: '已保存。',
    deleted: '已删除。',
    unchanged: '没有修改。',
    audiences: { operators: '运营人员', engineers: '工程师', sanitation: '环卫', supervisors: '主管' },
    severities: { critical: '严重', warning: '预警', sensor_fault: '传感器故障', device: '设备' },
    langs: { zh: '中文', en: 'English' },
  },
  en: {
    add: 'New subscription',
    edit: 'Edit',
    remove: 'Delete',
    save: 'Save',
    cancel: 'Cancel',
    refresh: 'Refresh',
    none: 'No subscriptions.',
    phone: 'Phone (E.164, e.g. +8613800000001)',
    name: 'Name',
    audience: 'Audience',
    minSeverity: 'Minimum severity',
    lang: 'SMS language',
    siteIds: 'Site ids (comma-separated; empty for the whole county)',
    townships: 'Townships (comma-separated; empty for the whole county)',
    scope: 'Scope',
    county: 'Whole county',
    created: 'Created',
    source: 'Source',
    readOnly: 'Only an admin may change subscriptions.',
    confirmDelete: (s: Subscription) => `Delete subscription ${s.subscriptionId} of ${s.name ?? s.phone}?`,
    saved: 'Saved.',
    deleted: 'Deleted.',
    unchanged: 'Nothing changed.',
    audiences: {
      operators: 'Operators',
      engineers: 'Engineers',
      sanitation: 'Sanitation',
      supervisors: 'Supervisors',
    },
    severities: { critical: 'Critical', warning: 'Warning', sensor_fault: 'Sensor fault', device: 'Device' },
    langs: { zh: '中文', en: 'English' },
  },
} as const;

type Lang = PageProps['lang'];
// Keyed records, so a new audience, severity or language does not compile without its words here.
const AUDIENCE_KEYS = Object.keys(TEXT.en.audiences) as Audience[];
const SEVERITY_KEYS = Object.keys(TEXT.en.severities) as Severity[];
const LANG_KEYS = Object.keys(TEXT.en.langs) as Language[];
TEXT.en.audiences satisfies Record<Audience, string>;
TEXT.en.severities satisfies Record<Severity, string>;
TEXT.en.langs satisfies Record<Language, string>;

type Editing = { mode: 'new' } | { mode: 'edit'; sub: Subscription };

/** SMS subscriptions: the list for admins, and create, edit and delete with the API's own validation messages. */
export function Subscriptions({ api, lang, me }: PageProps) {
  const t = TEXT[lang];
  const mayWrite = me.permissions.includes('subscriptions:write');
  const state = useLoad(() => api.get<{ items: Subscription[] }>('/subscriptions'), []);
  const [editing, setEditing] = useState<Editing | undefined>();
  const [deleting, setDeleting] = useState<Subscription | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [error, setError] = useState<Error | undefined>();

  const remove = async () => {
    const sub = deleting;
    setDeleting(undefined);
    if (!sub) return;
    setError(undefined);
    try {
      await api.send('DELETE', `/subscriptions/${encodeURIComponent(sub.subscriptionId)}`);
      setNotice(t.deleted);
      state.reload();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };

  return (
    <>
      <div class="toolbar">
        <button type="button" onClick={state.reload}>
          {t.refresh}
        </button>
        {mayWrite ? (
          <button type="button" data-testid="subscription-new" onClick={() => setEditing({ mode: 'new' })}>
            {t.add}
          </button>
        ) : (
          <span class="muted">{t.readOnly}</span>
        )}
      </div>
      {notice && <p role="status">{notice}</p>}
      <ErrorNote error={error} lang={lang} />
      {editing && (
        <SubscriptionEditor
          key={editing.mode === 'edit' ? editing.sub.subscriptionId : 'new'}
          editing={editing}
          lang={lang}
          api={api}
          onDone={(message) => {
            setEditing(undefined);
            setNotice(message);
            state.reload();
          }}
          onCancel={() => setEditing(undefined)}
        />
      )}
      {deleting && (
        <ConfirmDialog
          lang={lang}
          question={t.confirmDelete(deleting)}
          onConfirm={remove}
          onCancel={() => setDeleting(undefined)}
        />
      )}
      <Show state={state} lang={lang}>
        {(data) =>
          data.items.length === 0 ? (
            <p>{t.none}</p>
          ) : (
            <ol class="record-list" data-testid="subscription-list">
              {data.items.map((s) => (
                <li key={s.subscriptionId} class="record" data-testid={`subscription-${s.subscriptionId}`}>
                  <dl class="facts">
                    <dt>{t.name}</dt>
                    <dd>
                      {s.name ?? '—'} <code>{s.phone}</code>
                    </dd>
                    <dt>{t.audience}</dt>
                    <dd>{t.audiences[s.audience]}</dd>
                    <dt>{t.minSeverity}</dt>
                    <dd>{t.severities[s.minSeverity]}</dd>
                    <dt>{t.lang}</dt>
                    <dd>{t.langs[s.lang]}</dd>
                    <dt>{t.scope}</dt>
                    <dd>{[...(s.siteIds ?? []), ...(s.townships ?? [])].join(', ') || t.county}</dd>
                    <dt>{t.created}</dt>
                    <dd>
                      {formatTime(s.createdAt, lang)} {s.source ? `(${s.source})` : ''}
                    </dd>
                  </dl>
                  {mayWrite && (
                    <div class="actions">
                      <button type="button" onClick={() => setEditing({ mode: 'edit', sub: s })}>
                        {t.edit}
                      </button>
                      <button type="button" class="danger" onClick={() => setDeleting(s)}>
                        {t.remove}
                      </button>
                    </div>
                  )}
                </li>
              ))}
            </ol>
          )
        }
      </Show>
    </>
  );
}

function SubscriptionEditor({
  editing,
  lang,
  api,
  onDone,
  onCancel,
}: {
  editing: Editing;
  lang: Lang;
  api: PageProps['api'];
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const t = TEXT[lang];
  const [form, setForm] = useState<SubscriptionForm>(() =>
    formOf(editing.mode === 'edit' ? editing.sub : undefined),
  );
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  // The form opens above the list: bring it into view and put the cursor in its first field that can change.
  useEffect(() => {
    const first = formRef.current?.querySelector<HTMLElement>('input:not([readonly]), select');
    first?.focus();
    formRef.current?.scrollIntoView({ block: 'nearest' });
  }, []);
  const set =
    <K extends keyof SubscriptionForm>(key: K) =>
    (e: Event) =>
      setForm((f) => ({ ...f, [key]: (e.currentTarget as HTMLInputElement).value as SubscriptionForm[K] }));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (editing.mode === 'new') {
        await api.send('POST', '/subscriptions', createBody(form));
        onDone(t.saved);
      } else {
        const body = patchBody(editing.sub, form);
        if (Object.keys(body).length === 0) return onDone(t.unchanged);
        await api.send('PATCH', `/subscriptions/${encodeURIComponent(editing.sub.subscriptionId)}`, body);
        onDone(t.saved);
      }
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      ref={formRef}
      class="editor"
      data-testid="subscription-form"
      onSubmit={submit}
      onKeyDown={(e) => e.key === 'Escape' && onCancel()}
    >
      <label class="field">
        <span>{t.phone}</span>
        <input
          name="phone"
          type="tel"
          autocomplete="off"
          required
          value={form.phone}
          readOnly={editing.mode === 'edit'}
          onInput={set('phone')}
        />
      </label>
      <label class="field">
        <span>{t.name}</span>
        <input name="name" value={form.name} onInput={set('name')} />
      </label>
      <label class="field">
        <span>{t.audience}</span>
        <select name="audience" value={form.audience} onChange={set('audience')}>
          {AUDIENCE_KEYS.map((a) => (
            <option key={a} value={a}>
              {t.audiences[a]}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>{t.minSeverity}</span>
        <select name="minSeverity" value={form.minSeverity} onChange={set('minSeverity')}>
          {SEVERITY_KEYS.map((s) => (
            <option key={s} value={s}>
              {t.severities[s]}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>{t.lang}</span>
        <select name="lang" value={form.lang} onChange={set('lang')}>
          {LANG_KEYS.map((l) => (
            <option key={l} value={l}>
              {t.langs[l]}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>{t.siteIds}</span>
        <input name="siteIds" value={form.siteIds} onInput={set('siteIds')} />
      </label>
      <label class="field">
        <span>{t.townships}</span>
        <input name="townships" value={form.townships} onInput={set('townships')} />
      </label>
      <ErrorNote error={error} lang={lang} />
      <div class="actions">
        <button type="submit" disabled={busy} data-testid="subscription-save">
          {t.save}
        </button>
        <button type="button" onClick={onCancel}>
          {t.cancel}
        </button>
      </div>
    </form>
  );
}
