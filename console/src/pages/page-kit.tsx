import type { ComponentChildren } from 'preact';
import { ErrorNote, type Loaded, Loading } from '../components/common';
import type { Lang } from '../i18n';

/** The loaded data through `children`, the loading line before the first answer, and the API's error if any. */
export function Show<T>({
  state,
  lang,
  children,
}: {
  state: Loaded<T>;
  lang: Lang;
  children: (data: T) => ComponentChildren;
}) {
  return (
    <>
      <ErrorNote error={state.error} lang={lang} />
      {state.data === undefined ? state.loading && <Loading lang={lang} /> : children(state.data)}
    </>
  );
}
