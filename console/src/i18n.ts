import type { SiteState } from '../../functions/api/console-types';
import type { Severity } from '../../functions/core/alarm-types';

/** The console's two languages. */
export type Lang = 'zh' | 'en';

const STORAGE_KEY = 'pamir.lang';

/** Shared words: navigation, states, severities and buttons. Each page keeps its own strings beside it. */
export const WORDS = {
  zh: {
    app: '帕米尔水务监测',
    nav: {
      overview: '总览',
      alarms: '告警',
      bins: '垃圾桶',
      quarantine: '隔离消息',
      deadLetters: '死信',
      health: '设备健康',
      subscriptions: '短信订阅',
      reports: '报告',
    },
    state: {
      unsafe: '不安全',
      warning: '预警',
      sensor_fault: '传感器故障',
      offline: '离线',
      maintenance: '维护中',
      safe: '安全',
      no_data: '无数据',
    } satisfies Record<SiteState, string>,
    severity: {
      critical: '严重',
      warning: '警告',
      sensor_fault: '传感器故障',
      device: '设备',
    } satisfies Record<Severity, string>,
    alarmState: {
      active_unack: '未确认',
      active_ack: '已确认',
      cleared_unack: '已恢复未确认',
      closed: '已关闭',
    },
    button: {
      ack: '确认',
      shelve: '搁置',
      cancel: '取消',
      submit: '提交',
      signIn: '登录',
      signOut: '退出',
      reset: '重置缩放',
      retry: '重试',
    },
    role: { viewer: '查看者', sanitation: '环卫', operator: '操作员', engineer: '工程师', admin: '管理员' },
    loading: '加载中…',
    switchLang: 'English',
    switchLangLabel: '切换到英文',
    ago: (text: string) => `${text}前`,
    never: '从未',
    error: '出错了',
    notFound: '页面不存在',
    notPermitted: '您的角色无权查看此页面',
    skip: '跳到内容',
    close: '关闭',
    menu: '菜单',
  },
  en: {
    app: 'Pamir Telemetry',
    nav: {
      overview: 'Overview',
      alarms: 'Alarms',
      bins: 'Bins',
      quarantine: 'Quarantine',
      deadLetters: 'Dead letters',
      health: 'Device health',
      subscriptions: 'SMS subscriptions',
      reports: 'Reports',
    },
    state: {
      unsafe: 'Unsafe',
      warning: 'Early warning',
      sensor_fault: 'Sensor fault',
      offline: 'Offline',
      maintenance: 'Maintenance',
      safe: 'Safe',
      no_data: 'No data',
    } satisfies Record<SiteState, string>,
    severity: {
      critical: 'Critical',
      warning: 'Warning',
      sensor_fault: 'Sensor fault',
      device: 'Device',
    } satisfies Record<Severity, string>,
    alarmState: {
      active_unack: 'Unacknowledged',
      active_ack: 'Acknowledged',
      cleared_unack: 'Cleared, unacknowledged',
      closed: 'Closed',
    },
    button: {
      ack: 'Acknowledge',
      shelve: 'Shelve',
      cancel: 'Cancel',
      submit: 'Submit',
      signIn: 'Sign in',
      signOut: 'Sign out',
      reset: 'Reset zoom',
      retry: 'Retry',
    },
    role: {
      viewer: 'viewer',
      sanitation: 'sanitation',
      operator: 'operator',
      engineer: 'engineer',
      admin: 'admin',
    },
    loading: 'Loading…',
    switchLang: '中文',
    switchLangLabel: 'Switch to Chinese',
    ago: (text: string) => `${text} ago`,
    never: 'never',
    error: 'Something went wrong',
    notFound: 'No such page',
    notPermitted: 'Your role may not see this page',
    skip: 'Skip to content',
    close: 'Close',
    menu: 'Menu',
  },
} as const;

/** Words of one language. */
export type Words = (typeof WORDS)[Lang];

/** The saved choice, else the browser's language (Chinese for any zh-*), else English. */
function initialLang(saved: string | null, browserLanguages: readonly string[]): Lang {
  if (saved === 'zh' || saved === 'en') return saved;
  for (const tag of browserLanguages) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'zh') return 'zh';
    if (primary === 'en') return 'en';
  }
  return 'en';
}

