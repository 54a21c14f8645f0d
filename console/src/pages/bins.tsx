import './pages.css';
import { useState } from 'preact/hooks';
import type { AlarmPage, BinList, BinStatusView } from '../../../functions/api/types';
import { useLoad } from '../components/common';
import { formatTime } from '../i18n';
import type { PageProps } from '../page';
import {
  type BinUrgency,
  binsOnFire,
  binUrgency,
  COLLECTION_WINDOWS,
  type CollectionWindow,
  formatHours,
  formatPct,
  formatRate,
  hoursUntil,
  isCollectionWindow,
  orderByUrgency,
  WASTE_STREAM_TEXT,
} from './bin-format';
import { Show } from './page-kit';

const TEXT = {
  zh: {
    title: '垃圾桶清运',
    window: '需要清运的时间范围',
    township: '乡镇',
    allTownships: '全部乡镇',
    refresh: '刷新',
    empty: '此时间范围内没有需要清运的垃圾桶。',
    count: (n: number, total: number) => `${n} 个需要清运（共 ${total} 个）`,
    fill: '满溢度',
    rate: '速率',
    toThreshold: '到清运线',
    toFull: '到满',
    lastReading: '最新读数',
    stream: '类别',
    asOf: '数据时间',
    urgency: {
      fire: '起火',
      overflowing: '已溢出',
      above: '超过清运线',
      due: '需清运',
      later: '稍后',
      unknown: '无预测',
    } satisfies Record<BinUrgency, string>,
    windowLabel: (h: number) => `${h} 小时内`,
  },
  en: {
    title: 'Bin collection',
    window: 'Needing collection within',
    township: 'Township',
    allTownships: 'All townships',
    refresh: 'Refresh',
    empty: 'No bin needs collection within this window.',
    count: (n: number, total: number) => `${n} to collect (of ${total} bins)`,
    fill: 'Fill',
    rate: 'Rate',
    toThreshold: 'To threshold',
    toFull: 'To full',
    lastReading: 'Last reading',
    stream: 'Stream',
    asOf: 'As of',
    urgency: {
      fire: 'On fire',
      overflowing: 'Overflowing',
      above: 'Above threshold',
      due: 'Due',
      later: 'Later',
      unknown: 'No forecast',
    } satisfies Record<BinUrgency, string>,
    windowLabel: (h: number) => `${h} h`,
  },
} as const;

/** Urgency glyphs beside the text, so the state does not rest on colour alone. */
const URGENCY_ICON: Record<BinUrgency, string> = {
  fire: '🔥',
  overflowing: '⛔',
  above: '▲',
  due: '●',
  later: '○',
  unknown: '?',
};

interface Row {
  bin: BinStatusView;
  urgency: BinUrgency;
}

interface Loaded {
  at: string | null;
  rows: Row[];
  total: number;
  townships: string[];
}

const WINDOW_KEY = 'pamir.bins.window';

function savedWindow(): CollectionWindow {
  try {
    const saved = sessionStorage.getItem(WINDOW_KEY);
    return isCollectionWindow(saved) ? saved : 'PT24H';
  } catch {
    return 'PT24H';
  }
}

