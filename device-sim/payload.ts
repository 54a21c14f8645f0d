import { CONTRACT_LIMITS, type DeviceKind, type MetricValue } from '../functions/core/contract';
import { TELEMETRY_RULES } from '../infra/wiring';
import { roundMetrics } from './signals/common';

/** A sample as the device sends it: sequence number assigned, values still raw. */
export interface DeviceSample {
  ts: number;
  seq: number;
  m: Record<string, MetricValue>;
  batteryPct?: number;
}

/**
 * The telemetry topic of a device, `dt/<kind>/<id>`, or with Basic Ingest `$aws/rules/<rule>/dt/<kind>/<id>`, which
 * hands the message straight to the IoT rule and skips the messaging charge.
 */
export function telemetryTopic(kind: DeviceKind, deviceId: string, basicIngest = false): string {
  const topic = `dt/${kind}/${deviceId}`;
  if (!basicIngest) return topic;
  const rule = TELEMETRY_RULES.find((r) => r.kind === kind);
  if (!rule) throw new Error(`no telemetry rule for device kind ${kind}`);
  return `$aws/rules/${rule.ruleName}/${topic}`;
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
export function encodeBatch(samples: readonly DeviceSample[]): string {
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
