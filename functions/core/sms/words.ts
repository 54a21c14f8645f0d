import type { Severity } from '../alarm-types';
import { ownValue } from '../metrics';

export interface MetricWords {
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
export const POINTS: Readonly<Record<string, { zh: string; en: string }>> = {
  source: { zh: '水源水', en: 'source water' },
  plant_outlet: { zh: '出厂水', en: 'plant outlet' },
  network: { zh: '末梢水', en: 'network end' },
  tap: { zh: '龙头', en: 'tap' },
};

/** What a severity means, for water (a measurement point is known) and for other devices such as bins. */
export const LABELS: Readonly<
  Record<Severity, { zh: string; en: string; zhOther?: string; enOther?: string }>
> = {
  critical: { zh: '水质超标', en: 'unsafe water', zhOther: '告警', enOther: 'alarm' },
  warning: { zh: '水质预警', en: 'water warning', zhOther: '预警', enOther: 'warning' },
  sensor_fault: { zh: '传感器故障', en: 'sensor fault' },
  device: { zh: '设备异常', en: 'device alert' },
};

export function metricWords(metric: string | undefined): MetricWords | undefined {
  if (metric === undefined) return undefined;
  return ownValue(METRICS, metric) ?? { zh: metric, en: metric, unit: '' };
}
