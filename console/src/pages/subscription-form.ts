import type { Audience, Language, Severity } from '../../../functions/core/alarm-types';
import type { Subscription } from '../../../functions/core/subscription';

// The SMS subscription form's values and the API bodies made from them. The API checks everything (phone format,
// scope, overlaps) and its message is shown as it comes; the form only shapes what was typed.

/** What the form holds: lists as the comma- or newline-separated text people type. */
export interface SubscriptionForm {
  phone: string;
  audience: Audience;
  minSeverity: Severity;
  lang: Language;
  name: string;
  siteIds: string;
  townships: string;
}

/** The form for a new subscription, or filled from an existing one. */
export function formOf(sub?: Subscription): SubscriptionForm {
  return {
    phone: sub?.phone ?? '',
    audience: sub?.audience ?? 'operators',
    minSeverity: sub?.minSeverity ?? 'warning',
    lang: sub?.lang ?? 'zh',
    name: sub?.name ?? '',
    siteIds: (sub?.siteIds ?? []).join(', '),
    townships: (sub?.townships ?? []).join(', '),
  };
}

/** Items of a typed list: split on commas and newlines (a Chinese comma too), trimmed, empty ones dropped. */
export function listOf(text: string): string[] {
  return text
    .split(/[,，\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The `POST /subscriptions` body: empty lists and name left out (no list: the whole county). */
export function createBody(form: SubscriptionForm): Record<string, unknown> {
  const siteIds = listOf(form.siteIds);
  const townships = listOf(form.townships);
  return {
    phone: form.phone.trim(),
    audience: form.audience,
    minSeverity: form.minSeverity,
    lang: form.lang,
    ...(form.name.trim() ? { name: form.name.trim() } : {}),
    ...(siteIds.length > 0 ? { siteIds } : {}),
    ...(townships.length > 0 ? { townships } : {}),
  };
}

/**
 * The `PATCH /subscriptions/{id}` body: only what changed; an emptied list or name is `null` (the API's way to
 * remove it). The phone cannot change (the API refuses it), so it is never sent.
 */
export function patchBody(before: Subscription, form: SubscriptionForm): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (form.audience !== before.audience) body.audience = form.audience;
  if (form.minSeverity !== before.minSeverity) body.minSeverity = form.minSeverity;
  if (form.lang !== before.lang) body.lang = form.lang;
  const name = form.name.trim();
  if (name !== (before.name ?? '')) body.name = name || null;
  for (const key of ['siteIds', 'townships'] as const) {
    const list = listOf(form[key]);
    const old = before[key] ?? [];
    if (list.join('\u0000') !== old.join('\u0000')) body[key] = list.length > 0 ? list : null;
  }
  return body;
}
