import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTables, LOCAL_AWS } from '../../infra/local/dynamo';
import type { LocalRuntime } from '../../infra/local/runtime';
import { publishAs } from '../helpers/mqtt';
import { apiClient, startTestRuntime } from '../helpers/runtime';
import { DAY, HOUR, MINUTE, singlePayload } from '../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const run = promisify(execFile);
const BASE = Math.floor((Date.now() - 2 * HOUR) / MINUTE) * MINUTE;
const DEVICE = 'wq-town-outlet';
const fast = { retryDelayMs: () => 1, maxBatchingWindowMs: 10 };

interface DeadLetterItem {
  id: string;
  deviceId?: string;
  topic: string;
  receiveCount: number;
  reason?: string;
}

let dir: string;
let runtime: LocalRuntime;

beforeAll(async () => {
  dir = await makeTempDir('pamir-dlq-');
  runtime = await startTestRuntime(dir, { router: fast });
});

afterAll(async () => {
  await runtime?.stop();
  await removeTempDir(dir);
});

function dynamo(rt: LocalRuntime) {
  return new DynamoDBClient({ endpoint: rt.dynamoEndpoint, ...LOCAL_AWS });
}

/** Makes every write of ingest fail (the readings table is gone) until `restore` puts it back. */
async function breakReadings(rt: LocalRuntime) {
  const client = dynamo(rt);
  await client.send(new DeleteTableCommand({ TableName: rt.service.config.READINGS_TABLE }));
  return async () => {
    await ensureTables(client, rt.service.config.READINGS_TABLE.replace(/readings$/, ''));
    client.destroy();
  };
}

async function readingSeqs(rt: LocalRuntime): Promise<number[]> {
  const res = await apiClient(rt).get<{ items: { seq: number }[] }>(
    `/devices/${DEVICE}/readings?from=${BASE - DAY}&to=${BASE + DAY}&limit=1000`,
  );
  expect(res.status).toBe(200);
  return res.body.items.map((i) => i.seq).sort((a, b) => a - b);
}

async function post(rt: LocalRuntime, path: string, body: unknown) {
  const res = await fetch(`http://127.0.0.1:${rt.httpPort}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rt.apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('dead letters, locally end to end', () => {
  it('a message that fails every delivery is listed by GET /dead-letters and stored after a redrive', async () => {
    const api = apiClient(runtime);
    const restore = await breakReadings(runtime);
    await publishAs(runtime, DEVICE, [{ topic: `dt/water/${DEVICE}`, payload: singlePayload(BASE, 1) }]);
    await runtime.router.idle();

    const listed = await api.get<{ items: DeadLetterItem[]; total: number }>('/dead-letters');
    await restore();
    const id = listed.body.items[0]?.id as string;
    const redrive = await post(runtime, '/dead-letters/redrive', { ids: [id] });
    await runtime.router.idle();
    const after = await api.get<{ items: DeadLetterItem[]; total: number }>('/dead-letters');

    expect(listed.status).toBe(200);
    expect(listed.body.total).toBe(1);
    expect(listed.body.items[0]).toMatchObject({
      deviceId: DEVICE,
      topic: `dt/water/${DEVICE}`,
      receiveCount: 5,
    });
    expect(listed.body.items[0]?.reason).toEqual(expect.any(String));
    expect(redrive).toEqual({ status: 200, body: { moved: 1, notFound: [] } });
    expect(after.body).toEqual({ items: [], total: 0 });
    expect(await readingSeqs(runtime)).toEqual([1]);
  });

  it('answers 400 to a bad redrive body or a tampered cursor', async () => {
    const api = apiClient(runtime);
    const both = await post(runtime, '/dead-letters/redrive', { ids: ['a'], all: true });
    const neither = await post(runtime, '/dead-letters/redrive', {});
    const notJson = await fetch(`http://127.0.0.1:${runtime.httpPort}/dead-letters/redrive`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.apiToken}` },
      body: '{',
    });
    const tampered = await api.get('/dead-letters?cursor=not-a-cursor');

    expect([both.status, neither.status, notJson.status, tampered.status]).toEqual([400, 400, 400, 400]);
    expect(neither.body.message).toMatch(/either \{"ids"/);
    expect(tampered.body.message).toMatch(/cursor/);
  });

  it('npm run dlq lists and redrives while npm start is stopped; the next start ingests the redriven message', async () => {
    const restore = await breakReadings(runtime);
    await publishAs(runtime, DEVICE, [
      { topic: `dt/water/${DEVICE}`, payload: singlePayload(BASE + MINUTE, 2) },
    ]);
    await runtime.router.idle();
    await restore();
    await runtime.stop();
    const cli = (...args: string[]) =>
      run(join('node_modules', '.bin', 'tsx'), ['infra/bin/dlq.ts', ...args, '--data-dir', dir]);

    const listed = await cli('list', '--json');
    const redriven = await cli('redrive', '--all');
    const relisted = await cli('list', '--json');
    runtime = await startTestRuntime(dir, { router: fast });
    const recovered = runtime.recovered;
    await runtime.router.idle();

    const page = JSON.parse(listed.stdout) as { items: DeadLetterItem[]; total: number };
    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({ deviceId: DEVICE, receiveCount: 5 });
    expect(redriven.stdout).toMatch(/^1 moved back to ingest from .*dlq\.jsonl \(npm start is not running/);
    expect(JSON.parse(relisted.stdout)).toEqual({ items: [], total: 0 });
    expect(recovered).toBe(1);
    // Sample 1 went with the deleted table; sample 2 is the redriven one.
    expect(await readingSeqs(runtime)).toEqual([2]);
  });

  it('npm run dlq goes through the running runtime when npm start is running', async () => {
    const { stdout } = await run(join('node_modules', '.bin', 'tsx'), [
      'infra/bin/dlq.ts',
      'list',
      '--data-dir',
      dir,
    ]);

    expect(stdout).toContain(
      `dead letters in the running npm start (pid ${process.pid}, http://127.0.0.1:${runtime.httpPort})`,
    );
    expect(stdout).toContain('0 shown of 0');
  });
});
