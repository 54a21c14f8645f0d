import type {
  ComplianceReport,
  ComplianceSummary,
  ExceedanceEvent,
  LimitApplied,
  RateFigures,
  SiteCompliance,
} from '../../functions/core/compliance-types';
import { HOUR_MS, MINUTE_MS } from '../../functions/shared/time';

/**
 * A realistic compliance report of the example county (infra/fleet/example-county.json) for November 2026, China
 * time: what `GET /reports/compliance?month=2026-11` could answer. The renderers' tests and the docs' page image use
 * it; its numbers are chosen, not computed from readings (the use case's own tests do that).
 */

/** 2026-11-01T00:00+08:00. */
const FROM = Date.UTC(2026, 10, 1) - 8 * HOUR_MS;
/** 2026-12-01T00:00+08:00. */
const TO = Date.UTC(2026, 11, 1) - 8 * HOUR_MS;
/** A China-time wall clock in November 2026 as epoch ms. */
const at = (day: number, hour: number, minute = 0) => Date.UTC(2026, 10, day, hour, minute) - 8 * HOUR_MS;

function rates(valid: number, within: number, intervalS: number, overWarning: number): RateFigures {
  const validMs = valid * intervalS * 1000;
  const withinMs = within * intervalS * 1000;
  return {
    valid,
    within,
    rate: valid ? within / valid : null,
    validMs,
    withinMs,
    timeRate: validMs ? withinMs / validMs : null,
    overWarning,
  };
}

function pool(figures: RateFigures[]): RateFigures {
  const sum = (k: 'valid' | 'within' | 'validMs' | 'withinMs' | 'overWarning') =>
    figures.reduce((s, f) => s + f[k], 0);
  const valid = sum('valid');
  const validMs = sum('validMs');
  return {
    valid,
    within: sum('within'),
    rate: valid ? sum('within') / valid : null,
    validMs,
    withinMs: sum('withinMs'),
    timeRate: validMs ? sum('withinMs') / validMs : null,
    overWarning: sum('overWarning'),
  };
}

function summary(sites: SiteCompliance[]): ComplianceSummary {
  const metrics = [...new Set(sites.flatMap((s) => Object.keys(s.byMetric)))].sort();
  return {
    overall: pool(sites.map((s) => s.overall)),
    byMetric: Object.fromEntries(
      metrics.map((m) => [m, pool(sites.flatMap((s) => (s.byMetric[m] ? [s.byMetric[m]] : [])))]),
    ),
    devices: sites.reduce((n, s) => n + s.devices, 0),
    sites: sites.length,
  };
}

/** Rates of every China-time day of November: 1 except on the days given. */
function daily(misses: Record<number, number | null> = {}): { day: string; rate: number | null }[] {
  return Array.from({ length: 30 }, (_, i) => {
    const d = i + 1;
    const miss = misses[d];
    return { day: `2026-11-${String(d).padStart(2, '0')}`, rate: miss === undefined ? 1 : miss };
  });
}

const T1 = 'GB 5749-2022 Table 1';
const T2 = 'GB 5749-2022 Table 2';
const T3838 = 'GB 3838-2002 Table 1, class III';

/** Limits as the catalogue applies them (GB 5749-2022 by point and class; GB 3838-2002 class III at sources). */
const PH: LimitApplied = {
  metric: 'ph',
  limitMin: 6.5,
  limitMax: 8.5,
  warnMin: 6.8,
  warnMax: 8.2,
  citation: T1,
};
const TURBIDITY: LimitApplied = { metric: 'turbidity_ntu', limitMax: 1, warnMax: 0.8, citation: T1 };
const TURBIDITY_SMALL: LimitApplied = { metric: 'turbidity_ntu', limitMax: 3, warnMax: 2.4, citation: T1 };
const PH_SOURCE: LimitApplied = {
  metric: 'ph',
  limitMin: 6,
  limitMax: 9,
  warnMin: 6.3,
  warnMax: 8.7,
  citation: T3838,
};
const CHLORINE_OUTLET: LimitApplied = {
  metric: 'free_chlorine_mg_l',
  limitMin: 0.3,
  limitMax: 2,
  warnMin: 0.375,
  warnMax: 1.6,
  citation: T2,
};
const CHLORINE_END: LimitApplied = {
  metric: 'free_chlorine_mg_l',
  limitMin: 0.05,
  limitMax: 2,
  warnMin: 0.0625,
  warnMax: 1.6,
  citation: T2,
};

