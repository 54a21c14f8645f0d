import { type Clause, LIMITS, type LimitRule } from './limits';

/**
 * Where a level comes from, as data: a clause of a standard, a site's own limit (in place of another level or on its
 * own), an early warning ahead of another level, or a plain note ("low battery"). Alarms store it as text
 * ({@link citationText}) and templates read that text back with {@link readCitation}, so the text format lives in
 * this module alone.
 */
export type Citation =
  | { kind: 'clause'; clause: Clause }
  | { kind: 'site'; replaces?: Citation }
  | { kind: 'warning'; ahead: Citation }
  | { kind: 'note'; text: string };

const SITE = 'site limit';
const WARNING = 'early warning';

const clauseText = (clause: Pick<Clause, 'standard' | 'table'>) => `${clause.standard} ${clause.table}`;

/** The citation as alarms store it and the API shows it: "GB 5749-2022 Table 2", "early warning (…)", "site limit". */
export function citationText(citation: Citation): string {
  switch (citation.kind) {
    case 'clause':
      return clauseText(citation.clause);
    case 'site':
      return citation.replaces ? `${SITE} (${citationText(citation.replaces)})` : SITE;
    case 'warning':
      return `${WARNING} (${citationText(citation.ahead)})`;
    case 'note':
      return citation.text;
  }
}

function unwrap(text: string, word: string): string | undefined {
  const open = `${word} (`;
  return text.startsWith(open) && text.endsWith(')') ? text.slice(open.length, -1) : undefined;
}

/**
 * Reads a stored citation back: the inverse of {@link citationText} (`citationText(readCitation(t)) === t` for any
 * text). A clause is recognised by its exact text in the catalogue; text that names no clause is a note.
 */
export function readCitation(text: string, catalogue: readonly LimitRule[] = LIMITS): Citation {
  const ahead = unwrap(text, WARNING);
  if (ahead !== undefined) return { kind: 'warning', ahead: readCitation(ahead, catalogue) };
  if (text === SITE) return { kind: 'site' };
  const replaced = unwrap(text, SITE);
  if (replaced !== undefined) return { kind: 'site', replaces: readCitation(replaced, catalogue) };
  const rule = catalogue.find((r) => clauseText(r) === text);
  if (!rule) return { kind: 'note', text };
  return { kind: 'clause', clause: { standard: rule.standard, table: rule.table, short: rule.short } };
}
