import { BatchWriteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoQuarantineStore, QUARANTINE_SHARDS } from '../../functions/adapters/dynamodb/quarantine-store';
import type { QuarantineEntry } from '../../functions/ports/quarantine-store';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../infra/local/dynamo';
import { DAY, T0 } from '../helpers/telemetry';

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

const entry = (
  id: string,
  receivedAt: number,
  reason: QuarantineEntry['reason'] = 'not_json',
): QuarantineEntry => ({
  id,
  receivedAt,
  topic: 'dt/water/wq-1',
  deviceId: 'wq-1',
  reason,
  message: 'payload is not UTF-8 JSON',
  payload: Buffer.from(id),
});

/** An item as the store wrote it before sharding: the bare UTC day as partition key. */
const legacyItem = (id: string, at: number) => ({
  day: new Date(at).toISOString().slice(0, 10),
  sk: `${String(at).padStart(13, '0')}#${id}`,
  id,
  at,
  topic: 'dt/water/wq-1',
  deviceId: 'wq-1',
  reason: 'bad_shape',
  message: 'written before sharding',
  payload: Buffer.from(id),
  ttl: Math.floor(at / 1000) + 90 * 86_400,
});

async function listAll(
  store: DynamoQuarantineStore,
  query: { limit: number; reason?: QuarantineEntry['reason'] },
) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ ...query, now: T0 + DAY, days: 3, cursor });
    pages.push(page.items.map((e) => e.id));
    cursor = page.cursor;
  } while (cursor);
  return pages;
}

describe('sharded quarantine days against dynalite', () => {
  it('spreads one day over the shards and pages through them and the legacy partition newest first', async () => {
    const table = `${dynamo.tableNames.quarantine}`;
    const store = new DynamoQuarantineStore(doc, table, 90);
    // 60 entries over two days, one second apart, plus 6 legacy items in between.
    const entries = Array.from({ length: 60 }, (_, i) =>
      entry(`e${String(i).padStart(2, '0')}`, T0 + i * 1000 + (i >= 30 ? DAY : 0)),
    );
    await store.put(entries);
    const legacy = Array.from({ length: 6 }, (_, i) => legacyItem(`legacy${i}`, T0 + i * 1000 + 500));
    await doc.send(
      new BatchWriteCommand({ RequestItems: { [table]: legacy.map((Item) => ({ PutRequest: { Item } })) } }),
    );

    const keys = ((await doc.send(new ScanCommand({ TableName: table }))).Items ?? []).map((i) =>
      String(i.day),
    );
    const shards = new Set(keys.filter((k) => k.includes('#')));
    expect(shards.size).toBeGreaterThan(QUARANTINE_SHARDS / 2);
    for (const k of shards)
      expect(k).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2}#[0-${QUARANTINE_SHARDS - 1}]$`));

    const pages = await listAll(store, { limit: 7 });
    const expected = [
      ...entries.map((e) => ({ id: e.id, at: e.receivedAt })),
      ...legacy.map((l) => ({ id: l.id, at: l.at })),
    ]
      .sort((a, b) => b.at - a.at)
      .map((e) => e.id);
    expect(pages.flat()).toEqual(expected);
    expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
  });

  it('pages a filtered listing across shards and days without losing or repeating an entry', async () => {
    const store = new DynamoQuarantineStore(doc, dynamo.tableNames.quarantine, 90);
    const base = T0 - DAY;
    const entries = Array.from({ length: 40 }, (_, i) =>
      entry(`f${i}`, base + i * 1000, i % 3 === 0 ? 'wrong_kind' : 'bad_value'),
    );
    await store.put(entries);

    const pages = await listAll(store, { limit: 4, reason: 'wrong_kind' });

    expect(pages.flat()).toEqual(
      entries
        .filter((e) => e.reason === 'wrong_kind')
        .sort((a, b) => b.receivedAt - a.receivedAt)
        .map((e) => e.id),
    );
  });
});
