import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StorageRejectedError } from '../../../functions/core/errors';
import { readingSortKey } from '../../../functions/core/reading-item';
import { parseTelemetry } from '../../../functions/core/telemetry';
import { type IngestRecord, ingestTelemetry } from '../../../functions/use-cases/ingest-telemetry';
import { envelopeBody } from '../../helpers/aws-events';
import {
  fixedClock,
  InMemoryDeviceRegistry,
  InMemoryQuarantineStore,
  InMemoryReadingStore,
} from '../../helpers/fakes';
import { hostilePayload } from '../../helpers/hostile';
import { binDevice, singlePayload, T0, waterDevice } from '../../helpers/telemetry';

const RECEIVED = T0 + 1_000;
const GOOD_DEVICES = ['g-0', 'g-1', 'g-2', 'g-3', 'g-4'];
const POISON_DEVICES = new Set(['wq-poison', 'bin-poison', 'wq-ghost']);

function world(storage: 'ok' | 'refuse' | 'transient') {
  const readings = new InMemoryReadingStore();
  const quarantine = new InMemoryQuarantineStore();
  const registry = new InMemoryDeviceRegistry([
    ...GOOD_DEVICES.map((id) => waterDevice(id)),
    waterDevice('wq-poison'),
    binDevice('bin-poison'),
  ]);
  if (storage !== 'ok') {
    // Storage refusing the poison's items, for good or for now, as DynamoDB refuses a whole BatchWriteItem call.
    readings.refuse = (item) =>
      !POISON_DEVICES.has(item.deviceId)
        ? undefined
        : storage === 'refuse'
          ? new StorageRejectedError('ValidationException: refused')
          : new Error('socket hang up');
  }
  const deps = { registry, readings, quarantine, retentionDays: 400, clock: fixedClock(RECEIVED) };
  return { readings, quarantine, deps };
}

const goodRecord = (i: number, device: string): IngestRecord => ({
  messageId: `good-${i}`,
  body: envelopeBody(`dt/water/${device}`, singlePayload(T0 - i * 60_000, i), device, RECEIVED),
});

/** One arbitrary queue message: not an envelope, arbitrary bytes, or a hostile contract-v1 look-alike. */
const poisonRecord = fc
  .oneof(
    fc.string({ maxLength: 200 }).map((body) => ({ body, payload: undefined })),
    fc
      .record({
        bytes: fc.uint8Array({ maxLength: 300 }),
        topic: fc.constantFrom('dt/water/wq-poison', 'dt/bin/bin-poison', 'dt/water/wq-ghost'),
      })
      .map(({ bytes, topic }) => ({
        body: envelopeBody(topic, bytes, topic.split('/')[2], RECEIVED),
        payload: { topic, bytes, clientId: topic.split('/')[2] },
      })),
    fc
      .record({
        text: hostilePayload(RECEIVED),
        topic: fc.constantFrom('dt/water/wq-poison', 'dt/bin/wq-poison', 'dt/water/wq-ghost'),
        clientId: fc.constantFrom('wq-poison', 'g-0', undefined),
      })
      .map(({ text, topic, clientId }) => {
        const bytes = Buffer.from(text);
        return { body: envelopeBody(topic, bytes, clientId, RECEIVED), payload: { topic, bytes, clientId } };
      }),
  )
  .map((p) => ({ record: { messageId: 'poison', body: p.body } as IngestRecord, payload: p.payload }));

describe('ingest, for any message mixed into a batch of good ones', () => {
  it('stores the good ones exactly as alone, and stores, quarantines or retries the other whole', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...GOOD_DEVICES), { minLength: 1, maxLength: 20 }),
        poisonRecord,
        fc.nat(),
        fc.constantFrom('ok', 'refuse', 'transient' as const),
        async (devices, poison, at, storage) => {
          const goods = devices.map((d, i) => goodRecord(i, d));
          const alone = world(storage);
          await ingestTelemetry(goods, alone.deps);
          const mixed = world(storage);
          const batch = [...goods];
          batch.splice(at % (goods.length + 1), 0, poison.record);

          const result = await ingestTelemetry(batch, mixed.deps);

          const goodItems = [...mixed.readings.items].filter(([, i]) => !POISON_DEVICES.has(i.deviceId));
          expect(new Map(goodItems)).toEqual(alone.readings.items);
          expect(goodItems).toHaveLength(goods.length);
          for (const g of goods) {
            expect(result.outcomes.find((o) => o.messageId === g.messageId)?.status).toBe('stored');
          }
          expect(result.failedMessageIds.filter((id) => id !== 'poison')).toEqual([]);

          const poisonItems = [...mixed.readings.items.values()].filter((i) =>
            POISON_DEVICES.has(i.deviceId),
          );
          const outcome = result.outcomes.find((o) => o.messageId === 'poison');
          if (outcome?.status === 'stored') {
            const p = poison.payload;
            if (!p) throw new Error('a body that is not an envelope was stored');
            const parsed = parseTelemetry({ ...p, payload: p.bytes, receivedAt: RECEIVED });
            if (!parsed.ok) throw new Error(`stored a message the contract rejects: ${parsed.message}`);
            expect(poisonItems.map((i) => [i.sk, i.m]).sort()).toEqual(
              parsed.message.samples.map((s) => [readingSortKey(s.ts, s.seq), s.m]).sort(),
            );
            expect(mixed.quarantine.entries).toEqual([]);
          } else {
            expect(poisonItems).toEqual([]);
            if (outcome?.status === 'quarantined') {
              expect(mixed.quarantine.entries).toHaveLength(1);
              const raw = poison.payload?.bytes ?? Buffer.from(poison.record.body);
              expect(Buffer.from(mixed.quarantine.entries[0]?.payload ?? []).equals(Buffer.from(raw))).toBe(
                true,
              );
            } else {
              expect(outcome?.status).toBe('retry');
              expect(storage).toBe('transient');
              expect(result.failedMessageIds).toEqual(['poison']);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
