import type { AlarmFacts, Audience, Language, Notification } from '../alarm-types';
import { type Citation, readCitation } from '../citation';
import { fitOneSegment, type Piece, SITE_FLOOR, shortenName } from './fit';
import { formatAgainst, formatNumber, formatSampleTime } from './format';
import { toGsm7 } from './gsm7';
import { LABELS, type MetricWords, metricWords, POINTS } from './words';

const conditionKind = (condition: string) => condition.split(':')[0] ?? condition;

/** Event and drift alarms name what the detector found, not their severity's generic label. */
const FINDING_LABELS: Readonly<Record<string, { zh: string; en: string }>> = {
  event: { zh: '水质异常', en: 'water quality event' },
  drift: { zh: '传感器漂移', en: 'sensor drift' },
};

function labelOf(facts: AlarmFacts, lang: Language): string {
  const finding = facts.finding && FINDING_LABELS[conditionKind(facts.condition)];
  if (finding) return finding[lang];
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

/** How an SMS names a level: short forms of the clause behind it, if any, and what kind of level it is. */
export interface ShortCitation {
  /** "GB5749表2" / "GB 5749 T2"; absent when the level cites no clause. */
  standard?: { zh: string; en: string };
  /** The standard's limit, the early-warning level, or a site's own limit. */
  level: 'limit' | 'warning' | 'site';
}

function clauseShort(citation: Citation): ShortCitation['standard'] {
  switch (citation.kind) {
    case 'clause':
      return citation.clause.short;
    case 'site':
      return citation.replaces && clauseShort(citation.replaces);
    case 'warning':
      return clauseShort(citation.ahead);
    case 'note':
      return undefined;
  }
}

/** The short form of a citation: its outer kind names the level, the clause nearest inside names the standard. */
export function shortCitation(citation: Citation): ShortCitation {
  const level = citation.kind === 'warning' ? 'warning' : citation.kind === 'site' ? 'site' : 'limit';
  const standard = clauseShort(citation);
  return standard ? { standard, level } : { level };
}

/** The crossed level: a full form with the standard, and the short form without it. */
function limitPieces(facts: AlarmFacts, lang: Language): Piece[] {
  const limit = facts.limit;
  if (!limit) return [];
  const cite = shortCitation(readCitation(limit.citation));
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

/** A bin overflowing: "full" says it all, a limit of 100 % would not. */
const binFull = (facts: AlarmFacts) => facts.condition === 'fill:overflow' && facts.kind !== 'cleared';

/** Engineers need the instrument; operators need the site. */
const needsDevice = (facts: AlarmFacts) => facts.severity === 'sensor_fault' || facts.severity === 'device';

/** What happened, in Chinese: the reading and what it means (stuck, out of range, a fire, a full bin). */
function zhWhat(facts: AlarmFacts, kind: string, words: MetricWords | undefined): string {
  if (!words) return ` ${facts.condition}`;
  const value = valueText(facts, words, 'zh');
  if (kind === 'stuck') return ` ${words.zh}读数卡在${value}`;
  if (kind === 'range') return ` ${words.zh}读数${value}超出仪表量程`;
  if (facts.metric === 'tilt' && facts.value === true) return ' 垃圾桶倾倒';
  if (kind === 'fire' && facts.kind !== 'cleared') return ` 疑似起火 ${words.zh}${value}`;
  if (binFull(facts)) return ` 垃圾桶已满 ${words.zh}${value}`;
  return ` ${words.zh}${value}`;
}

/** What happened, in GSM-7 English. */
function enWhat(facts: AlarmFacts, kind: string, words: MetricWords | undefined): string {
  if (!words) return `: ${toGsm7(facts.condition)}`;
  const value = valueText(facts, words, 'en');
  const metric = toGsm7(words.en);
  if (kind === 'stuck') return `: ${metric} stuck at ${value}`;
  if (kind === 'range') return `: ${metric} reads ${value}, outside sensor range`;
  if (facts.metric === 'tilt' && facts.value === true) return ': bin tilted';
  if (kind === 'fire' && facts.kind !== 'cleared') return `: possible fire, ${metric} ${value}`.trimEnd();
  if (binFull(facts)) return `: bin full, ${metric} ${value}`;
  return `: ${metric} ${value}`.trimEnd();
}

/** A channel's shift from the baseline with its unit and sign: "pH+0.2", "ORP -25 mV". */
function shiftText(ch: { metric: string; shift: number }, lang: Language): string {
  const words = metricWords(ch.metric) ?? { zh: ch.metric, en: ch.metric, unit: '' };
  const n = `${ch.shift > 0 ? '+' : ch.shift < 0 ? '-' : '±'}${formatNumber(Math.abs(ch.shift))}`;
  if (lang === 'zh') return `${words.zh}${n}${words.unit}`;
  const unit = toGsm7(words.unitEn ?? words.unit);
  return `${toGsm7(words.en)} ${n}${unit === '' ? '' : ` ${unit}`}`;
}

/**
 * What the detector found: the channels that moved from the learned baseline (largest first; the third and later
 * ones, then the σ figures, are dropped first when the text is too long), and since when.
 */
function findingPieces(facts: AlarmFacts, lang: Language, now: number): Piece[] {
  const finding = facts.finding as NonNullable<AlarmFacts['finding']>;
  const drift = conditionKind(facts.condition) === 'drift';
  const since = formatSampleTime(finding.since, now);
  const late = facts.late ? (lang === 'zh' ? '补传' : ' (late)') : '';
  const pieces: Piece[] = [];
  finding.channels.forEach((ch, i) => {
    const sigma = Math.abs(ch.sigma) >= 10 ? Math.round(Math.abs(ch.sigma)) : Math.abs(ch.sigma);
    const shift = shiftText(ch, lang);
    const rank = i < 2 ? undefined : 8 - Math.min(i, 5);
    if (lang === 'zh') {
      pieces.push({ text: `${i === 0 ? ' 较基线' : '，'}${shift}`, ...(rank ? { rank } : {}) });
      pieces.push({ text: `(${sigma}σ)`, rank: 2 });
    } else {
      pieces.push({ text: `${i === 0 ? ': ' : ', '}${shift}`, ...(rank ? { rank } : {}) });
      pieces.push({ text: ` (${sigma} sd)`, rank: 2 });
    }
  });
  if (lang === 'zh') {
    pieces.push({ text: drift ? '，相关通道未变' : '', rank: 5 }, { text: ` 自${since}起${late}` });
  } else {
    pieces.push(
      { text: ' vs baseline' },
      { text: drift ? ', other channels steady,' : '', rank: 5 },
      { text: ` since ${since}` },
      { text: ' UTC+8', rank: 1 },
      { text: `${late}.` },
    );
  }
  return pieces;
}

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
  } else if (facts.finding) {
    if (needsDevice(facts)) pieces.push(device);
    pieces.push(...findingPieces(facts, 'zh', now));
  } else {
    if (needsDevice(facts)) pieces.push(device);
    pieces.push({ text: zhWhat(facts, kind, words) });
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
      pieces.push({
        text: `; first ${toGsm7(words.en)} ${valueText(facts, words, 'en')}`.trimEnd(),
        rank: 5,
      });
    pieces.push({ text: ` at ${time}`, rank: 6 }, zone, { text: `${late}.` });
  } else if (kind === 'offline') {
    pieces.push({ text: `: device ${toGsm7(facts.deviceId)} offline, last data ${time}` }, zone, {
      text: `${late}.`,
    });
  } else if (facts.finding) {
    if (needsDevice(facts)) pieces.push({ text: `, device ${toGsm7(facts.deviceId)}`, rank: 4 });
    pieces.push(...findingPieces(facts, 'en', now));
  } else {
    if (needsDevice(facts)) pieces.push({ text: `, device ${toGsm7(facts.deviceId)}`, rank: 4 });
    pieces.push({ text: enWhat(facts, kind, words) });
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
