import { CONTRACT_LIMITS, type MetricValue } from '../functions/contract';
import { roundMetrics } from './signals/common';

/** A sample as the device sends it: sequence number assigned, values still raw. */
export interface DeviceSample {
  ts: number;
  seq: number;
  m: Record<string, MetricValue>;
  batteryPct?: number;
}

function sampleJson(s: DeviceSample): Record<string, unknown> {
  const out: Record<string, unknown> = { ts: s.ts, seq: s.seq, m: roundMetrics(s.m) };
  if (s.batteryPct !== undefined) out.battery_pct = s.batteryPct;
  return out;
}

/** Contract v1, one sample: `{"v":1,"ts":…,"seq":…,"m":{…},"battery_pct":…}`. */
export function encodeSample(s: DeviceSample): string {
  return JSON.stringify({ v: 1, ...sampleJson(s) });
}

/** Contract v1, a batch: `{"v":1,"samples":[…]}`, each sample with its own battery reading. */
function encodeBatch(samples: readonly DeviceSample[]): string {
  return JSON.stringify({ v: 1, samples: samples.map(sampleJson) });
}

/**
 * Encodes samples as batches of at most `batchSize` (and at most the contract's 100 per message), halving a batch
 * that would exceed the contract's message size.
 */
export function encodeBatches(
  samples: readonly DeviceSample[],
  batchSize: number,
): { payload: string; samples: DeviceSample[] }[] {
  const size = Math.max(1, Math.min(batchSize, CONTRACT_LIMITS.maxSamplesPerMessage));
  const out: { payload: string; samples: DeviceSample[] }[] = [];
  const push = (chunk: DeviceSample[]) => {
    const payload = encodeBatch(chunk);
    if (Buffer.byteLength(payload) > CONTRACT_LIMITS.maxMessageBytes && chunk.length > 1) {
      const half = Math.ceil(chunk.length / 2);
      push(chunk.slice(0, half));
      push(chunk.slice(half));
    } else {
      out.push({ payload, samples: chunk });
    }
  };
  for (let i = 0; i < samples.length; i += size) push(samples.slice(i, i + size));
  return out;
}
