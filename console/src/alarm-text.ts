import type { AlarmSummary } from '../../functions/api/types';
import { formatValue, type Lang, metricLabel } from './i18n';

/** What an alarm is about, in words: "Free chlorine (mg/L) 0.07, below the limit 0.3". */
export function alarmText(alarm: Pick<AlarmSummary, 'condition' | 'metric' | 'value' | 'limit'>, lang: Lang) {
  const zh = lang === 'zh';
  const [kind] = alarm.condition.split(':');
  const metric = alarm.metric ? metricLabel(alarm.metric, lang) : '';
  const value = typeof alarm.value === 'number' ? formatValue(alarm.value) : '';
  if (alarm.limit) {
    const below = alarm.limit.direction === 'min';
    const limit = formatValue(alarm.limit.value);
    return zh
      ? `${metric} ${value}，${below ? '低于' : '高于'}${kind === 'warn' ? '预警值' : '限值'} ${limit}`
      : `${metric} ${value}, ${below ? 'below' : 'above'} the ${kind === 'warn' ? 'warning level' : 'limit'} ${limit}`;
  }
  const KIND: Record<string, Record<Lang, string>> = {
    stuck: { zh: '读数卡住', en: 'reading stuck' },
    offline: { zh: '设备离线', en: 'device offline' },
    event: { zh: '水质突变事件', en: 'water-quality event' },
    drift: { zh: '传感器漂移', en: 'sensor drift' },
    spike: { zh: '读数突变', en: 'spike' },
    bin: { zh: '垃圾桶', en: 'bin' },
  };
  const what = KIND[kind ?? '']?.[lang] ?? alarm.condition;
  return [metric, what, value].filter(Boolean).join(zh ? ' ' : ', ');
}
