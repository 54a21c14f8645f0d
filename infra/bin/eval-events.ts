import { createReadStream, createWriteStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { NOTIFICATION_KINDS } from '../../functions/core/alarm-types';
import { DETECTOR_DEFAULTS, type DetectorSettings } from '../../functions/core/event-detector';
import { fleetDevices } from '../../functions/core/registry';
import { logger } from '../../functions/shared/logger';
import {
  type AlarmSpan,
  canaryBaseline,
  conditionSpans,
  type EvalRow,
  type EventScores,
  levelShiftBaseline,
  replayDetector,
  scoreEvents,
} from '../../functions/use-cases/event-evaluation';
import { DEFAULT_FLEET_FILE, readFleetFile } from '../fleet/read-fleet';
import { replayFleetDevice } from '../local/alarm-replay-service';
import { runCommand } from './run-command';

const HELP = `Usage: npm run eval:events -- --data FILE [options]

Replays one device's water-quality series (CSV, or .csv.gz) through the event detector the way ingest runs
it (batches of new samples after the stored history, state stored only when it changes) and through the
alarm conditions, then scores the per-row event flag against a label column.

Options:
  --data FILE            the CSV (first line: column names; .gz is read compressed)
  --columns LIST         CSV column = metric pairs, comma separated, e.g.
                         Tp=temperature_c,Cl=free_chlorine_mg_l,pH=ph,Redox=orp_mv,Leit=conductivity_us_cm,Trueb=turbidity_ntu
                         (default: columns already named like metrics)
  --time COL             time column (default: Time); ISO-like local time read as UTC, or epoch ms
  --label COL            truth column, TRUE/FALSE or 1/0 (default: EVENT when present)
  --tune-until FRACTION  rows before this share of the series are the tuning part; figures are reported
                         for both parts (default 0.5)
  --budget N             false-alarm budget, event episodes a week on normal data (default ${DETECTOR_DEFAULTS.budgetPerWeek})
  --batch N              new samples per detector run, as ingest batches them (default 1)
  --predictions FILE     write time,event,fault (0/1) one line per input row
  --measurement-point P  where the device sits (source|plant_outlet|network|tap; default network): the
                         replay plays the first water device of the fleet file there
  --fleet FILE           fleet file whose device and SMS subscriptions the replay uses
                         (default ${DEFAULT_FLEET_FILE})
  --device ID            that device instead
  --replay-store S       where the alarm replay keeps its tables: memory (default) or dynalite (the
                         DynamoDB adapters over HTTP, over ten times slower; same counts)
  --json                 print the figures as JSON
  -h, --help

Figures: per-minute precision, recall, F1 of the event flag; episodes detected; median detection delay;
false-alarm episodes a week; time in alarm; SMS each audience and each phone would have received a week on
the data's own clock (raises, flood digests, reminders, escalations, clears; nobody acknowledges), from a
replay through the service's alarm engine and sweep, its stores in memory. Method and results:
docs/event-detection.md.
`;

interface Parsed {
  times: number[];
  rows: EvalRow[];
  labels: boolean[] | undefined;
  timeTexts: string[];
}

function parseTime(text: string, line: number): number {
  const t = text.trim();
  if (/^\d{10,}$/.test(t)) return Number(t);
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$/.test(t) ? `${t.replace(' ', 'T')}Z` : t;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`line ${line}: time "${text}" is not a date`);
  return ms;
}

function parseLabel(text: string, line: number): boolean {
  const t = text.trim().toUpperCase();
  if (t === 'TRUE' || t === '1') return true;
  if (t === 'FALSE' || t === '0') return false;
  throw new Error(`line ${line}: label "${text}" is not TRUE/FALSE or 1/0`);
}

const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, '$1');

