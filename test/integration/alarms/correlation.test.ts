import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InMemoryServiceMetrics } from '../../../functions/adapters/in-memory-metrics';
import { ingestDeps } from '../../../functions/composition';
import type { Device } from '../../../functions/core/registry';
import { ingestTelemetry } from '../../../functions/use-cases/ingest-telemetry';
import { type Harness, startHarness } from './harness';

const START = Date.UTC(2026, 10, 28, 2, 0, 0);
const MIN = 60_000;

const outlet: Device = {
  id: 'wq-outlet',
  kind: 'water',
  siteId: 'plant-a',
  siteName: 'Plant A',
  siteType: 'water_plant',
  township: 'Town',
  supplyClass: 'standard',
  disinfectant: 'free_chlorine',
  measurementPoint: 'plant_outlet',
  intervalS: 60,
  location: { lat: 37.7, lon: 75.2 },
};

/** One queue message of `chlorine` readings a minute apart from START, as the IoT rule wraps it. */
const message = (messageId: string, chlorine: number[], receivedAt: number) => ({
  messageId,
  body: JSON.stringify({
    topic: `dt/water/${outlet.id}`,
    clientId: outlet.id,
    receivedAt,
    payload: Buffer.from(
      JSON.stringify({
        v: 1,
        samples: chlorine.map((c, i) => ({
          ts: START + i * MIN,
          seq: i,
          m: { free_chlorine_mg_l: c, ph: 7.2 },
        })),
      }),
    ).toString('base64'),
  }),
});

describe('correlation id and metrics from queue message to alarm to SMS, against dynalite', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness([outlet], START);
  });
  afterEach(async () => {
    await h.stop();
  });

  it('carries the message id onto the alarm, its history entry, its SMS and the notification record', async () => {
    h.clock.t = START + 5 * MIN;
    const result = await ingestTelemetry(
      [message('sqs-msg-1', [0.6, 0.1, 0.1, 0.08], h.clock.now())],
      ingestDeps(h.service),
    );
    expect(result.failedMessageIds).toEqual([]);

    expect(h.sent.map((n) => [n.kind, n.correlationId])).toEqual([['raised', 'sqs-msg-1']]);
    const [open] = (await h.service.alarms.list({ status: 'open', limit: 10 })).items;
    const detail = await h.service.alarms.get(open?.alarmId as string);
    expect(detail?.correlationId).toBe('sqs-msg-1');
    expect(detail?.history.map((e) => [e.to, e.correlationId])).toEqual([['active_unack', 'sqs-msg-1']]);
    expect(detail?.notifications.map((r) => [r.kind, r.correlationId])).toEqual([['raised', 'sqs-msg-1']]);

    const metrics = h.service.metrics as InMemoryServiceMetrics;
    expect(metrics.total('samplesStored')).toBe(4);
    expect(metrics.counts.get('AlarmsRaised|critical')).toBe(1);
    expect(metrics.total('smsSent')).toBe(1);
    expect(metrics.total('smsFailed')).toBe(0);
  });

  it('keeps the first message id on a deferred message sent back to the queue', async () => {
    h.clock.t = START + 5 * MIN;
    const requeued: string[] = [];
    const deps = {
      ...ingestDeps(h.service, {
        requeue: { requeue: async (b: readonly string[]) => void requeued.push(...b) },
      }),
      budget: { maxDeviceSamples: 1 },
    };
    const first = await ingestTelemetry(
      [message('sqs-ok', [0.6], h.clock.now()), message('sqs-first', [0.6, 0.1, 0.1, 0.08], h.clock.now())],
      deps,
    );
    expect(first.outcomes.map((o) => o.status)).toEqual(['stored', 'deferred']);
    expect(first.failedMessageIds).toEqual([]);
    expect(h.sent).toEqual([]);

    const again = await ingestTelemetry([{ messageId: 'sqs-second', body: requeued[0] as string }], deps);

    expect(again.failedMessageIds).toEqual([]);
    expect(h.sent.map((n) => n.correlationId)).toEqual(['sqs-first']);
  });
});