/** The language chosen before in this browser, or the browser's own. */
export function loadLang(): Lang {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be off (private mode, policy); the browser's language still applies.
  }
  return initialLang(saved, navigator.languages?.length ? navigator.languages : [navigator.language]);
}

/** Remembers the choice and points `<html lang>` at it, so screen readers and fonts follow. */
export function applyLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered; the switch still works for this visit.
  }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

/** "3 min", "2 h", "4 d" (or the Chinese), for how old a value is. */
export function formatAge(ms: number | null, lang: Lang): string {
  if (ms === null || !Number.isFinite(ms)) return WORDS[lang].never;
  const s = Math.max(0, Math.round(ms / 1000));
  const zh = lang === 'zh';
  let text: string;
  if (s < 60) text = zh ? `${s} 秒` : `${s} s`;
  else if (s < 3600) text = zh ? `${Math.round(s / 60)} 分钟` : `${Math.round(s / 60)} min`;
  else if (s < 172_800) text = zh ? `${Math.round(s / 3600)} 小时` : `${Math.round(s / 3600)} h`;
  else text = zh ? `${Math.round(s / 86_400)} 天` : `${Math.round(s / 86_400)} d`;
  return WORDS[lang].ago(text);
}

/** A time in the county's zone (China Standard Time), as an operator reads a clock on the wall. */
export function formatTime(t: number | string | null | undefined, lang: Lang): string {
  if (t === null || t === undefined) return '—';
  const date = new Date(t);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** A measured value with sensible precision. */
export function formatValue(v: number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? '1' : '0';
  const abs = Math.abs(v);
  return abs >= 100 ? v.toFixed(0) : abs >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** The metric's name for people: `free_chlorine_mg_l` → "free chlorine (mg/L)" / "游离氯 (mg/L)". */
export function metricLabel(metric: string, lang: Lang): string {
  const known = METRIC_NAMES[metric];
  if (known) return known[lang];
  return metric.replace(/_/g, ' ');
}

const METRIC_NAMES: Record<string, Record<Lang, string>> = {
  free_chlorine_mg_l: { zh: '游离氯 (mg/L)', en: 'Free chlorine (mg/L)' },
  total_chlorine_mg_l: { zh: '总氯 (mg/L)', en: 'Total chlorine (mg/L)' },
  chlorine_dioxide_mg_l: { zh: '二氧化氯 (mg/L)', en: 'Chlorine dioxide (mg/L)' },
  ph: { zh: 'pH', en: 'pH' },
  turbidity_ntu: { zh: '浑浊度 (NTU)', en: 'Turbidity (NTU)' },
  temperature_c: { zh: '水温 (°C)', en: 'Temperature (°C)' },
  conductivity_us_cm: { zh: '电导率 (µS/cm)', en: 'Conductivity (µS/cm)' },
  pressure_kpa: { zh: '压力 (kPa)', en: 'Pressure (kPa)' },
  nitrate_n_mg_l: { zh: '硝酸盐氮 (mg/L)', en: 'Nitrate-N (mg/L)' },
  fluoride_mg_l: { zh: '氟化物 (mg/L)', en: 'Fluoride (mg/L)' },
  codmn_mg_l: { zh: '耗氧量 (mg/L)', en: 'CODMn (mg/L)' },
  ammonia_n_mg_l: { zh: '氨氮 (mg/L)', en: 'Ammonia-N (mg/L)' },
  tds_mg_l: { zh: '溶解性总固体 (mg/L)', en: 'TDS (mg/L)' },
  dissolved_oxygen_mg_l: { zh: '溶解氧 (mg/L)', en: 'Dissolved oxygen (mg/L)' },
  battery_pct: { zh: '电量 (%)', en: 'Battery (%)' },
  orp_mv: { zh: '氧化还原电位 (mV)', en: 'ORP (mV)' },
  fill_pct: { zh: '满溢度 (%)', en: 'Fill (%)' },
  level_pct: { zh: '液位 (%)', en: 'Level (%)' },
};

/** `YYYY-MM-DDTHH:mm` in the browser's zone, as a datetime-local input holds it (and `new Date(value)` reads back). */
export function localInput(t: number): string {
  return new Date(t - new Date(t).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}
