import type { RejectionReason } from '../functions/contract';
import type { Emission, SampleKey } from './device';

export interface MalformedResult {
  deviceId: string;
  /** The client that published it (a throwaway one for the wrong-topic case). */
  clientId: string;
  topic: string;
  payload: string;
  reason: RejectionReason;
  /** `refused`: the broker disconnected the publisher, as it should for another device's topic. */
  result: 'acked' | 'refused' | 'failed';
}

/** What the run delivered, kept for `--expect`: acknowledged samples, offline backlogs and malformed messages. */
export class RunRecord {
  /** Acknowledged samples per device, keyed `ts#seq` (a redelivered sample counts once). */
  readonly acked = new Map<string, Map<string, SampleKey>>();
  readonly backlog = new Map<string, SampleKey[]>();
  readonly malformed: MalformedResult[] = [];

  /** @param startedAt wall-clock start, epoch ms: entries the service made before it belong to earlier runs. */
  constructor(readonly startedAt: number) {}

  onAcked(e: Emission): void {
    if (e.type === 'malformed') return;
    let keys = this.acked.get(e.deviceId);
    if (!keys) {
      keys = new Map();
      this.acked.set(e.deviceId, keys);
    }
    for (const s of e.samples) keys.set(`${s.ts}#${s.seq}`, s);
    if (e.backlog) this.backlog.set(e.deviceId, [...(this.backlog.get(e.deviceId) ?? []), ...e.samples]);
  }

  onMalformed(e: Emission, result: MalformedResult['result']): void {
    if (!e.expectReason) return;
    this.malformed.push({
      deviceId: e.deviceId,
      clientId: e.rogueClientId ?? e.deviceId,
      topic: e.topic,
      payload: e.payload,
      reason: e.expectReason,
      result,
    });
  }

  /** Newest acknowledged sample time of a device. */
  newestTs(deviceId: string): number | undefined {
    let newest: number | undefined;
    for (const s of this.acked.get(deviceId)?.values() ?? [])
      if (newest === undefined || s.ts > newest) newest = s.ts;
    return newest;
  }
}
