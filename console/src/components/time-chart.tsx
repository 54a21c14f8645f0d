import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { JSX } from 'preact';
import { type Lang, WORDS } from '../i18n';

/** One line of a chart; `v: null` is a gap (no data), not zero. */
export interface ChartLine {
  label: string;
  points: { t: number; v: number | null }[];
  style?: 'solid' | 'dashed' | 'area';
}

export interface TimeChartProps {
  testId: string;
  title: string;
  unit?: string;
  lang: Lang;
  /** The range shown, epoch ms (also where "reset zoom" returns). */
  from: number;
  to: number;
  height?: number;
  lines: ChartLine[];
  /** Limit and warning levels, drawn as horizontal lines (limits solid red, warnings dashed amber). */
  levels?: { limitMin?: number; limitMax?: number; warnMin?: number; warnMax?: number };
  /** Periods shaded behind the lines, e.g. alarms. */
  shaded?: { from: number; to: number; label?: string }[];
}

const COLOURS = ['#1f5fa8', '#6b4fa0', '#2b8a6e', '#a0522d'];
const LIMIT = '#c62828';
const WARN = '#d48806';
const SHADE = 'rgba(198, 40, 40, 0.13)';
const LEVEL_KEYS = ['limitMin', 'limitMax', 'warnMin', 'warnMax'] as const;

/** `limitMin=0.3;limitMax=2`: the levels drawn, for tests and for people reading the DOM. */
function levelsAttr(levels: TimeChartProps['levels']): string {
  return LEVEL_KEYS.filter((k) => levels?.[k] !== undefined)
    .map((k) => `${k}=${levels?.[k]}`)
    .join(';');
}

/**
 * The lines on one shared x axis (seconds, as uPlot wants): a line without a point at some x has `undefined`
 * there (joined across), while its own nulls stay gaps.
 */
function alignLines(lines: readonly ChartLine[]): { data: uPlot.AlignedData; points: number } {
  const xs = [...new Set(lines.flatMap((l) => l.points.map((p) => p.t)))].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  let points = 0;
  const ys = lines.map((line) => {
    const y: (number | null | undefined)[] = new Array(xs.length).fill(undefined);
    for (const p of line.points) {
      y[index.get(p.t) as number] = p.v;
      if (p.v !== null) points++;
    }
    return y;
  });
  return { data: [xs.map((t) => t / 1000), ...ys] as uPlot.AlignedData, points };
}

/** The y range: the data and every level, with a little room, so a limit line is always in view. */
function yRange(levels: TimeChartProps['levels']) {
  return (_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax => {
    const values = [min, max, ...LEVEL_KEYS.map((k) => levels?.[k])].filter(
      (v): v is number => typeof v === 'number' && Number.isFinite(v),
    );
    if (values.length === 0) return [0, 1];
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const pad = (hi - lo || Math.abs(hi) || 1) * 0.08;
    return [lo - pad, hi + pad];
  };
}

function drawLevels(u: uPlot, levels: TimeChartProps['levels']) {
  const { ctx, bbox } = u;
  for (const key of LEVEL_KEYS) {
    const value = levels?.[key];
    if (value === undefined) continue;
    const y = Math.round(u.valToPos(value, 'y', true));
    ctx.save();
    ctx.strokeStyle = key.startsWith('limit') ? LIMIT : WARN;
    ctx.lineWidth = 2 * uPlot.pxRatio;
    ctx.setLineDash(key.startsWith('limit') ? [] : [6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
    ctx.restore();
  }
}

function drawShaded(u: uPlot, shaded: TimeChartProps['shaded']) {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.fillStyle = SHADE;
  for (const period of shaded ?? []) {
    const x0 = Math.max(bbox.left, u.valToPos(period.from / 1000, 'x', true));
    const x1 = Math.min(bbox.left + bbox.width, u.valToPos(period.to / 1000, 'x', true));
    if (x1 > x0) ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
  }
  ctx.restore();
}

/**
 * A time-series chart drawn with uPlot (canvas, made for long series). Drag across it to zoom, the arrow keys pan
 * when it has focus, and "reset zoom" returns to the range asked for. It follows its container's width, down to a
 * phone's 375 px.
 */
export function TimeChart(props: TimeChartProps): JSX.Element {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { data, points } = alignLines(props.lines);
  const words = WORDS[props.lang];
  const height = props.height ?? 220;

  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const options: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: {
        x: { time: true, min: props.from / 1000, max: props.to / 1000 },
        y: { range: yRange(props.levels) },
      },
      axes: [{}, { label: props.unit, size: 56 }],
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      series: [
        {},
        ...props.lines.map((line, i) => {
          const colour = COLOURS[i % COLOURS.length] as string;
          return {
            label: line.label,
            stroke: colour,
            width: 1.5,
            spanGaps: false,
            ...(line.style === 'dashed' ? { dash: [6, 4] } : {}),
            ...(line.style === 'area' ? { fill: `${colour}22`, width: 0.5 } : {}),
          } satisfies uPlot.Series;
        }),
      ],
      hooks: {
        drawClear: [(u) => drawShaded(u, props.shaded)],
        draw: [(u) => drawLevels(u, props.levels)],
      },
    };
    const u = new uPlot(options, data, el);
    plot.current = u;
    const resize = new ResizeObserver(() => {
      const width = Math.max(200, el.clientWidth);
      if (width !== u.width) u.setSize({ width, height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // The chart is rebuilt when what it draws changes; a new array of the same data is a new chart, which is cheap.
  }, [props.lines, props.levels, props.shaded, props.from, props.to, props.unit, height]);

  const reset = () => plot.current?.setScale('x', { min: props.from / 1000, max: props.to / 1000 });
  const pan = (event: KeyboardEvent) => {
    const u = plot.current;
    if (!u || (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight')) return;
    const min = u.scales.x?.min ?? props.from / 1000;
    const max = u.scales.x?.max ?? props.to / 1000;
    const step = (max - min) / 4;
    const shift = event.key === 'ArrowLeft' ? -step : step;
    u.setScale('x', { min: min + shift, max: max + shift });
    event.preventDefault();
  };

  return (
    <figure
      class="chart"
      data-testid={props.testId}
      data-levels={levelsAttr(props.levels)}
      data-points={String(points)}
    >
      <figcaption>
        <span class="chart-title">{props.title}</span>
        <button type="button" class="small" onClick={reset}>
          {words.button.reset}
        </button>
      </figcaption>
      <div
        ref={holder}
        class="chart-canvas"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: focusable so the arrow keys pan the chart
        tabIndex={0}
        role="img"
        aria-label={`${props.title}${props.unit ? ` (${props.unit})` : ''}`}
        onKeyDown={pan}
      />
    </figure>
  );
}
