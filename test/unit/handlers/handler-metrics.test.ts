import '../../helpers/quiet-logs';
import { describe, expect, it } from 'vitest';
import { buildIngestHandler } from '../../../functions/handlers/ingest-handler';
import type { CountedEvent, ServiceMetrics } from '../../../functions/ports/metrics';
import { envelopeBody, lambdaContext, sqsEvent, sqsRecord } from '../../helpers/aws-events';
import {
  fixedClock,
  InMemoryDeviceRegistry,
  InMemoryQuarantineStore,
  InMemoryReadingStore,
} from '../../helpers/fakes';
import { singlePayload, T0, waterDevice } from '../../helpers/telemetry';

/** Records what is counted, and what each flush hands on. */
class FlushRecorder implements ServiceMetrics {
  private held: string[] = [];
  readonly flushed: string[][] = [];
  count(event: CountedEvent, n = 1): void {
    this.held.push(`${event.name}:${n}`);
  }
  flush(): void {
    this.flushed.push(this.held);
    this.held = [];
  }
}

const body = (payload: Buffer) => envelopeBody('dt/water/wq-1', payload, 'wq-1', T0 + 1_000);

describe('metrics in the ingest handler', () => {
  it('flushes once per invocation, after the batch, also when its messages fail', async () => {
    const metrics = new FlushRecorder();
    const registry = new InMemoryDeviceRegistry([waterDevice('wq-1')]);
    let down = false;
    const handler = buildIngestHandler({
      registry: {
        ...registry,
        get: async (id) => {
          if (down) throw new Error('registry down');
          return registry.get(id);
        },
      } as InMemoryDeviceRegistry,
      readings: new InMemoryReadingStore(),
      quarantine: new InMemoryQuarantineStore(),
      retentionDays: 400,
      clock: fixedClock(T0),
      metrics,
    });

    await handler(
      sqsEvent([
        sqsRecord(body(singlePayload(T0, 1)), { messageId: 'a' }),
        sqsRecord(body(Buffer.from('x')), { messageId: 'b' }),
      ]),
      lambdaContext('ingest'),
    );
    expect(metrics.flushed).toEqual([['samplesStored:1', 'messagesQuarantined:1']]);

    down = true;
    const failed = await handler(
      sqsEvent([sqsRecord(body(singlePayload(T0, 2)), { messageId: 'c' })]),
      lambdaContext('ingest'),
    );
    expect(failed?.batchItemFailures).toEqual([{ itemIdentifier: 'c' }]);
    expect(metrics.flushed).toHaveLength(2);
  });
});
