import type { Audience, Language, Notification, Severity } from '../alarm-types';
import { SEVERITY_RANK } from '../alarm-types';
import { fitOneSegment, type Piece } from './fit';
import { formatSampleTime } from './format';
import { toGsm7 } from './gsm7';
import { metricWords } from './words';

/** An episode as the summary counts it: its condition (`limit:ph:max`, `stuck:ph`, …), metric and severity. */
interface SummaryEpisode {
  condition: string;
  metric?: string;
  severity: Severity;
  startTs: number;
  endTs: number;
}

/** What the summary SMS needs about the device, its backfill, and the episodes over by its end. */
export interface BackfillSummaryFacts {
  deviceId: string;
  siteId: string;
  siteName: string;
  siteNameZh?: string;
  township: string;
  /** An alarm of the summary, for tracing (the first episode's). */
  alarmId: string;
  fromTs: number;
  toTs: number;
  episodes: readonly SummaryEpisode[];
  /** Episodes counted beyond those listed. */
  more: number;
}

/** What an episode was, in a few words: "low free chlorine", "high pH", "stuck pH". */
function what(e: SummaryEpisode, lang: Language): string {
  const [kind, , direction] = e.condition.split(':');
  const words = metricWords(e.metric);
  const name = lang === 'zh' ? (words?.zh ?? e.condition) : toGsm7(words?.en ?? e.condition);
  if (lang === 'zh') {
    if (kind === 'stuck') return `${name}卡值`;
    if (kind === 'range') return `${name}超量程`;
    if (direction === 'min') return `${name}偏低`;
    if (direction === 'max') return `${name}偏高`;
    return name;
  }
  if (kind === 'stuck') return `stuck ${name}`;
  if (kind === 'range') return `${name} out of range`;
  if (direction === 'min') return `low ${name}`;
  if (direction === 'max') return `high ${name}`;
  return name;
}

/** Episodes per kind, most frequent first (ties by first occurrence). */
function counted(episodes: readonly SummaryEpisode[], lang: Language): [string, number][] {
  const counts = new Map<string, number>();
  for (const e of [...episodes].sort((a, b) => a.startTs - b.startTs)) {
    const key = what(e, lang);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}

function text(f: BackfillSummaryFacts, lang: Language, now: number): string {
  const total = f.episodes.length + f.more;
  const span = `${formatSampleTime(f.fromTs, now)}${lang === 'zh' ? '–' : '-'}${formatSampleTime(f.toTs, now)}`;
  const kinds = counted(f.episodes, lang);
  if (lang === 'zh') {
    const pieces: Piece[] = [
      { text: '补传数据：' },
      { text: '', site: true },
      { text: ` 设备${f.deviceId}`, rank: 3 },
      { text: ` 离线期间${span}共${total}次异常均已恢复：` },
      ...kinds.map(([k, n], i): Piece => ({ text: `${i ? '，' : ''}${k}${n}次`, rank: 10 - Math.min(i, 8) })),
    ];
    return fitOneSegment(
      pieces,
      f.siteNameZh ?? f.siteName,
      'zh',
      `补传数据：离线期间${total}次异常均已恢复`,
    );
  }
  const pieces: Piece[] = [
    { text: 'BACKFILL: ' },
    { text: '', site: true },
    { text: `, device ${toGsm7(f.deviceId)}`, rank: 3 },
    { text: `: while offline ${span} UTC+8, ${total} episode${total === 1 ? '' : 's'}, all over` },
    ...kinds.map(([k, n], i): Piece => ({ text: `${i ? ',' : ':'} ${n} ${k}`, rank: 10 - Math.min(i, 8) })),
    { text: '.' },
  ];
  const site = toGsm7(f.siteName).includes('?') ? f.siteId : toGsm7(f.siteName);
  return fitOneSegment(pieces, site, 'en', `BACKFILL: ${total} episodes while offline, all over.`);
}

/**
 * The one SMS per device, backfill and audience that sums up the alarm episodes which began and ended while the device
 * was offline (each is recorded as an alarm; none was sent as "unsafe water now"). Its severity is the highest of the
 * episodes, so subscriptions route it like those alarms.
 */
export function renderBackfillSummary(
  f: BackfillSummaryFacts,
  audience: Audience,
  now: number,
): Notification {
  const severity = f.episodes.reduce<Severity>(
    (top, e) => (SEVERITY_RANK[e.severity] > SEVERITY_RANK[top] ? e.severity : top),
    'device',
  );
  return {
    audience,
    severity,
    siteId: f.siteId,
    township: f.township,
    deviceId: f.deviceId,
    alarmId: f.alarmId,
    kind: 'digest',
    text: { zh: text(f, 'zh', now), en: text(f, 'en', now) },
  };
}
