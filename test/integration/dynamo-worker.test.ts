import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import { LOCAL_AWS, startLocalDynamo } from '../../infra/local/dynamo';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('pamir-dynamo-worker-');
});
afterAll(async () => {
  if (dir) await removeTempDir(dir);
});

describe('dynalite on a worker thread', () => {
  it('serves the real SDK over HTTP, persists to disk and releases the database when stopped', async () => {
    const crashes: Error[] = [];
    const first = await startLocalDynamo({ dir, offThread: true, onCrash: (e) => void crashes.push(e) });
    const doc = documentClient({ endpoint: first.endpoint, ...LOCAL_AWS });
    await doc.send(
      new PutItemCommand({
        TableName: first.tableNames.devices,
        Item: { deviceId: { S: 'wq-1' }, kind: { S: 'water' } },
      }),
    );
    doc.destroy();
    await first.stop();

    // A second start on the same folder opens the same LevelDB: the first let go of its lock.
    const second = await startLocalDynamo({ dir, offThread: true, onCrash: (e) => void crashes.push(e) });
    const again = documentClient({ endpoint: second.endpoint, ...LOCAL_AWS });
    try {
      const out = await again.send(
        new GetItemCommand({ TableName: second.tableNames.devices, Key: { deviceId: { S: 'wq-1' } } }),
      );
      expect(out.Item).toEqual({ deviceId: { S: 'wq-1' }, kind: { S: 'water' } });
      expect(second.port).not.toBe(0);
    } finally {
      again.destroy();
      await second.stop();
    }
    // Stopping is not a crash.
    expect(crashes).toEqual([]);
  });

  it('fails to start with the reason when its port is taken', async () => {
    const holder = await startLocalDynamo({ offThread: true });
    try {
      await expect(startLocalDynamo({ offThread: true, port: holder.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await holder.stop();
    }
  });
});
