import '../../helpers/quiet-logs';
import { describe, expect, it } from 'vitest';
import { readingSortKey } from '../../../functions/core/reading-item';
import { buildIngestHandler } from '../../../functions/handlers/ingest-handler';
import { envelopeBody, lambdaContext, sqsEvent, sqsRecord } from '../../helpers/aws-events';
import {
  fixedClock,
  InMemoryDeviceRegistry,
  InMemoryQuarantineStore,
  InMemoryReadingStore,
} from '../../helpers/fakes';
import { singlePayload, T0, waterDevice } from '../../helpers/telemetry';

function setup() {
  const readings = new InMemoryReadingStore();
  const quarantine = new InMemoryQuarantineStore();
  const handler = buildIngestHandler({
    registry: new InMemoryDeviceRegistry([waterDevice('wq-1'), waterDevice('wq-2')]),
    readings,
    quarantine,
    retentionDays: 400,
    clock: fixedClock(T0),
  });
  return { handler, readings, quarantine };
}

const body = (device: string, payload: Buffer) =>
  envelopeBody(`dt/water/${device}`, payload, device, T0 + 1_000);

describe('ingest handler (SQS event source)', () => {
  it('returns no batchItemFailures when every record is stored or quarantined', async () => {
    const { handler, readings, quarantine } = setup();
    const event = sqsEvent([
      sqsRecord(body('wq-1', singlePayload(T0, 1)), { messageId: 'a' }),
      sqsRecord(body('wq-1', Buffer.from('garbage')), { messageId: 'b' }),
      sqsRecord(body('wq-2', singlePayload(T0, 1)), { messageId: 'c', receiveCount: 3 }),
    ]);

    const response = await handler(event, lambdaContext('ingest'));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(readings.items.size).toBe(2);
    expect(quarantine.entries).toHaveLength(1);
  });

  it('returns the messageId of each record whose samples could not be written', async () => {
    const { handler, readings } = setup();
    readings.unwritable.add(`wq-2|${readingSortKey(T0, 7)}`);
    const event = sqsEvent([
      sqsRecord(body('wq-1', singlePayload(T0, 7)), { messageId: '059f36b4-87a3-44ab-83d2-661975830a7d' }),
      sqsRecord(body('wq-2', singlePayload(T0, 7)), { messageId: '2e1424d4-f796-459a-8184-9c92662be6da' }),
    ]);

    const response = await handler(event, lambdaContext('ingest'));

    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: '2e1424d4-f796-459a-8184-9c92662be6da' }],
    });
  });

  it('returns every accepted record as failed when DynamoDB is unavailable, and still quarantines the bad one', async () => {
    const { handler, readings, quarantine } = setup();
    readings.failWith = new Error('socket hang up');
    const event = sqsEvent([
      sqsRecord(body('wq-1', singlePayload(T0, 1)), { messageId: 'a' }),
      sqsRecord(body('wq-1', Buffer.from('{')), { messageId: 'b' }),
    ]);

    const response = await handler(event, lambdaContext('ingest'));

    expect(response?.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
    expect(quarantine.entries.map((e) => e.reason)).toEqual(['not_json']);
  });
});
