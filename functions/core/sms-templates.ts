import type { AlarmFacts, Audience, Language, Notification, Severity } from './alarm-types';
import { ownValue } from './metrics';

/**
 * SMS texts in Chinese and English. A Chinese text is sent as UCS-2, where one segment holds 70 characters; an
 * English text stays within the GSM 03.38 alphabet, where one segment holds 160 (extension characters count two).
 * A text that would be longer is shortened deliberately: first the site name, then optional parts in a fixed order,
 * never a number, the alarm id or the late-data mark.
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

interface MetricWords {
  zh: string;
  en: string;
  unit: string;
  /** The unit in GSM-7, when the unit itself is not. */
  unitEn?: string;
}

const METRICS: Readonly<Record<string, MetricWords>> = {
  turbidity_ntu: { zh: '浊度', en: 'turbidity', unit: 'NTU' },
  ph: { zh: 'pH', en: 'pH', unit: '' },
  free_chlorine_mg_l: { zh: '游离氯', en: 'free chlorine', unit: 'mg/L' },
  total_chlorine_mg_l: { zh: '总氯', en: 'total chlorine', unit: 'mg/L' },
  chlorine_dioxide_mg_l: { zh: '二氧化氯', en: 'chlorine dioxide', unit: 'mg/L' },
  conductivity_us_cm: { zh: '电导率', en: 'conductivity', unit: 'µS/cm', unitEn: 'uS/cm' },
  tds_mg_l: { zh: '溶解性总固体', en: 'TDS', unit: 'mg/L' },
  temperature_c: { zh: '温度', en: 'temperature', unit: '℃', unitEn: 'C' },
  orp_mv: { zh: '氧化还原电位', en: 'ORP', unit: 'mV' },
  dissolved_oxygen_mg_l: { zh: '溶解氧', en: 'dissolved oxygen', unit: 'mg/L' },
  nitrate_n_mg_l: { zh: '硝酸盐氮', en: 'nitrate-N', unit: 'mg/L' },
  ammonia_n_mg_l: { zh: '氨氮', en: 'ammonia-N', unit: 'mg/L' },
  fluoride_mg_l: { zh: '氟化物', en: 'fluoride', unit: 'mg/L' },
  codmn_mg_l: { zh: '高锰酸盐指数', en: 'CODMn', unit: 'mg/L' },
  pressure_kpa: { zh: '水压', en: 'pressure', unit: 'kPa' },
  flow_m3_h: { zh: '流量', en: 'flow', unit: 'm³/h', unitEn: 'm3/h' },
  battery_pct: { zh: '电量', en: 'battery', unit: '%' },
  fill_pct: { zh: '满溢度', en: 'fill level', unit: '%' },
  distance_mm: { zh: '测距', en: 'distance', unit: 'mm' },
  tilt: { zh: '倾倒', en: 'tilt', unit: '' },
};

/** Measurement points as operators say them. */
const POINTS: Readonly<Record<string, { zh: string; en: string }>> = {
  source: { zh: '水源水', en: 'source water' },
  plant_outlet: { zh: '出厂水', en: 'plant outlet' },
  network: { zh: '末梢水', en: 'network end' },
  tap: { zh: '龙头', en: 'tap' },
};

/** What a severity means, for water (a measurement point is known) and for other devices such as bins. */
const LABELS: Readonly<Record<Severity, { zh: string; en: string; zhOther?: string; enOther?: string }>> = {
  critical: { zh: '水质超标', en: 'unsafe water', zhOther: '告警', enOther: 'alarm' },
  warning: { zh: '水质预警', en: 'water warning', zhOther: '预警', enOther: 'warning' },
  sensor_fault: { zh: '传感器故障', en: 'sensor fault' },
  device: { zh: '设备异常', en: 'device alert' },
};

function metricWords(metric: string | undefined): MetricWords | undefined {
  if (metric === undefined) return undefined;
  return ownValue(METRICS, metric) ?? { zh: metric, en: metric, unit: '' };
}

function decimalsFor(v: number): number {
  const abs = Math.abs(v);
  return abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
}