/** `#/bins`: the collection list, most urgent first, for a chosen window and township. */
export function BinsPage({ api, lang }: PageProps) {
  const t = TEXT[lang];
  const [win, setWin] = useState<CollectionWindow>(savedWindow);
  const [township, setTownship] = useState('');
  const hours = COLLECTION_WINDOWS.find((w) => w.id === win)?.hours ?? 24;

  const state = useLoad<Loaded>(async () => {
    const [due, all, alarms] = await Promise.all([
      api.get<BinList>('/bins', { needsCollectionWithin: win, township: township || undefined }),
      api.get<BinList>('/bins'),
      api.get<AlarmPage>('/alarms', { limit: 500 }),
    ]);
    const fire = binsOnFire(alarms.items);
    const listed = new Set(due.items.map((b) => b.binId));
    // A burning bin belongs on the list whatever its fill forecast says.
    const burning = all.items.filter(
      (b) => fire.has(b.binId) && !listed.has(b.binId) && (!township || b.township === township),
    );
    const rows = orderByUrgency(
      [...due.items, ...burning].map((bin) => ({ bin, urgency: binUrgency(bin, fire, hours) })),
    );
    const townships = [...new Set(all.items.map((b) => b.township))].sort();
    const total = township ? all.items.filter((b) => b.township === township).length : all.items.length;
    return { at: due.at, rows, total, townships };
  }, [win, township]);

  const chooseWindow = (w: CollectionWindow) => {
    setWin(w);
    try {
      sessionStorage.setItem(WINDOW_KEY, w);
    } catch {
      // Storage may be off (private mode); the choice then lasts until the page is left.
    }
  };

  return (
    <section class="page bins-page" aria-labelledby="bins-title">
      <h1 id="bins-title">{t.title}</h1>
      <div class="toolbar">
        <fieldset class="segmented">
          <legend>{t.window}</legend>
          {COLLECTION_WINDOWS.map((w) => (
            <label key={w.id} class={w.id === win ? 'selected' : undefined}>
              <input
                type="radio"
                name="bins-window"
                value={w.id}
                checked={w.id === win}
                onChange={() => chooseWindow(w.id)}
              />
              {t.windowLabel(w.hours)}
            </label>
          ))}
        </fieldset>
        <label class="field">
          <span>{t.township}</span>
          <select
            name="township"
            value={township}
            onChange={(e) => setTownship((e.currentTarget as HTMLSelectElement).value)}
          >
            <option value="">{t.allTownships}</option>
            {state.data?.townships.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={state.reload}>
          {t.refresh}
        </button>
      </div>
      <Show state={state} lang={lang}>
        {(data) => (
          <>
            <p class="muted">
              {t.count(data.rows.length, data.total)} · {t.asOf} {formatTime(data.at, lang)}
            </p>
            {data.rows.length === 0 ? (
              <p>{t.empty}</p>
            ) : (
              <ol class="bin-list" data-testid="collection-list">
                {data.rows.map((row) => (
                  <BinRow
                    key={row.bin.binId}
                    row={row}
                    lang={lang}
                    now={Date.parse(data.at ?? '') || Date.now()}
                  />
                ))}
              </ol>
            )}
          </>
        )}
      </Show>
    </section>
  );
}

function BinRow({ row, lang, now }: { row: Row; lang: PageProps['lang']; now: number }) {
  const t = TEXT[lang];
  const { bin, urgency } = row;
  const site = lang === 'zh' && bin.siteNameZh ? bin.siteNameZh : bin.siteName;
  return (
    <li class={`bin-row urgency-${urgency}`} data-testid={`bin-${bin.binId}`} data-urgency={urgency}>
      <a href={`#/bins/${encodeURIComponent(bin.binId)}`} class="bin-name">
        <strong>{bin.binId}</strong> <span class="muted">{site}</span>
      </a>
      <span class={`badge urgency-${urgency}`}>
        <span aria-hidden="true">{URGENCY_ICON[urgency]} </span>
        {t.urgency[urgency]}
      </span>
      <dl class="bin-figures">
        <div>
          <dt>{t.fill}</dt>
          <dd>
            <meter
              min={0}
              max={100}
              low={bin.thresholdPct}
              high={bin.thresholdPct}
              optimum={0}
              value={bin.fillPct ?? 0}
            >
              {formatPct(bin.fillPct)}
            </meter>{' '}
            {formatPct(bin.fillPct)}
          </dd>
        </div>
        <div>
          <dt>{t.rate}</dt>
          <dd>{formatRate(bin.ratePctPerHour, lang)}</dd>
        </div>
        <div>
          <dt>
            {t.toThreshold} ({bin.thresholdPct} %)
          </dt>
          <dd>{bin.aboveThreshold ? t.urgency.above : formatHours(bin.hoursToThreshold, lang)}</dd>
        </div>
        <div>
          <dt>{t.toFull}</dt>
          <dd>{bin.overflowing ? t.urgency.overflowing : formatHours(hoursUntil(bin.fullAt, now), lang)}</dd>
        </div>
        <div>
          <dt>{t.township}</dt>
          <dd>{bin.township}</dd>
        </div>
        <div>
          <dt>{t.stream}</dt>
          <dd>{WASTE_STREAM_TEXT[bin.wasteStream][lang]}</dd>
        </div>
        <div>
          <dt>{t.lastReading}</dt>
          <dd>{formatTime(bin.lastReadingAt, lang)}</dd>
        </div>
      </dl>
    </li>
  );
}
