import type { EvalSample } from '../core/conditions';
import { logger } from '../shared/logger';
import type { AlarmEngine } from './alarm-engine';
import type { StoredMessage } from './ingest-telemetry';

const DEVICE_CONCURRENCY = 8;

/**
 * The ingest stage after storage: each device's new samples are evaluated in timestamp order (a backfilled batch
 * in order, late samples flagged). A device whose evaluation fails has its messages retried; storage and alarm
 * transitions are idempotent, so the retry repeats nothing.
 */
export function evaluateAlarmsStage(engine: AlarmEngine) {
  return async (stored: StoredMessage[]): Promise<Set<string>> => {
    const byDevice = new Map<string, { messages: StoredMessage[]; samples: EvalSample[] }>();
    for (const s of stored) {
      const entry = byDevice.get(s.device.id) ?? { messages: [], samples: [] };
      entry.messages.push(s);
      for (const sample of s.message.samples) entry.samples.push({ ...sample, receivedAt: s.receivedAt });
      byDevice.set(s.device.id, entry);
    }
    const failed = new Set<string>();
    const queue = [...byDevice.values()];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { messages, samples } = next;
        const device = (messages[0] as StoredMessage).device;
        try {
          await engine.evaluateDevice(device, samples);
        } catch (err) {
          logger.error('alarm evaluation failed; messages will be retried', {
            deviceId: device.id,
            error: err as Error,
          });
          for (const m of messages) failed.add(m.messageId);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DEVICE_CONCURRENCY, queue.length) }, worker));
    return failed;
  };
}