function site(
  s: Omit<SiteCompliance, 'overall' | 'devices' | 'sites'> & { devices?: number },
): SiteCompliance {
  return { ...s, overall: pool(Object.values(s.byMetric)), devices: s.devices ?? 1, sites: 1 };
}

const sites: SiteCompliance[] = [
  site({
    siteId: 'src-karasu',
    siteName: 'Karasu River intake',
    siteNameZh: '卡拉苏河取水口',
    township: 'Tashkurgan Town',
    siteType: 'water_source',
    supplyClass: 'standard',
    disinfectant: 'none',
    measurementPoints: ['source'],
    limits: [PH_SOURCE],
    byMetric: { ph: rates(8640, 8640, 300, 0) },
    daily: daily(),
  }),
  site({
    siteId: 'plant-town',
    siteName: 'Tashkurgan Town water plant',
    siteNameZh: '塔什库尔干镇水厂',
    township: 'Tashkurgan Town',
    siteType: 'water_plant',
    supplyClass: 'standard',
    disinfectant: 'free_chlorine',
    measurementPoints: ['plant_outlet'],
    limits: [CHLORINE_OUTLET, PH, TURBIDITY],
    byMetric: {
      free_chlorine_mg_l: rates(42_950, 42_846, 60, 311),
      ph: rates(42_950, 42_950, 60, 12),
      turbidity_ntu: rates(42_950, 42_950, 60, 40),
    },
    daily: daily({ 14: 0.9758 }),
  }),
  site({
    siteId: 'net-town',
    siteName: 'Town network, hospital end',
    siteNameZh: '镇管网医院末梢',
    township: 'Tashkurgan Town',
    siteType: 'water_network',
    supplyClass: 'standard',
    disinfectant: 'free_chlorine',
    measurementPoints: ['network'],
    limits: [CHLORINE_END, PH, TURBIDITY],
    byMetric: {
      free_chlorine_mg_l: rates(41_310, 41_310, 60, 64),
      ph: rates(41_310, 41_310, 60, 0),
      turbidity_ntu: rates(41_310, 41_292, 60, 57),
    },
    daily: daily({ 14: 0.9986 }),
  }),
  site({
    siteId: 'tap-town-school',
    siteName: 'Town No.1 school tap',
    siteNameZh: '镇一小龙头',
    township: 'Tashkurgan Town',
    siteType: 'school',
    supplyClass: 'standard',
    disinfectant: 'free_chlorine',
    measurementPoints: ['tap'],
    limits: [CHLORINE_END, TURBIDITY],
    byMetric: {
      free_chlorine_mg_l: rates(8_010, 8_010, 300, 0),
      turbidity_ntu: rates(8_010, 8_010, 300, 3),
    },
    daily: daily({ 20: null, 21: null }),
  }),
  site({
    siteId: 'src-dabudar',
    siteName: 'Dabudar spring',
    siteNameZh: '达布达尔泉水',
    township: 'Dabudar',
    siteType: 'water_source',
    supplyClass: 'small',
    disinfectant: 'none',
    measurementPoints: ['source'],
    limits: [{ metric: 'nitrate_n_mg_l', limitMax: 10, warnMax: 8, citation: T3838 }, PH_SOURCE],
    byMetric: { nitrate_n_mg_l: rates(4_310, 4_310, 600, 0), ph: rates(4_310, 4_310, 600, 0) },
    daily: daily(),
  }),
  site({
    siteId: 'plant-dabudar',
    siteName: 'Dabudar village plant',
    siteNameZh: '达布达尔村水站',
    township: 'Dabudar',
    siteType: 'water_plant',
    supplyClass: 'small',
    disinfectant: 'free_chlorine',
    measurementPoints: ['plant_outlet'],
    limits: [CHLORINE_OUTLET, TURBIDITY_SMALL],
    byMetric: {
      free_chlorine_mg_l: rates(40_020, 39_785, 60, 502),
      turbidity_ntu: rates(40_020, 40_020, 60, 0),
    },
    daily: daily({ 8: 0.9612, 9: 0.9971 }),
  }),
  site({
    siteId: 'tap-dabudar',
    siteName: 'Dabudar clinic tap',
    siteNameZh: '达布达尔卫生院龙头',
    township: 'Dabudar',
    siteType: 'village',
    supplyClass: 'small',
    disinfectant: 'free_chlorine',
    measurementPoints: ['tap'],
    limits: [CHLORINE_END],
    byMetric: { free_chlorine_mg_l: rates(8_580, 8_571, 300, 15) },
    daily: daily({ 8: 0.9687 }),
  }),
  site({
    siteId: 'src-tiznap',
    siteName: 'Tiznap well',
    siteNameZh: '提孜那甫水井',
    township: 'Tiznap',
    siteType: 'water_source',
    supplyClass: 'small',
    disinfectant: 'none',
    measurementPoints: ['source'],
    limits: [{ metric: 'fluoride_mg_l', limitMax: 1, warnMax: 0.8, citation: T3838 }],
    byMetric: { fluoride_mg_l: rates(4_320, 4_320, 600, 127) },
    daily: daily(),
  }),
  site({
    siteId: 'plant-tiznap',
    siteName: 'Tiznap water station',
    siteNameZh: '提孜那甫水站',
    township: 'Tiznap',
    siteType: 'water_plant',
    supplyClass: 'small',
    disinfectant: 'chlorine_dioxide',
    measurementPoints: ['plant_outlet'],
    limits: [
      {
        metric: 'chlorine_dioxide_mg_l',
        limitMin: 0.1,
        limitMax: 0.8,
        warnMin: 0.125,
        warnMax: 0.64,
        citation: T2,
      },
      TURBIDITY_SMALL,
    ],
    byMetric: {
      chlorine_dioxide_mg_l: rates(36_410, 36_410, 60, 96),
      turbidity_ntu: rates(36_410, 36_410, 60, 0),
    },
    daily: daily({ 3: null }),
  }),
  site({
    siteId: 'tap-tiznap',
    siteName: 'Tiznap school tap',
    siteNameZh: '提孜那甫学校龙头',
    township: 'Tiznap',
    siteType: 'school',
    supplyClass: 'small',
    disinfectant: 'chlorine_dioxide',
    measurementPoints: ['tap'],
    limits: [
      {
        metric: 'chlorine_dioxide_mg_l',
        limitMin: 0.02,
        limitMax: 0.8,
        warnMin: 0.025,
        warnMax: 0.64,
        citation: T2,
      },
    ],
    byMetric: { chlorine_dioxide_mg_l: rates(8_640, 8_640, 300, 0) },
    daily: daily(),
  }),
];