async function readCsv(
  file: string,
  columns: Map<string, string> | undefined,
  timeCol: string,
  labelCol: string | undefined,
): Promise<Parsed> {
  await access(file).catch(() => {
    throw new Error(`--data ${file}: no such file`);
  });
  const raw = createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const out: Parsed = { times: [], rows: [], labels: undefined, timeTexts: [] };
  let header: string[] | undefined;
  let timeIdx = -1;
  let labelIdx = -1;
  let metricIdx: [number, string][] = [];
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    const cells = text.split(',').map(unquote);
    if (!header) {
      header = cells;
      timeIdx = header.indexOf(timeCol);
      if (timeIdx < 0)
        throw new Error(`time column "${timeCol}" not in the header (${header.join(', ')}); use --time`);
      const label = labelCol ?? (header.includes('EVENT') ? 'EVENT' : undefined);
      if (label !== undefined) {
        labelIdx = header.indexOf(label);
        if (labelIdx < 0) throw new Error(`label column "${label}" not in the header (${header.join(', ')})`);
        out.labels = [];
      }
      const mapping =
        columns ?? new Map(header.filter((h) => /^[a-z][a-z0-9_]*$/.test(h)).map((h) => [h, h]));
      for (const col of mapping.keys()) {
        if (!header.includes(col))
          throw new Error(`--columns: column "${col}" not in the header (${header.join(', ')})`);
      }
      metricIdx = [...mapping].map(([col, metric]) => [header?.indexOf(col) ?? -1, metric]);
      if (metricIdx.length === 0) throw new Error('no metric columns: give --columns CSV=metric,...');
      continue;
    }
    const timeText = cells[timeIdx] ?? '';
    const ts = parseTime(timeText, n);
    const prev = out.times[out.times.length - 1];
    if (prev !== undefined && ts <= prev)
      throw new Error(`line ${n}: time ${timeText} is not after the row before`);
    const values: Record<string, number | undefined> = {};
    for (const [i, metric] of metricIdx) {
      const cell = cells[i] ?? '';
      const v = cell === '' || cell === 'NA' ? undefined : Number(cell);
      if (v !== undefined && !Number.isFinite(v))
        throw new Error(`line ${n}: ${header[i]} "${cell}" is not a number`);
      values[metric] = v;
    }
    const label = labelIdx >= 0 ? parseLabel(cells[labelIdx] ?? '', n) : undefined;
    out.times.push(ts);
    out.timeTexts.push(timeText);
    out.rows.push(label === undefined ? { ts, values } : { ts, values, label });
    if (label !== undefined) out.labels?.push(label);
  }
  if (out.rows.length === 0) throw new Error(`--data ${file}: no data rows`);
  return out;
}

function parseColumns(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of text.split(',')) {
    const [col, metric] = pair.split('=').map((s) => s.trim());
    if (!col || !metric || !/^[a-z][a-z0-9_]*$/.test(metric))
      throw new Error(`--columns: "${pair}" is not CSV_COLUMN=metric_name`);
    map.set(col, metric);
  }
  return map;
}

function positive(
  name: string,
  text: string | undefined,
  fallback: number,
  max = Number.POSITIVE_INFINITY,
): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0 || v > max)
    throw new Error(`${name} must be a number in (0, ${max}], got "${text}"`);
  return v;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const fix = (x: number, d = 2) => (Number.isNaN(x) ? '–' : x.toFixed(d));

