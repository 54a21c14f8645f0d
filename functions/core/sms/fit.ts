import type { Language } from '../alarm-types';
import { SMS_LIMITS, smsLength } from './gsm7';

/**
 * A piece of a message. `rank` marks it optional: when a text is too long, pieces are replaced by their `alt`
 * (default: nothing) in ascending rank until it fits. `site` marks the site name, which is shortened first.
 */
export interface Piece {
  text: string;
  rank?: number;
  alt?: string;
  site?: true;
}

/** A site name is not shortened below this; optional parts go first. */
export const SITE_FLOOR: Readonly<Record<Language, number>> = { zh: 8, en: 20 };

/**
 * Cuts a name to at most `max` characters without splitting a number. Chinese names keep their beginning and their
 * end (the facility: 水厂, 龙头) around an ellipsis; English names keep their first words.
 */
export function shortenName(name: string, max: number, lang: Language): string {
  const chars = Array.from(name);
  if (chars.length <= max) return name;
  const isDigit = (i: number) => /\d/.test(chars[i] ?? '');
  if (lang === 'zh') {
    let start = Math.ceil((max - 1) / 2);
    while (start > 0 && isDigit(start - 1) && isDigit(start)) start--;
    let end = chars.length - (max - 1 - start);
    while (end < chars.length && isDigit(end - 1) && isDigit(end)) end++;
    return `${chars.slice(0, start).join('')}…${chars.slice(end).join('')}`;
  }
  let cut = max;
  while (cut > 0 && isDigit(cut - 1) && isDigit(cut)) cut--;
  const space = chars.slice(0, cut + 1).lastIndexOf(' ');
  if (space > 0) cut = space;
  return chars.slice(0, cut).join('').trimEnd();
}

function compose(pieces: readonly Piece[], level: number, site: string): string {
  return pieces
    .map((p) => (p.site ? site : p.rank !== undefined && p.rank <= level ? (p.alt ?? '') : p.text))
    .join('');
}

/**
 * Composes the pieces into one segment. A text that would be longer is shortened deliberately: first the site name
 * (not below its floor), then optional pieces rank by rank; pieces without a rank (numbers, the alarm id, the
 * late-data mark) always stay. `minimal` when nothing else fits.
 */
export function fitOneSegment(
  pieces: readonly Piece[],
  siteName: string,
  lang: Language,
  minimal: string,
): string {
  const limit = SMS_LIMITS[lang];
  const levels = [0, ...new Set(pieces.flatMap((p) => (p.rank === undefined ? [] : [p.rank])))].sort(
    (a, b) => a - b,
  );
  for (const level of levels) {
    const rest = smsLength(compose(pieces, level, ''), lang);
    if (rest + smsLength(siteName, lang) <= limit) return compose(pieces, level, siteName);
    const budget = limit - rest;
    if (budget >= SITE_FLOOR[lang]) {
      const short = shortenName(siteName, budget, lang);
      if (short && smsLength(short, lang) <= budget) return compose(pieces, level, short);
    }
  }
  return minimal;
}
