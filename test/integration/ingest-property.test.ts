import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoDeviceRegistry } from '../../functions/adapters/dynamodb/device-registry';
import { DynamoQuarantineStore } from '../../functions/adapters/dynamodb/quarantine-store';
import { DynamoReadingStore } from '../../functions/adapters/dynamodb/reading-store';
import { fromReadingItem } from '../../functions/core/reading-item';
import { parseTelemetry } from '../../functions/core/telemetry';
import { type IngestRecord, ingestTelemetry } from '../../functions/use-cases/ingest-telemetry';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../infra/local/dynamo';
import { envelopeBody } from '../helpers/aws-events';
import { fixedClock } from '../helpers/fakes';
import { hostilePayload } from '../helpers/hostile';
import { DAY, singlePayload, T0, waterDevice } from '../helpers/telemetry';

let dynamo: LocalDynamo;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  dynamo = await startLocalDynamo({});
  doc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
});

afterAll(async () => {
  doc?.destroy();
  await dynamo?.stop();
});

const RECEIVED = T0 + 1_000;

/** The real DynamoDB adapters over this file's dynalite. */
const stores = () => ({
  registry: new DynamoDeviceRegistry(doc, dynamo.tableNames.devices),
  readings: new DynamoReadingStore(doc, dynamo.tableNames.readings),
  quarantine: new DynamoQuarantineStore(doc, dynamo.tableNames.quarantine, 90),
});
const everything = { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1000 };

/**
 * The same property as the unit suite, through the real adapters against dynalite: whatever the hostile message,
 * the good messages of its batch are stored, nothing is retried, and every sample the contract accepts reads back
 * exactly as it was parsed (so the accepted range is one DynamoDB and the SDK really hold).
 */
