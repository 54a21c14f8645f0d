import type { Language } from '../alarm-types';

/**
 * What one SMS segment holds per language: a Chinese text is sent as UCS-2, 70 characters; an English text stays
 * within the GSM 03.38 alphabet, 160 septets (extension characters count two).
 */
export const SMS_LIMITS: Readonly<Record<Language, number>> = { zh: 70, en: 160 };

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '^{}\\[~]|€\f';
const basic = new Set(GSM7_BASIC);
const extension = new Set(GSM7_EXTENSION);

/** True when every character is in the GSM 03.38 default alphabet or its extension table. */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (!basic.has(ch) && !extension.has(ch)) return false;
  return true;
}

/** Length in GSM 03.38 septets: extension characters (`^{}\[~]|€`) take an escape and count two. */
export function gsm7Length(text: string): number {
  let n = 0;
  for (const ch of text) {
    if (basic.has(ch)) n += 1;
    else if (extension.has(ch)) n += 2;
    else
      throw new RangeError(
        `"${ch}" (U+${ch.codePointAt(0)?.toString(16).toUpperCase()}) is not a GSM-7 character`,
      );
  }
  return n;
}

/** Length as an SMS counts it in that language: UTF-16 code units (UCS-2) for zh, septets for en. */
export function smsLength(text: string, lang: Language): number {
  return lang === 'zh' ? text.length : gsm7Length(text);
}

const TRANSLITERATION: Readonly<Record<string, string>> = {
  '‘': "'",
  '’': "'",
  '‚': "'",
  '′': "'",
  '`': "'",
  '´': "'",
  '“': '"',
  '”': '"',
  '„': '"',
  '″': '"',
  '–': '-',
  '—': '-',
  '‐': '-',
  '−': '-',
  '…': '...',
  '≥': '>=',
  '≤': '<=',
  '°': 'deg',
  µ: 'u',
  μ: 'u',
  '²': '2',
  '³': '3',
  '×': 'x',
  '·': '.',
  '•': '-',
  '、': ',',
  '。': '.',
  '，': ',',
  '：': ':',
  '（': '(',
  '）': ')',
  ı: 'i',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ə: 'e',
  Ə: 'E',
  œ: 'oe',
  Œ: 'OE',
};

/**
 * Turns text into GSM-7: keeps GSM characters, maps common typography (quotes, dashes, ≥, µ…) and accented
 * letters to their plain forms, and replaces anything else with `?`.
 */
export function toGsm7(text: string): string {
  let out = '';
  for (const ch of text) {
    if (basic.has(ch) || extension.has(ch)) out += ch;
    else if (TRANSLITERATION[ch] !== undefined) out += TRANSLITERATION[ch];
    else if (/\s/u.test(ch)) out += ' ';
    else if (ch >= '\uFF01' && ch <= '\uFF5E') out += toGsm7(String.fromCharCode(ch.charCodeAt(0) - 0xfee0));
    else {
      const plain = ch.normalize('NFD').replace(/\p{M}/gu, '');
      out += plain !== ch && isGsm7(plain) ? plain : '?';
    }
  }
  return out;
}
