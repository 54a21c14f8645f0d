import type { Alarm, AlarmDetail } from '../core/alarm';
import type { AlarmState, Severity } from '../core/alarm-types';

export interface AlarmFilter {
  status: 'open' | 'closed';
  state?: AlarmState;
  siteId?: string;
  deviceId?: string;
  severity?: Severity;
  limit: number;
  cursor?: string;
}

/** Alarms as people and the sweep look them up: pages of open or closed alarms, and one alarm with its history. */
export interface AlarmQueries {
  list(filter: AlarmFilter): Promise<{ items: Alarm[]; cursor?: string }>;
  /** The alarm with its newest `historyLimit` (default 100) transitions and notification records. */
  get(alarmId: string, historyLimit?: number): Promise<AlarmDetail | undefined>;
}