const townships = ['Dabudar', 'Tashkurgan Town', 'Tiznap'];
const points = ['plant_outlet', 'network', 'tap', 'source'];

const exceedances: ExceedanceEvent[] = [
  {
    alarmId: 'A7K2M9QXR',
    deviceId: 'wq-town-outlet',
    siteId: 'plant-town',
    siteName: 'Tashkurgan Town water plant',
    township: 'Tashkurgan Town',
    measurementPoint: 'plant_outlet',
    metric: 'free_chlorine_mg_l',
    condition: 'free_chlorine_mg_l:min',
    severity: 'critical',
    start: at(14, 6, 12),
    end: at(14, 7, 56),
    durationMs: 104 * MINUTE_MS,
    peak: 0.08,
    limit: { value: 0.3, direction: 'min', citation: T2 },
    ackedAt: at(14, 6, 21),
    ackedBy: 'operator-ma',
    ackDelayMs: 9 * MINUTE_MS,
  },
  {
    alarmId: 'AH3Q8WZ2C',
    deviceId: 'wq-town-hospital',
    siteId: 'net-town',
    siteName: 'Town network, hospital end',
    township: 'Tashkurgan Town',
    measurementPoint: 'network',
    metric: 'turbidity_ntu',
    condition: 'turbidity_ntu:max',
    severity: 'critical',
    start: at(14, 9, 40),
    end: at(14, 9, 58),
    durationMs: 18 * MINUTE_MS,
    peak: 1.37,
    limit: { value: 1, direction: 'max', citation: T1 },
    ackedAt: at(14, 10, 5),
    ackedBy: 'operator-ma',
    ackDelayMs: 25 * MINUTE_MS,
  },
  {
    alarmId: 'ANP4R6TV8',
    deviceId: 'wq-dabudar-outlet',
    siteId: 'plant-dabudar',
    siteName: 'Dabudar village plant',
    township: 'Dabudar',
    measurementPoint: 'plant_outlet',
    metric: 'free_chlorine_mg_l',
    condition: 'free_chlorine_mg_l:min',
    severity: 'critical',
    start: at(8, 22, 3),
    end: at(9, 2, 1),
    durationMs: 238 * MINUTE_MS,
    peak: 0.12,
    limit: { value: 0.3, direction: 'min', citation: T2 },
    ackedAt: at(9, 7, 45),
    ackedBy: 'duty-aziz@county.example.cn',
    ackDelayMs: 9 * HOUR_MS + 42 * MINUTE_MS,
  },
  {
    alarmId: 'AX5D2KM7P',
    deviceId: 'wq-dabudar-clinic',
    siteId: 'tap-dabudar',
    siteName: 'Dabudar clinic tap',
    township: 'Dabudar',
    measurementPoint: 'tap',
    metric: 'free_chlorine_mg_l',
    condition: 'free_chlorine_mg_l:min',
    severity: 'critical',
    start: at(8, 23, 15),
    end: at(9, 0, 0),
    durationMs: 45 * MINUTE_MS,
    peak: 0.02,
    limit: { value: 0.05, direction: 'min', citation: T2 },
    ackedAt: at(9, 7, 46),
    ackedBy: 'duty-aziz@county.example.cn',
    ackDelayMs: 8 * HOUR_MS + 31 * MINUTE_MS,
  },
  {
    alarmId: 'AQ9F3BN6H',
    deviceId: 'wq-tiznap-well',
    siteId: 'src-tiznap',
    siteName: 'Tiznap well',
    township: 'Tiznap',
    measurementPoint: 'source',
    metric: 'fluoride_mg_l',
    condition: 'fluoride_mg_l:max:warning',
    severity: 'warning',
    // Still active when the month ended.
    start: at(29, 16, 30),
    durationMs: TO - at(29, 16, 30),
    peak: 0.93,
    limit: { value: 0.8, direction: 'max', citation: `early warning (${T3838})` },
  },
];

