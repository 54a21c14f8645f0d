import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { SiteState } from '../../../functions/api/console-types';
import type { Severity } from '../../../functions/core/alarm-types';
import { type Lang, WORDS } from '../i18n';

/** A value loaded once (and again on `reload`), with its error; the API's message is kept for the user. */
export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload(): void;
}

/** Loads with `load` when `deps` change; a slower answer to an older request never overwrites a newer one. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const run = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === generation.current && setState({ data, loading: false }),
      (error: Error) => mine === generation.current && setState((s) => ({ ...s, error, loading: false })),
    );
  }, deps);
  useEffect(run, [run]);
  return { data: state.data, error: state.error, loading: state.loading, reload: run };
}

/** Runs `tick` every `ms` while mounted. */
export function useInterval(tick: () => void, ms: number): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    const id = window.setInterval(() => latest.current(), ms);
    return () => window.clearInterval(id);
  }, [ms]);
}

export function Loading({ lang }: { lang: Lang }): JSX.Element {
  return (
    <p class="muted" aria-live="polite">
      {WORDS[lang].loading}
    </p>
  );
}

/** The API's own message, announced to screen readers. */
export function ErrorNote({ error, lang }: { error: Error | undefined; lang: Lang }): JSX.Element | null {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      <strong>{WORDS[lang].error}:</strong> {error.message}
    </p>
  );
}

const STATE_ICON: Record<SiteState, string> = {
  unsafe: '✖',
  warning: '▲',
  sensor_fault: '⚙',
  offline: '○',
  maintenance: '⚒',
  safe: '✔',
  no_data: '–',
};

/** A site or device state as icon, word and colour (colour is never the only carrier). */
export function StateBadge({ state, lang }: { state: SiteState; lang: Lang }): JSX.Element {
  return (
    <span class={`badge state-${state}`}>
      <span aria-hidden="true">{STATE_ICON[state]}</span> {WORDS[lang].state[state]}
    </span>
  );
}

const SEVERITY_ICON: Record<Severity, string> = {
  critical: '✖',
  warning: '▲',
  sensor_fault: '⚙',
  device: '○',
};

export function SeverityBadge({ severity, lang }: { severity: Severity; lang: Lang }): JSX.Element {
  return (
    <span class={`badge severity-${severity}`}>
      <span aria-hidden="true">{SEVERITY_ICON[severity]}</span> {WORDS[lang].severity[severity]}
    </span>
  );
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), textarea, select, [tabindex="0"]';

/**
 * A modal dialog: focus moves into it and stays there (Tab wraps), Escape or the close button ends it, and focus
 * returns to what opened it.
 */
export function Dialog(props: {
  title: string;
  lang: Lang;
  onClose(): void;
  children: ComponentChildren;
  testId?: string;
}): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const first = box.current?.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    return () => opener?.focus?.();
  }, []);
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      props.onClose();
      return;
    }
    if (event.key !== 'Tab' || !box.current) return;
    const items = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    const first = items[0];
    const last = items.at(-1);
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      last.focus();
      event.preventDefault();
    } else if (!event.shiftKey && document.activeElement === last) {
      first.focus();
      event.preventDefault();
    }
  };
  return (
    <div class="backdrop">
      <div
        ref={box}
        class="dialog"
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        data-testid={props.testId}
        onKeyDown={onKeyDown}
      >
        <header>
          <h2>{props.title}</h2>
          <button type="button" class="small" onClick={props.onClose} aria-label={WORDS[props.lang].close}>
            ✕
          </button>
        </header>
        {props.children}
      </div>
    </div>
  );
}