function fixed(v: number, decimals: number): string {
  if (!Number.isFinite(v)) return String(v);
  let s = v.toFixed(decimals);
  if (s.includes('.') && !s.includes('e')) s = s.replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

/** A reading for a text message: a few significant decimals, trailing zeros dropped, never rounded to zero. */
export function formatNumber(v: number): string {
  let decimals = decimalsFor(v);
  let s = fixed(v, decimals);
  while (v !== 0 && Number(s) === 0 && decimals < 8) s = fixed(v, ++decimals);
  return s;
}

/** A value next to its limit, with as many decimals as it takes for them not to look equal (1.004 vs 1). */
function formatAgainst(value: number, limit: number): string {
  let decimals = decimalsFor(value);
  let s = formatNumber(value);
  while (value !== limit && Number(s) === limit && decimals < 6) s = fixed(value, ++decimals);
  return s;
}

const CHINA_OFFSET_MS = 8 * 3_600_000;

function chinaClock(ts: number) {
  const d = new Date(ts + CHINA_OFFSET_MS);
  return {
    day: `${d.getUTCFullYear()}-${d.getUTCMonth()}-${d.getUTCDate()}`,
    date: `${d.getUTCMonth() + 1}/${d.getUTCDate()}`,
    time: `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`,
  };
}

/** China time (UTC+8), `HH:mm`, with `M/D` in front when the sample is not from today (China time) relative to `now`. */
export function formatSampleTime(ts: number, now: number): string {
  const at = chinaClock(ts);
  return at.day === chinaClock(now).day ? at.time : `${at.date} ${at.time}`;
}

interface Citation {
  /** The standard and table, short: "GB5749表2" / "GB 5749 T2"; undefined when the limit cites none. */
  standard?: { zh: string; en: string };
  /** What kind of level: the standard's limit, the early-warning level, or a site's own limit. */
  level: 'limit' | 'warning' | 'site';
}

/** Reads the catalogue's citations: "GB 5749-2022 Table 2", "early warning (…)", "site limit (…)", "low battery". */
export function parseCitation(citation: string): Citation {
  const inner = /^(early warning|site limit)\s*\((.*)\)$/i.exec(citation.trim());
  const level: Citation['level'] = inner
    ? inner[1]?.toLowerCase() === 'early warning'
      ? 'warning'
      : 'site'
    : /^site limit$/i.test(citation.trim())
      ? 'site'
      : 'limit';
  const text = inner?.[2] ?? citation;
  const gb = /(GB(?:\/T)?)\s*(\d+)(?:-\d{4})?(?:\s+Table\s+(\d+))?(?:,?\s*class\s+([IV]+))?/i.exec(text);
  if (!gb) return { level };
  const [, prefix = 'GB', number, table, klass] = gb;
  const zh = `${prefix.toUpperCase()}${number}${table ? `表${table}` : ''}${klass ? ` ${klass}类` : ''}`;
  const en = `${prefix.toUpperCase()} ${number}${table ? ` T${table}` : ''}${klass ? ` cl.${klass}` : ''}`;
  return { standard: { zh, en }, level };
}

/**
 * A piece of a message. `rank` marks it optional: when a text is too long, pieces are replaced by their `alt`
 * (default: nothing) in ascending rank until it fits. `site` marks the site name, which is shortened first.
 */
interface Piece {
  text: string;
  rank?: number;
  alt?: string;
  site?: true;
}

/** A site name is not shortened below this; optional parts go first. */
const SITE_FLOOR: Readonly<Record<Language, number>> = { zh: 8, en: 20 };

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

function fitOneSegment(pieces: readonly Piece[], siteName: string, lang: Language, minimal: string): string {
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

function labelOf(facts: AlarmFacts, lang: Language): string {
  const label = LABELS[facts.severity];
  const water = facts.measurementPoint !== undefined;
  if (lang === 'zh') return water ? label.zh : (label.zhOther ?? label.zh);
  return water ? label.en : (label.enOther ?? label.en);
}

function headOf(facts: AlarmFacts, lang: Language): string {
  const label = labelOf(facts, lang);
  if (lang === 'zh') {
    switch (facts.kind) {
      case 'raised':
        return label;
      case 'cleared':
        return `${label}已恢复`;
      case 'reminder':
        return `${label}未确认`;
      case 'escalation':
        return `${label}超时未确认`;
      case 'digest':
        return `${label}汇总`;
    }
  }
  switch (facts.kind) {
    case 'raised':
      return label.toUpperCase();
    case 'cleared':
      return `CLEARED (${label})`;
    case 'reminder':
      return `NOT ACKED (${label})`;
    case 'escalation':
      return `ESCALATED, not acked (${label})`;
    case 'digest':
      return `DIGEST (${label})`;
  }
}

function valueText(facts: AlarmFacts, words: MetricWords, lang: Language): string {
  const v = facts.value;
  if (typeof v === 'boolean') {
    if (facts.metric === 'tilt') return lang === 'zh' ? (v ? '' : '已扶正') : v ? 'tilted' : 'upright';
    return lang === 'zh' ? (v ? '是' : '否') : v ? 'yes' : 'no';
  }
  if (v === undefined) return '';
  const n = facts.limit ? formatAgainst(v, facts.limit.value) : formatNumber(v);
  const unit = lang === 'zh' ? words.unit : toGsm7(words.unitEn ?? words.unit);
  if (lang === 'zh') return `${n}${unit}`;
  return unit === '' ? n : unit === '%' || unit === 'C' ? `${n}${unit}` : `${n} ${unit}`;
}

/** The crossed level: a full form with the standard, and the short form without it. */
function limitPieces(facts: AlarmFacts, lang: Language): Piece[] {
  const limit = facts.limit;
  if (!limit) return [];
  const cite = parseCitation(limit.citation);
  const n = formatNumber(limit.value);
  if (lang === 'zh') {
    const level = `${limit.direction === 'min' ? '≥' : '≤'}${n}`;
    const word = cite.level === 'warning' ? '预警线' : cite.level === 'site' ? '本站限值' : '限值';
    const full =
      cite.standard && cite.level !== 'site'
        ? `（${cite.standard.zh}${cite.level === 'warning' ? '预警线' : ''}${level}）`
        : `（${word}${level}）`;
    return [{ text: full, rank: 2, alt: `（${word}${level}）` }];
  }
  const level = `${limit.direction} ${n}`;
  const word = cite.level === 'warning' ? 'warn level' : cite.level === 'site' ? 'site limit' : 'limit';
  const full =
    cite.standard && cite.level !== 'site'
      ? ` (${cite.standard.en}${cite.level === 'warning' ? ' warn' : ''} ${level})`
      : ` (${word} ${level})`;
  return [{ text: full, rank: 2, alt: ` (${word} ${level})` }];
}

const conditionKind = (condition: string) => condition.split(':')[0] ?? condition;

/** A bin overflowing: "full" says it all, a limit of 100 % would not. */
const binFull = (facts: AlarmFacts) => facts.condition === 'fill:overflow' && facts.kind !== 'cleared';

/** Engineers need the instrument; operators need the site. */
const needsDevice = (facts: AlarmFacts) => facts.severity === 'sensor_fault' || facts.severity === 'device';

function zhPieces(facts: AlarmFacts, now: number): { pieces: Piece[]; minimal: string } {
  const head = headOf(facts, 'zh');
  const id = ` 编号${facts.alarmId}`;
  const time = formatSampleTime(facts.sampleTs, now);
  const late = facts.late ? '补传' : '';
  const words = metricWords(facts.metric);
  const point = facts.measurementPoint ? (POINTS[facts.measurementPoint]?.zh ?? facts.measurementPoint) : '';
  const pieces: Piece[] = [{ text: `${head}：` }, { text: '', site: true }];
  if (point) pieces.push({ text: ` ${point}`, rank: 3 });
  const kind = conditionKind(facts.condition);
  const device: Piece = { text: ` 设备${facts.deviceId}`, rank: 4 };

  if (facts.kind === 'digest') {
    pieces.push({ text: ` 本条合并${facts.folded ?? 1}条告警` });
    if (words) pieces.push({ text: `，首条${words.zh}${valueText(facts, words, 'zh')}`, rank: 5 });
    pieces.push({ text: ` ${time}`, rank: 6 });
    if (late) pieces.push({ text: late });
  } else if (kind === 'offline') {
    pieces.push({ text: ` 设备${facts.deviceId}离线，最后数据${time}${late}` });
  } else {
    if (needsDevice(facts)) pieces.push(device);
    if (words) {
      const value = valueText(facts, words, 'zh');
      if (kind === 'stuck') pieces.push({ text: ` ${words.zh}读数卡在${value}` });
      else if (kind === 'range') pieces.push({ text: ` ${words.zh}读数${value}超出仪表量程` });
      else if (facts.metric === 'tilt' && facts.value === true) pieces.push({ text: ' 垃圾桶倾倒' });
      else if (kind === 'fire' && facts.kind !== 'cleared')
        pieces.push({ text: ` 疑似起火 ${words.zh}${value}` });
      else if (binFull(facts)) pieces.push({ text: ` 垃圾桶已满 ${words.zh}${value}` });
      else pieces.push({ text: ` ${words.zh}${value}` });
    } else {
      pieces.push({ text: ` ${facts.condition}` });
    }
    if (!binFull(facts)) pieces.push(...limitPieces(facts, 'zh'));
    pieces.push({ text: ' 采样', rank: 1, alt: ' ' }, { text: `${time}${late}` });
  }
  pieces.push({ text: id });
  const minimal = `${head}：${shortenName(facts.siteNameZh ?? facts.siteName, SITE_FLOOR.zh, 'zh')}${late ? ` ${late}` : ''}${id}`;
  return { pieces, minimal };
}

function siteNameEn(facts: AlarmFacts): string {
  const plain = toGsm7(facts.siteName).trim();
  // A name that cannot be written in GSM-7 (e.g. Chinese) would come out as question marks: the id says more.
  return plain && !plain.includes('?') ? plain : facts.siteId;
}

function enPieces(facts: AlarmFacts, now: number): { pieces: Piece[]; minimal: string } {
  const head = headOf(facts, 'en');
  const id = ` Alarm ${facts.alarmId}`;
  const time = formatSampleTime(facts.sampleTs, now);
  const late = facts.late ? ' (late)' : '';
  const words = metricWords(facts.metric);
  const metricEn = words ? toGsm7(words.en) : '';
  const point = facts.measurementPoint
    ? toGsm7(POINTS[facts.measurementPoint]?.en ?? facts.measurementPoint)
    : '';
  const pieces: Piece[] = [{ text: `${head}: ` }, { text: '', site: true }];
  if (point) pieces.push({ text: `, ${point}`, rank: 3 });
  const kind = conditionKind(facts.condition);
  const zone = { text: ' UTC+8', rank: 1 };

  if (facts.kind === 'digest') {
    const n = facts.folded ?? 1;
    pieces.push({ text: `: ${n} alarm${n === 1 ? '' : 's'} folded into this SMS` });
    if (words)
      pieces.push({ text: `; first ${metricEn} ${valueText(facts, words, 'en')}`.trimEnd(), rank: 5 });
    pieces.push({ text: ` at ${time}`, rank: 6 }, zone, { text: `${late}.` });
  } else if (kind === 'offline') {
    pieces.push({ text: `: device ${toGsm7(facts.deviceId)} offline, last data ${time}` }, zone, {
      text: `${late}.`,
    });
  } else {
    if (needsDevice(facts)) pieces.push({ text: `, device ${toGsm7(facts.deviceId)}`, rank: 4 });
    if (words) {
      const value = valueText(facts, words, 'en');
      if (kind === 'stuck') pieces.push({ text: `: ${metricEn} stuck at ${value}` });
      else if (kind === 'range') pieces.push({ text: `: ${metricEn} reads ${value}, outside sensor range` });
      else if (facts.metric === 'tilt' && facts.value === true) pieces.push({ text: ': bin tilted' });
      else if (kind === 'fire' && facts.kind !== 'cleared')
        pieces.push({ text: `: possible fire, ${metricEn} ${value}`.trimEnd() });
      else if (binFull(facts)) pieces.push({ text: `: bin full, ${metricEn} ${value}` });
      else pieces.push({ text: `: ${metricEn} ${value}`.trimEnd() });
    } else {
      pieces.push({ text: `: ${toGsm7(facts.condition)}` });
    }
    if (!binFull(facts)) pieces.push(...limitPieces(facts, 'en'));
    pieces.push({ text: ', sampled', rank: 1, alt: ',' }, { text: ` ${time}` }, zone, { text: `${late}.` });
  }
  pieces.push({ text: id });
  const minimal = `${head}: ${shortenName(siteNameEn(facts), SITE_FLOOR.en, 'en')}${late}.${id}`;
  return { pieces, minimal };
}

/**
 * The SMS text for an alarm event in one language, within one segment. `now` decides whether the sample time needs
 * its date (it does when the sample is not from today, China time).
 */
export function renderSms(facts: AlarmFacts, lang: Language, now: number): string {
  if (lang === 'zh') {
    const { pieces, minimal } = zhPieces(facts, now);
    return fitOneSegment(pieces, facts.siteNameZh ?? facts.siteName, 'zh', minimal);
  }
  const { pieces, minimal } = enPieces(facts, now);
  return fitOneSegment(pieces, siteNameEn(facts), 'en', toGsm7(minimal));
}

/** One notification to an audience, with its text in every language; adapters fan it out to subscriptions. */
export function renderNotification(facts: AlarmFacts, audience: Audience, now: number): Notification {
  return {
    audience,
    severity: facts.severity,
    siteId: facts.siteId,
    township: facts.township,
    deviceId: facts.deviceId,
    alarmId: facts.alarmId,
    kind: facts.kind,
    text: { zh: renderSms(facts, 'zh', now), en: renderSms(facts, 'en', now) },
  };
}
