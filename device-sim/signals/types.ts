import type { MetricValue } from '../../functions/contract';

/** One simulated reading before it gets a sequence number: raw (unrounded) values, rounded when encoded. */
export interface SignalSample {
  ts: number;
  m: Record<string, MetricValue>;
  batteryPct: number;
}
