import { describe, expect, it } from 'vitest';
import type { CountedEvent, ServiceMetrics } from '../../../functions/ports/metrics';
import {
  type IngestDeps,
  type IngestRecord,
  ingestTelemetry,
} from '../../../functions/use-cases/ingest-telemetry';
import { envelopeBody } from '../../helpers/aws-events';
import {
  fixedClock,
  InMemoryDeviceRegistry,
  InMemoryQuarantineStore,
  InMemoryReadingStore,
} from '../../helpers/fakes';
import { batchPayload, MINUTE, T0, waterDevice } from '../../helpers/telemetry';

class RecordingMetrics implements ServiceMetrics {
  readonly counted: [CountedEvent, number][] = [];
  flushes = 0;
  count(event: CountedEvent, n = 1): void {
    this.counted.push([event, n]);
  }
  flush(): void {
    this.flushes++;
  }
}

function setup(overrides: Partial<IngestDeps> = {}) {
  const readings = new InMemoryReadingStore();
  const metrics = new RecordingMetrics();
  const requeued: string[] = [];
  const deps: IngestDeps = {
    registry: new InMemoryDeviceRegistry([waterDevice('wq-1'), waterDevice('wq-2')]),
    readings,
    quarantine: new InMemoryQuarantineStore(),
    retentionDays: 400,
    clock: fixedClock(T0 + 200 * 100 * MINUTE),
    metrics,
    requeue: { requeue: async (bodies) => void requeued.push(...bodies) },
    ...overrides,
  };
  return { deps, readings, metrics, requeued };
}

/** Message `i` of a backfill: 100 samples of `device`, following on from message i - 1. */
const backfill = (i: number, device = 'wq-1', attempt = 1): IngestRecord => ({
  messageId: `${device}-m${i}`,
  attempt,
  body: envelopeBody(
    `dt/water/${device}`,
    batchPayload(T0 + i * 100 * MINUTE, 100, i * 100),
    device,
    T0 + 200 * 100 * MINUTE,
  ),
});

describe('ingest budget: one invocation stays inside its timeout', () => {
  it('takes at most maxDeviceSamples of one device and re-enqueues the rest untried, failing none', async () => {
    const { deps, readings, requeued } = setup();
    const records = Array.from({ length: 100 }, (_, i) => backfill(i));

    const result = await ingestTelemetry(records, deps);

    expect(result.storedSamples).toBe(5_000);
    expect(readings.items.size).toBe(5_000);
    expect(result.failedMessageIds).toEqual([]);
    expect(result.outcomes.filter((o) => o.status === 'deferred')).toHaveLength(50);
    expect(requeued).toHaveLength(50);
    // A re-enqueued body is the same envelope, with the id of the message it first came in.
    expect(JSON.parse(requeued[0] as string)).toEqual({
      ...JSON.parse(backfill(50).body),
      correlationId: 'wq-1-m50',
    });
  });

  it('bounds each device on its own: other devices in the batch are not held back', async () => {
    const { deps } = setup({ budget: { maxDeviceSamples: 200 } });
    const records = [backfill(0), backfill(1), backfill(2), backfill(0, 'wq-2'), backfill(1, 'wq-2')];

    const result = await ingestTelemetry(records, deps);

    expect(result.outcomes.map((o) => [o.messageId, o.status])).toEqual([
      ['wq-1-m0', 'stored'],
      ['wq-1-m1', 'stored'],
      ['wq-1-m2', 'deferred'],
      ['wq-2-m0', 'stored'],
      ['wq-2-m1', 'stored'],
    ]);
  });

  it('stores and evaluates chunk by chunk, and defers what is left once the time budget is spent', async () => {
    let remaining = 20_000;
    const seen: number[] = [];
    const { deps, requeued } = setup({
      budget: { chunkDeviceSamples: 300 },
      remainingMs: () => remaining,
      afterStore: async (stored) => {
        seen.push(stored.length);
        remaining -= 6_000;
        return new Set();
      },
    });
    const records = Array.from({ length: 10 }, (_, i) => backfill(i));

    const result = await ingestTelemetry(records, deps);

    // Chunks of three messages; after two chunks less than reserveMs (10 s) is left.
    expect(seen).toEqual([3, 3]);
    expect(result.storedSamples).toBe(600);
    expect(requeued).toHaveLength(4);
    expect(result.failedMessageIds).toEqual([]);
  });

  it('reports deferred messages failed when they cannot be re-enqueued', async () => {
    const { deps } = setup({
      budget: { maxDeviceSamples: 100 },
      requeue: {
        requeue: async () => {
          throw new Error('queue unavailable');
        },
      },
    });

    const result = await ingestTelemetry([backfill(0), backfill(1)], deps);

    expect(result.failedMessageIds).toEqual(['wq-1-m1']);
    expect(result.outcomes[1]).toMatchObject({ status: 'deferred', requeued: false });
  });

  it('never defers a message on its last delivery, so deferral alone never dead-letters it', async () => {
    const { deps } = setup({ budget: { maxDeviceSamples: 100 }, requeue: undefined });

    const result = await ingestTelemetry([backfill(0), backfill(1, 'wq-1', 5)], deps);

    expect(result.outcomes.map((o) => o.status)).toEqual(['stored', 'stored']);
  });

  it('counts samples stored and messages quarantined by reason', async () => {
    const { deps, metrics } = setup();
    const bad: IngestRecord = {
      messageId: 'bad',
      body: envelopeBody('dt/water/wq-1', Buffer.from('nope'), 'wq-1', T0),
    };
    const unknown = backfill(0, 'wq-9');

    await ingestTelemetry([backfill(0), bad, unknown], deps);

    expect(metrics.counted).toEqual([
      [{ name: 'samplesStored' }, 100],
      [{ name: 'messagesQuarantined', reason: 'not_json' }, 1],
      [{ name: 'messagesQuarantined', reason: 'unknown_device' }, 1],
    ]);
  });
});
