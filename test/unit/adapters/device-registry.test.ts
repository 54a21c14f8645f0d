import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CachedDeviceRegistry } from '../../../functions/adapters/cached-device-registry';
import { DynamoDeviceRegistry } from '../../../functions/adapters/dynamodb/device-registry';
import { InMemoryDeviceRegistry } from '../../helpers/fakes';
import { waterDevice } from '../../helpers/telemetry';

const TABLE = 'pamir-devices';
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
const ddb = mockClient(DynamoDBDocumentClient);

beforeEach(() => ddb.reset());

describe('DynamoDB device registry', () => {
  it('gets a device from the devices table by deviceId and drops the key attribute', async () => {
    const device = waterDevice('wq-1');
    ddb.on(GetCommand).resolves({ Item: { ...device, deviceId: 'wq-1' } });
    const registry = new DynamoDeviceRegistry(doc, TABLE);

    const found = await registry.get('wq-1');

    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { deviceId: 'wq-1' },
    });
    expect(found).toEqual(device);
  });

  it('returns undefined for an unknown device', async () => {
    ddb.on(GetCommand).resolves({});

    expect(await new DynamoDeviceRegistry(doc, TABLE).get('nobody')).toBeUndefined();
  });

  it('writes devices with their id as the deviceId key', async () => {
    ddb.on(BatchWriteCommand).resolves({});

    await new DynamoDeviceRegistry(doc, TABLE).putMany([waterDevice('wq-1'), waterDevice('wq-2')]);

    const put = ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.[TABLE] ?? [];
    expect(put.map((r) => r.PutRequest?.Item?.deviceId)).toEqual(['wq-1', 'wq-2']);
  });

  it('lists devices across scan pages with the filter as a FilterExpression, sorted by id', async () => {
    ddb
      .on(ScanCommand)
      .resolvesOnce({
        Items: [{ ...waterDevice('wq-2'), deviceId: 'wq-2' }],
        LastEvaluatedKey: { deviceId: 'wq-2' },
      })
      .resolves({ Items: [{ ...waterDevice('wq-1'), deviceId: 'wq-1' }] });

    const devices = await new DynamoDeviceRegistry(doc, TABLE).list({ kind: 'water' });

    const scans = ddb.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(scans[0]).toMatchObject({ TableName: TABLE, FilterExpression: '#kind = :kind' });
    expect(scans[1]?.ExclusiveStartKey).toEqual({ deviceId: 'wq-2' });
    expect(devices.map((d) => d.id)).toEqual(['wq-1', 'wq-2']);
  });

  it('sets maintenance only on an existing device and returns undefined for an unknown one', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    const result = await new DynamoDeviceRegistry(doc, TABLE).setMaintenance('nobody', true, 'sensor swap');

    expect(result).toBeUndefined();
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      TableName: TABLE,
      Key: { deviceId: 'nobody' },
      ConditionExpression: 'attribute_exists(deviceId)',
    });
  });
});

describe('cached device registry', () => {
  function counting(inner: InMemoryDeviceRegistry) {
    let reads = 0;
    const wrapped = Object.assign(Object.create(inner) as InMemoryDeviceRegistry, {
      get: (id: string) => {
        reads++;
        return inner.get(id);
      },
    });
    return { wrapped, reads: () => reads };
  }

  it('reads a known device once within the TTL', async () => {
    const { wrapped, reads } = counting(new InMemoryDeviceRegistry([waterDevice('wq-1')]));
    let now = 0;
    const cached = new CachedDeviceRegistry(wrapped, { now: () => now }, 60_000, 10_000);

    await cached.get('wq-1');
    now = 59_999;
    await cached.get('wq-1');
    const withinTtl = reads();
    now = 60_000;
    await cached.get('wq-1');

    expect(withinTtl).toBe(1);
    expect(reads()).toBe(2);
  });

  it('sees a newly registered device once the shorter negative TTL has passed', async () => {
    const inner = new InMemoryDeviceRegistry();
    let now = 0;
    const cached = new CachedDeviceRegistry(inner, { now: () => now }, 60_000, 10_000);
    await cached.get('wq-new');
    await inner.putMany([waterDevice('wq-new')]);

    const before = await cached.get('wq-new');
    now = 10_000;
    const after = await cached.get('wq-new');

    expect(before).toBeUndefined();
    expect(after?.id).toBe('wq-new');
  });

  it('forgets a device whose maintenance flag it changed', async () => {
    const cached = new CachedDeviceRegistry(new InMemoryDeviceRegistry([waterDevice('wq-1')]), {
      now: () => 0,
    });
    await cached.get('wq-1');

    await cached.setMaintenance('wq-1', true, 'calibration');

    expect((await cached.get('wq-1'))?.maintenance).toBe(true);
  });
});
