import { createRequire } from 'node:module';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../infra/local/dynamo';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

/**
 * dynalite reads every Query and Scan through a LevelDB iterator. Unpatched, dynalite 4.0.0 never closes them (see
 * docs/upstream/dynalite-iterator-leak.md), so each request leaves one iterator, its native buffers and its snapshot
 * alive until the process ends. The patch in patches/ closes them; this suite fails without it.
 *
 * The database keeps open iterators in a private set and adds or removes them only through attachResource and
 * detachResource, so wrapping those two methods on the abstract-level class dynalite actually loads shows exactly
 * which iterators are open. The module is resolved along dynalite's own dependency path (dynalite → level →
 * classic-level → abstract-level), so a second copy elsewhere in node_modules cannot fool the count.
 */
interface LevelModule {
  AbstractLevel: { prototype: Record<'attachResource' | 'detachResource', (resource: object) => void> };
  AbstractIterator: abstract new (...args: never[]) => object;
  AbstractKeyIterator: abstract new (...args: never[]) => object;
  AbstractValueIterator: abstract new (...args: never[]) => object;
}

function abstractLevelOfDynalite(): LevelModule {
  const fromHere = createRequire(import.meta.url);
  const fromDynalite = createRequire(fromHere.resolve('dynalite'));
  const fromLevel = createRequire(fromDynalite.resolve('level'));
  const fromClassicLevel = createRequire(fromLevel.resolve('classic-level'));
  return fromClassicLevel('abstract-level') as LevelModule;
}

const level = abstractLevelOfDynalite();
const proto = level.AbstractLevel.prototype;
const original = { attach: proto.attachResource, detach: proto.detachResource };
const open = new Set<object>();
let created = 0;

const isIterator = (resource: object) =>
  resource instanceof level.AbstractIterator ||
  resource instanceof level.AbstractKeyIterator ||
  resource instanceof level.AbstractValueIterator;

const TABLE = 'iterator-leak';
const DEVICES = 5;
const ROWS_PER_DEVICE = 30;
const REQUESTS = 120;

let dir: string;
let dynamo: LocalDynamo;
let client: DynamoDBClient;

beforeAll(async () => {
  proto.attachResource = function (this: unknown, resource: object) {
    if (isIterator(resource)) {
      created++;
      open.add(resource);
    }
    return original.attach.call(this, resource);
  };
  proto.detachResource = function (this: unknown, resource: object) {
    open.delete(resource);
    return original.detach.call(this, resource);
  };
  // On disk, as `npm start` runs it: classic-level, the native LevelDB binding.
  dir = await makeTempDir('pamir-iterators-');
  dynamo = await startLocalDynamo({ dir });
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
        { AttributeName: 'site', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by-site',
          KeySchema: [
            { AttributeName: 'site', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  for (let d = 0; d < DEVICES; d++) {
    for (let start = 0; start < ROWS_PER_DEVICE; start += 25) {
      const rows = Array.from({ length: Math.min(25, ROWS_PER_DEVICE - start) }, (_, i) => ({
        PutRequest: {
          Item: { pk: { S: `dev-${d}` }, sk: { N: String(start + i) }, site: { S: 'site-a' } },
        },
      }));
      await client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: rows } }));
    }
  }
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
  proto.attachResource = original.attach;
  proto.detachResource = original.detach;
  if (dir) await removeTempDir(dir);
});

const query = (input: Partial<QueryCommandInput>, d: number): QueryCommandInput => ({
  TableName: TABLE,
  KeyConditionExpression: 'pk = :pk',
  ExpressionAttributeValues: { ':pk': { S: `dev-${d % DEVICES}` } },
  ...input,
});

/** The shapes the service sends: newest-first with a small Limit (latest sample, alarm history), a full read, a GSI. */
const requests: [string, (i: number) => QueryCommand | ScanCommand][] = [
  [
    'Query with Limit, newest first',
    (i) => new QueryCommand(query({ Limit: 1, ScanIndexForward: false }, i)),
  ],
  ['Query read to the end', (i) => new QueryCommand(query({}, i))],
  [
    'Query on a global secondary index with Limit',
    () =>
      new QueryCommand({
        TableName: TABLE,
        IndexName: 'by-site',
        KeyConditionExpression: 'site = :s',
        ExpressionAttributeValues: { ':s': { S: 'site-a' } },
        Limit: 10,
      }),
  ],
  ['Scan with Limit', () => new ScanCommand({ TableName: TABLE, Limit: 7 })],
];

describe('dynalite closes its LevelDB iterators (patches/dynalite+4.0.0.patch)', () => {
  it.each(requests)('%s: open iterators do not grow with the number of requests', async (_name, make) => {
    const createdBefore = created;
    for (let i = 0; i < REQUESTS; i++) {
      const out = await client.send(make(i) as QueryCommand);
      expect(out.Items?.length).toBeGreaterThan(0);
    }
    // The requests were observed: each one opened an iterator.
    expect(created - createdBefore).toBeGreaterThanOrEqual(REQUESTS);
    // Every response has been sent, so at most the last request's iterators may still be closing (two objects:
    // level's default value iterator wraps an entry iterator). Unpatched, every request leaves both open and this
    // count reaches 2 × REQUESTS per shape.
    expect(open.size).toBeLessThanOrEqual(2);
  });
});
