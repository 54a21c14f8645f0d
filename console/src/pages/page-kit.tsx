import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Lang } from '../i18n';

// Small pieces the bin, engineering and report pages share: loading a resource with its error, and times shown in
// the county's time zone whatever the browser's.

/** What a page knows about something it loads: still loading, loaded, or the error to show. */
export type Loaded<T> = { status: 'loading' } | { status: 'ok'; data: T } | { status: 'error'; error: Error };

/**
 * Loads `load()` now and whenever `deps` change; `reload()` loads again. A stale answer (deps changed meanwhile)
 * is dropped, so a slow first request cannot overwrite a newer one.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): [Loaded<T>, () => void] {
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    setState((s) => (s.status === 'ok' ? s : { status: 'loading' }));
    load().then(
      (data) => mine === generation.current && setState({ status: 'ok', data }),
      (error: unknown) =>
        mine === generation.current &&
        setState({ status: 'error', error: error instanceof Error ? error : new Error(String(error)) }),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return [state, reload];
}

/** The API's message of a failed request, in a live region so a screen reader hears it. */
export function ErrorNote({ error }: { error: Error }) {
  return (
    <p class="error" role="alert">
      {error.message}
    </p>
  );
}

/** Renders the loaded data, or a loading line, or the error. */
export function Show<T>({
  state,
  lang,
  children,
}: {
  state: Loaded<T>;
  lang: Lang;
  children: (data: T) => ComponentChildren;
}) {
  if (state.status === 'loading')
    return (
      <p class="muted" aria-busy="true">
        {lang === 'zh' ? '加载中…' : 'Loading…'}
      </p>
    );
  if (state.status === 'error') return <ErrorNote error={state.error} />;
  return <>{children(state.data)}</>;
}

/** A time in China time (the county's), e.g. `11-30 14:05` or with the year when not this year; "—" when unknown. */
export function formatTime(value: string | number | null | undefined, lang: Lang): string {
  if (value === null || value === undefined) return '—';
  const t = typeof value === 'number' ? value : Date.parse(value);
  if (Number.isNaN(t)) return '—';
  return new Date(t).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
}