/** The example county's compliance report for November 2026 (China time). */
export const complianceFixture: ComplianceReport = {
  period: { from: FROM, to: TO, label: '2026-11', timeZone: 'Asia/Shanghai' },
  // 2026-12-01T09:00+08:00, the morning after the month.
  generatedAt: Date.UTC(2026, 11, 1, 1),
  scope: { county: 'Example County (Pamir plateau), illustrative data' },
  county: summary(sites),
  townships: townships.map((township) => ({
    township,
    ...summary(sites.filter((s) => s.township === township)),
  })),
  measurementPoints: points.map((measurementPoint) => ({
    measurementPoint,
    ...summary(sites.filter((s) => s.measurementPoints.includes(measurementPoint))),
  })),
  sites,
  exceedances,
  completeness: [
    { id: 'wq-karasu-intake', site: 'src-karasu', town: 'Tashkurgan Town', s: 300, got: 8640 },
    { id: 'wq-town-outlet', site: 'plant-town', town: 'Tashkurgan Town', s: 60, got: 42_950 },
    { id: 'wq-town-hospital', site: 'net-town', town: 'Tashkurgan Town', s: 60, got: 41_310 },
    { id: 'wq-town-school-tap', site: 'tap-town-school', town: 'Tashkurgan Town', s: 300, got: 8_010 },
    { id: 'wq-dabudar-spring', site: 'src-dabudar', town: 'Dabudar', s: 600, got: 4_310 },
    { id: 'wq-dabudar-outlet', site: 'plant-dabudar', town: 'Dabudar', s: 60, got: 40_020 },
    { id: 'wq-dabudar-clinic', site: 'tap-dabudar', town: 'Dabudar', s: 300, got: 8_580 },
    { id: 'wq-tiznap-well', site: 'src-tiznap', town: 'Tiznap', s: 600, got: 4_320 },
    { id: 'wq-tiznap-outlet', site: 'plant-tiznap', town: 'Tiznap', s: 60, got: 36_410 },
    { id: 'wq-tiznap-school-tap', site: 'tap-tiznap', town: 'Tiznap', s: 300, got: 8_640 },
    { id: 'bin-bazaar-01', site: 'market-town', town: 'Tashkurgan Town', s: 900, got: 2_871, kind: 'bin' },
    { id: 'bin-dabudar-01', site: 'village-dabudar', town: 'Dabudar', s: 900, got: 2_880, kind: 'bin' },
  ].map(({ id, site: siteId, town, s, got, kind }) => {
    const excluded =
      id === 'wq-town-school-tap'
        ? [
            {
              from: at(20, 9),
              to: at(22, 9),
              reason: 'maintenance' as const,
              note: 'sensor cleaning & recalibration <pH probe>',
              by: 'engineer-li',
            },
          ]
        : id === 'wq-tiznap-outlet'
          ? [{ from: at(3, 0), to: at(4, 0), reason: 'outage' as const, note: 'power cut, county grid' }]
          : [];
    const excludedMs = excluded.reduce((n, w) => n + (w.to - w.from), 0);
    const expected = Math.floor((TO - FROM - excludedMs) / (s * 1000));
    return {
      deviceId: id,
      siteId,
      township: town,
      kind: kind === 'bin' ? ('bin' as const) : ('water' as const),
      intervalS: s,
      expected,
      received: got,
      rate: got / expected,
      excluded,
    };
  }),
  sensorFaults: [
    {
      deviceId: 'wq-town-outlet',
      siteId: 'plant-town',
      metric: 'turbidity_ntu',
      flaggedMs: 50 * MINUTE_MS,
      flaggedSamples: 50,
      episodes: [
        { alarmId: 'AS2T7YHC4', condition: 'turbidity_ntu:stuck', start: at(11, 3, 10), end: at(11, 4) },
      ],
    },
    {
      deviceId: 'wq-dabudar-outlet',
      siteId: 'plant-dabudar',
      metric: 'ph',
      flaggedMs: 6 * HOUR_MS + 15 * MINUTE_MS,
      flaggedSamples: 375,
      episodes: [{ alarmId: 'AR8M3KD5W', condition: 'ph:range', start: at(17, 12), end: at(17, 18, 15) }],
    },
  ],
  waste: {
    collections: 97,
    byWasteStream: { kitchen: 31, recyclable: 22, residual: 44 },
    townships: [
      {
        township: 'Dabudar',
        collections: 26,
        byWasteStream: { kitchen: 12, residual: 14 },
        overflowEvents: 2,
        fireEvents: 0,
        meanFillAtCollectionPct: 81.4,
        binsOverflowedBeforeCollection: 1,
      },
      {
        township: 'Tashkurgan Town',
        collections: 61,
        byWasteStream: { kitchen: 19, recyclable: 22, residual: 20 },
        overflowEvents: 3,
        fireEvents: 1,
        meanFillAtCollectionPct: 76.25,
        binsOverflowedBeforeCollection: 2,
      },
      {
        township: 'Tiznap',
        collections: 10,
        byWasteStream: { residual: 10 },
        overflowEvents: 0,
        fireEvents: 0,
        meanFillAtCollectionPct: 68.9,
        binsOverflowedBeforeCollection: 0,
      },
    ],
  },
  notes: [
    'Compliance counts valid samples of metrics with a limit; samples flagged by the quality gate are excluded and listed under sensor faults.',
    'Completeness excludes maintenance and known outages; the excluded windows are listed per device.',
  ],
};

/** `items[i]`, which must exist (the fixture's lists are known; a missing one is a broken test, said plainly). */
export function nth<T>(items: readonly T[], i: number): T {
  const item = items[i];
  if (item === undefined) throw new Error(`no item ${i} (of ${items.length})`);
  return item;
}