function printScores(title: string, s: EventScores): void {
  console.log(`${title}: ${s.rows} rows, ${fix(s.weeks)} weeks`);
  console.log(
    `  per minute  precision ${fix(s.precision, 3)}  recall ${fix(s.recall, 3)}  F1 ${fix(s.f1, 3)}  time in alarm ${pct(s.timeInAlarm)}`,
  );
  console.log(
    `  episodes    ${s.episodesDetected}/${s.episodes} detected, median delay ${fix(s.medianDelayMin, 1)} min, false-alarm episodes ${s.falseAlarmEpisodes} (${fix(s.falseAlarmsPerWeek)} a week)`,
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      columns: { type: 'string' },
      time: { type: 'string' },
      label: { type: 'string' },
      'tune-until': { type: 'string' },
      budget: { type: 'string' },
      batch: { type: 'string' },
      predictions: { type: 'string' },
      'measurement-point': { type: 'string' },
      fleet: { type: 'string' },
      device: { type: 'string' },
      'replay-store': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.data) throw new Error('--data FILE is required (npm run eval:events -- --help)');
  const tuneUntil = positive('--tune-until', values['tune-until'], 0.5, 1);
  const settings: DetectorSettings = {
    ...DETECTOR_DEFAULTS,
    budgetPerWeek: positive('--budget', values.budget, DETECTOR_DEFAULTS.budgetPerWeek),
  };
  const batchSize = Math.round(positive('--batch', values.batch, 1, 10_000));
  const point = values['measurement-point'] ?? 'network';
  const backing = values['replay-store'] ?? 'memory';
  if (backing !== 'memory' && backing !== 'dynalite')
    throw new Error(`--replay-store must be memory or dynalite, got "${backing}"`);
  if (!['source', 'plant_outlet', 'network', 'tap'].includes(point))
    throw new Error(`--measurement-point must be source, plant_outlet, network or tap, got "${point}"`);

  const { fleet } = await readFleetFile(values.fleet ?? DEFAULT_FLEET_FILE);
  const candidates = fleetDevices(fleet).filter((d) =>
    values.device === undefined ? d.kind === 'water' && d.measurementPoint === point : d.id === values.device,
  );
  const device = candidates[0];
  if (!device)
    throw new Error(
      values.device === undefined
        ? `no water device at measurement point ${point} in the fleet file; give --device ID`
        : `--device ${values.device} is not in the fleet file`,
    );
  // The service's own log lines (alarm raised, SMS sent) would drown the figures: errors only.
  logger.setLogLevel('ERROR');
  const columns = values.columns === undefined ? undefined : parseColumns(values.columns);
  const data = await readCsv(values.data, columns, values.time ?? 'Time', values.label);
  const { rows, times } = data;
  console.error(`read ${rows.length} rows`);
  const started = Date.now();
  const replay = replayDetector(rows, {
    settings,
    batchSize,
    onProgress: (done) =>
      console.error(
        `  detector ${done}/${rows.length} rows (${Math.round((Date.now() - started) / 1000)} s)`,
      ),
  });
  const events = replay.verdicts.map((v) => v.event);
  const faults = replay.verdicts.map((v) => v.fault);

  if (values.predictions) {
    const file = createWriteStream(values.predictions);
    file.write('time,event,fault\n');
    for (let i = 0; i < rows.length; i++)
      file.write(`${data.timeTexts[i]},${events[i] ? 1 : 0},${faults[i] ? 1 : 0}\n`);
    await new Promise<void>((resolve, reject) =>
      file.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  }

  const split = Math.floor(rows.length * tuneUntil);
  const report: Record<string, unknown> = {
    rows: rows.length,
    tuneUntilRow: split,
    stateWrites: replay.stateWrites,
    maxStateBytes: replay.maxStateBytes,
    learningRows: replay.verdicts.filter((v) => v.learning).length,
    faultRows: faults.filter(Boolean).length,
  };
  if (data.labels) {
    const limits = conditionSpans(rows, device);
    const critical = limitFlags(
      times,
      limits.filter((s) => s.severity === 'critical'),
    );
    const parts: [string, number, number][] = [
      ['tuning part', 0, split],
      ['held-out part', split, rows.length],
    ];
    const baseline = levelShiftBaseline(rows, data.labels, split);
    report.levelShiftThreshold = baseline.threshold;
    const canary = canaryBaseline(rows, data.labels, split);
    report.canaryOutliers = canary.outliers;
    const scored: Record<string, unknown> = {};
    for (const [name, from, to] of parts) {
      if (to <= from) continue;
      scored[name] = {
        detector: scoreEvents(times, data.labels, events, from, to),
        levelShiftBaseline: scoreEvents(times, data.labels, baseline.flags, from, to),
        canaryBaseline: scoreEvents(times, data.labels, canary.flags, from, to),
        detectorEventOrFault: scoreEvents(
          times,
          data.labels,
          events.map((e, i) => e || (faults[i] ?? false)),
          from,
          to,
        ),
        criticalLimits: scoreEvents(times, data.labels, critical, from, to),
        detectorOrCritical: scoreEvents(
          times,
          data.labels,
          events.map((e, i) => e || (critical[i] ?? false)),
          from,
          to,
        ),
      };
    }
    report.scores = scored;
  }
  const end = (times[times.length - 1] as number) + 60_000;
  const weeks = (end - (times[0] as number)) / (7 * 86_400_000);
  const replayStarted = Date.now();
  const replayed = await replayFleetDevice(
    fleet,
    device.id,
    rows.map((r, i) => {
      const verdict = replay.findings[i];
      return verdict ? { ts: r.ts, values: r.values, verdict } : { ts: r.ts, values: r.values };
    }),
    {
      batchSize,
      backing,
      // Reminders and escalation of an alarm still open at the end are what its audience would still receive.
      tailMs: 0,
      onProgress: (done) =>
        console.error(
          `  alarm replay ${done}/${rows.length} rows (${Math.round((Date.now() - replayStarted) / 1000)} s)`,
        ),
    },
  );
  const perWeek: Record<string, Record<string, number>> = {};
  for (const [audience, counts] of replayed.notifier.tally.byAudience) {
    perWeek[audience] = Object.fromEntries(
      NOTIFICATION_KINDS.map((k) => [k, Number(((counts.get(k) ?? 0) / weeks).toFixed(1))]),
    );
  }
  // The same counts for each part of the time-ordered split, by when each notification went out on the data's clock.
  const partBounds: [string, number, number][] = [
    ['tuning part', times[0] as number, times[split] ?? end],
    ['held-out part', times[split] ?? end, end],
  ];
  const perWeekByPart: Record<string, Record<string, Record<string, number>>> = {};
  for (const [part, from, to] of partBounds) {
    if (to <= from) continue;
    const partWeeks = (to - from) / (7 * 86_400_000);
    const counts: Record<string, Record<string, number>> = {};
    for (const n of replayed.notifier.tally.sent) {
      if (n.at < from || n.at >= to) continue;
      const c = counts[n.audience] ?? Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, 0]));
      c[n.kind] = (c[n.kind] ?? 0) + 1;
      counts[n.audience] = c;
    }
    for (const c of Object.values(counts))
      for (const k of NOTIFICATION_KINDS) c[k] = Number(((c[k] ?? 0) / partWeeks).toFixed(1));
    // Audiences in the order of the whole series' counts, whichever was sent to first in this part.
    perWeekByPart[part] = Object.fromEntries(
      Object.keys(perWeek).flatMap((a) => (counts[a] ? [[a, counts[a]]] : [])),
    );
  }
  const perPhoneWeek: Record<string, number> = {};
  for (const [phone, counts] of replayed.notifier.tally.byPhone)
    perPhoneWeek[phone] = Number(([...counts.values()].reduce((a, b) => a + b, 0) / weeks).toFixed(1));
  const byCondition = new Map<string, number>();
  for (const a of replayed.alarms) byCondition.set(a.condition, (byCondition.get(a.condition) ?? 0) + 1);
  // Episodes as the detector found them (an alarm in the replay instead re-activates while nobody acknowledges).
  let eventEpisodes = 0;
  const faultEpisodes = new Map<string, number>();
  let openFaults = new Set<string>();
  replay.findings.forEach((f, i) => {
    if (f.event && !replay.findings[i - 1]?.event) eventEpisodes++;
    const now = new Set(f.faults.map((x) => x.metric));
    for (const m of now) if (!openFaults.has(m)) faultEpisodes.set(m, (faultEpisodes.get(m) ?? 0) + 1);
    openFaults = now;
  });
  report.eventEpisodes = eventEpisodes;
  report.faultEpisodes = Object.fromEntries([...faultEpisodes].sort((a, b) => b[1] - a[1]));
  report.device = device.id;
  report.sweeps = replayed.sweeps;
  report.smsPerWeek = perWeek;
  report.smsCounts = Object.fromEntries(
    [...replayed.notifier.tally.byAudience].map(([audience, counts]) => [
      audience,
      Object.fromEntries(counts),
    ]),
  );
  report.smsPerWeekByPart = perWeekByPart;
  report.replaySeconds = Math.round((Date.now() - replayStarted) / 1000);
  report.smsPerPhonePerWeek = perPhoneWeek;
  report.unroutedNotifications = replayed.notifier.tally.unrouted;
  report.alarmsByCondition = Object.fromEntries([...byCondition].sort());

  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  console.log(
    `${rows.length} rows, ${fix(weeks)} weeks; detector learning for ${report.learningRows as number} rows; state written ${replay.stateWrites} times (largest ${replay.maxStateBytes} bytes)`,
  );
  const scores = report.scores as Record<string, Record<string, EventScores>> | undefined;
  for (const [part, s] of Object.entries(scores ?? {})) {
    printScores(`${part}, event detector`, s.detector as EventScores);
    printScores(`${part}, event or sensor fault`, s.detectorEventOrFault as EventScores);
    printScores(`${part}, level-shift baseline`, s.levelShiftBaseline as EventScores);
    printScores(`${part}, CANARY-like baseline`, s.canaryBaseline as EventScores);
    printScores(`${part}, critical limit alarms`, s.criticalLimits as EventScores);
  }
  const faultTotal = [...faultEpisodes.values()].reduce((a, b) => a + b, 0);
  console.log(
    `detector episodes: events ${eventEpisodes} (${fix(eventEpisodes / weeks)} a week), sensor faults ${faultTotal} (${[
      ...faultEpisodes,
    ]
      .sort((a, b) => b[1] - a[1])
      .map(([m, n]) => `${m} ${n}`)
      .join(', ')}); rows with a sensor fault ${report.faultRows as number}`,
  );
  console.log(
    `SMS a week by audience (notifications; device ${device.id} of the example fleet, nobody acknowledges; ${replayed.sweeps} sweeps, ${report.replaySeconds as number} s):`,
  );
  const printCounts = (indent: string, counts: Record<string, Record<string, number>>) => {
    for (const [audience, c] of Object.entries(counts)) {
      console.log(
        `${indent}${audience.padEnd(12)} ${Object.entries(c)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    }
  };
  printCounts('  ', perWeek);
  for (const [part, counts] of Object.entries(perWeekByPart)) {
    console.log(`  ${part}:`);
    printCounts('    ', counts);
  }
  console.log(
    `SMS a week by phone: ${Object.entries(perPhoneWeek)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(
    `alarm records in the replay by condition (nobody acknowledges, so an alarm that clears re-activates instead of closing): ${Object.entries(
      report.alarmsByCondition as Record<string, number>,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  return 0;
}

function limitFlags(times: readonly number[], spans: readonly AlarmSpan[]): boolean[] {
  const flags = times.map(() => false);
  let i = 0;
  for (const s of [...spans].sort((a, b) => a.raisedAt - b.raisedAt)) {
    while (i < times.length && (times[i] as number) < s.raisedAt) i++;
    for (
      let j = i;
      j < times.length && (s.clearedAt === undefined || (times[j] as number) < s.clearedAt);
      j++
    )
      flags[j] = true;
  }
  return flags;
}

runCommand(main);
