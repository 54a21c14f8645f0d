import type { Alarm } from '../core/alarm';

/** What consoles see of an alarm change: the alarm's identity and state, what happened and when. */
export type AlarmEvent = Pick<
  Alarm,
  'alarmId' | 'deviceId' | 'siteId' | 'condition' | 'severity' | 'state' | 'value' | 'sampleTs'
> & {
  /** What happened, e.g. `raised`, `acknowledged`, `cleared`. */
  event: string;
  /** When, epoch ms. */
  at: number;
};

/** Live events for operator consoles; the adapter picks the MQTT topic (`evt/alarms/<siteId>`) from the contract. */
export interface LiveEvents {
  /** An alarm of the site changed; sent as JSON. */
  alarmChanged(siteId: string, event: AlarmEvent): Promise<void>;
}