describe('ingest against dynalite, for any hostile message in a batch of good ones', () => {
  it('stores every good message, and stores the other exactly or quarantines it whole', async () => {
    const { registry, readings, quarantine } = stores();
    const deps = { registry, readings, quarantine, retentionDays: 400, clock: fixedClock(RECEIVED) };
    let run = 0;

    await fc.assert(
      fc.asyncProperty(hostilePayload(RECEIVED), fc.nat({ max: 5 }), async (text, at) => {
        run++;
        const goodIds = [0, 1, 2].map((i) => `prop-${run}-g${i}`);
        const poisonId = `prop-${run}-p`;
        await registry.putMany([...goodIds, poisonId].map((id) => waterDevice(id)));
        const goods: IngestRecord[] = Array.from({ length: 5 }, (_, i) => {
          const device = goodIds[i % goodIds.length] as string;
          return {
            messageId: `good-${i}`,
            body: envelopeBody(`dt/water/${device}`, singlePayload(T0 - i * 60_000, i), device, RECEIVED),
          };
        });
        const payload = Buffer.from(text);
        const topic = `dt/water/${poisonId}`;
        const batch = [...goods];
        batch.splice(at, 0, { messageId: 'poison', body: envelopeBody(topic, payload, poisonId, RECEIVED) });

        const result = await ingestTelemetry(batch, deps);

        expect(result.failedMessageIds).toEqual([]);
        for (const device of goodIds) {
          const stored = (await readings.query({ deviceId: device, ...everything })).items;
          const sent = goods.filter((g) => g.body.includes(`"dt/water/${device}"`)).length;
          expect(stored).toHaveLength(sent);
        }
        const parsed = parseTelemetry({ topic, payload, clientId: poisonId, receivedAt: RECEIVED });
        const poisonItems = (await readings.query({ deviceId: poisonId, ...everything })).items;
        if (parsed.ok) {
          // Values equal after the round trip: no -0, no lost digits, nothing refused.
          expect(poisonItems.map((i) => fromReadingItem(i))).toEqual(
            parsed.message.samples.map((s) => ({ ...s, receivedAt: RECEIVED })),
          );
        } else {
          expect(poisonItems).toEqual([]);
          const entries = await quarantine.listRecent({
            limit: 10,
            deviceId: poisonId,
            days: 1,
            now: RECEIVED,
          });
          expect(entries.map((e) => e.reason)).toEqual([parsed.reason]);
          expect(Buffer.from(entries[0]?.payload ?? []).equals(payload)).toBe(true);
        }
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});

describe('the contract limits hold end to end against dynalite', () => {
  const cases: [string, string, string | undefined][] = [
    ['the largest safe integer', String(Number.MAX_SAFE_INTEGER), undefined],
    ['minus the largest safe integer', String(-Number.MAX_SAFE_INTEGER), undefined],
    ['1e-130, the smallest magnitude DynamoDB stores', '1e-130', undefined],
    ['-1e-130', '-1e-130', undefined],
    ['2.7e-17, float noise near zero', '2.7e-17', undefined],
    ['0.30000000000000004, 17 significant digits', '0.30000000000000004', undefined],
    ['-0, stored as 0', '-0', undefined],
    ['one past the largest safe integer', '9007199254740993', 'bad_value'],
    ['1e16', '1e16', 'bad_value'],
    ['9.99e-131, below DynamoDB', '9.99e-131', 'bad_value'],
    ['1e-200', '1e-200', 'bad_value'],
    ['5e-324', '5e-324', 'bad_value'],
  ];

  it.each(cases)('%s: %s is stored exactly or refused by the contract (%s)', async (_, value, reason) => {
    const { registry, readings, quarantine } = stores();
    const device = `limit-${value.replace(/[^0-9a-z]/gi, '_')}`;
    await registry.putMany([waterDevice(device)]);
    const payload = Buffer.from(`{"v":1,"ts":${T0},"seq":1,"m":{"flow_m3_h":${value},"ph":7}}`);

    const result = await ingestTelemetry(
      [{ messageId: 'm', body: envelopeBody(`dt/water/${device}`, payload, device, RECEIVED) }],
      { registry, readings, quarantine, retentionDays: 400, clock: fixedClock(RECEIVED) },
    );

    expect(result.failedMessageIds).toEqual([]);
    const items = (await readings.query({ deviceId: device, ...everything })).items;
    if (reason === undefined) {
      expect(items.map((i) => i.m.flow_m3_h)).toEqual([Number(value) === 0 ? 0 : Number(value)]);
      expect(Object.is(items[0]?.m.flow_m3_h, -0)).toBe(false);
    } else {
      expect(items).toEqual([]);
      expect(result.outcomes[0]).toMatchObject({ status: 'quarantined', reason });
    }
  });

  it.each([
    ['a ts 24 h after receipt', RECEIVED + DAY, undefined],
    ['ts 9e15', 9e15, 'ts_in_future'],
    ['ts -9e15', -9e15, 'ts_too_old'],
  ])('%s is stored or refused by the contract (%s)', async (_, ts, reason) => {
    const { registry, readings, quarantine } = stores();
    const device = `ts-${String(ts).replace(/[^0-9a-z]/gi, '_')}`;
    await registry.putMany([waterDevice(device)]);
    const payload = Buffer.from(`{"v":1,"ts":${ts},"seq":1,"m":{"ph":7}}`);

    const result = await ingestTelemetry(
      [{ messageId: 'm', body: envelopeBody(`dt/water/${device}`, payload, device, RECEIVED) }],
      { registry, readings, quarantine, retentionDays: 400, clock: fixedClock(RECEIVED) },
    );

    expect(result.failedMessageIds).toEqual([]);
    const items = (await readings.query({ deviceId: device, ...everything })).items;
    if (reason === undefined) expect(items.map((i) => i.ts)).toEqual([ts]);
    else {
      expect(items).toEqual([]);
      expect(result.outcomes[0]).toMatchObject({ status: 'quarantined', reason });
    }
  });
});

describe('storage refusing a message that passed the contract', () => {
  it('stores the others in the same invocation and quarantines it as storage_rejected, not retried', async () => {
    const { registry, readings, quarantine } = stores();
    await registry.putMany(['refuse-a', 'refuse-b', 'refuse-c'].map((id) => waterDevice(id)));
    // The contract never lets an item over DynamoDB's 400 KB limit through, so this adapter pads one message's item
    // past it: dynalite, like DynamoDB, answers the whole BatchWriteItem call with a ValidationException.
    const bloated = new DynamoReadingStore(doc, dynamo.tableNames.readings);
    const putItems = bloated.putItems.bind(bloated);
    bloated.putItems = (items) =>
      putItems(
        items.map((i) =>
          i.deviceId === 'refuse-b' ? { ...i, m: { ...i.m, pad: 'x'.repeat(410_000) } } : i,
        ) as never,
      );
    const body = (device: string) =>
      envelopeBody(`dt/water/${device}`, singlePayload(T0, 1), device, RECEIVED);

    const result = await ingestTelemetry(
      [
        { messageId: 'a', body: body('refuse-a') },
        { messageId: 'b', body: body('refuse-b') },
        { messageId: 'c', body: body('refuse-c') },
      ],
      { registry, readings: bloated, quarantine, retentionDays: 400, clock: fixedClock(RECEIVED) },
    );

    expect(result.failedMessageIds).toEqual([]);
    expect(result.outcomes.map((o) => o.status)).toEqual(['stored', 'quarantined', 'stored']);
    for (const device of ['refuse-a', 'refuse-c']) {
      expect((await readings.query({ deviceId: device, ...everything })).items).toHaveLength(1);
    }
    expect((await readings.query({ deviceId: 'refuse-b', ...everything })).items).toEqual([]);
    const entries = await quarantine.listRecent({ limit: 10, deviceId: 'refuse-b', days: 1, now: RECEIVED });
    expect(entries.map((e) => e.reason)).toEqual(['storage_rejected']);
    expect(entries[0]?.message).toContain('ValidationException');
  });
});
