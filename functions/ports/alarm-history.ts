import type { Alarm } from '../core/alarm';

/** Alarms by the time the service raised them, for reports over a period. */
export interface AlarmHistory {
  /** Every alarm of the status (`open` or `closed`) raised within [from, to] (service time), every page read. */
  raisedBetween(status: 'open' | 'closed', from: number, to: number): Promise<Alarm[]>;
}
