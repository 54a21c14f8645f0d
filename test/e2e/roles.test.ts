import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime';
import { publishAs } from '../helpers/mqtt';
import { apiClient, startTestRuntime } from '../helpers/runtime';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const DEVICE = 'wq-town-outlet';
const named = [
  { name: 'clerk-wang', role: 'viewer', token: 'viewer-wang-0123456789abcdef' },
  { name: 'crew-ali', role: 'sanitation', token: 'crew-ali-0123456789abcdef' },
];

describe('roles through the local HTTP server (named tokens in api-tokens.json)', () => {
  let dir: string;
  let runtime: LocalRuntime;
  let api: ReturnType<typeof apiClient>;
  let alarmId: string;

  async function post(path: string, body: unknown, token: string) {
    const res = await fetch(`${api.base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    dir = await makeTempDir('pamir-roles-');
    await writeFile(join(dir, 'api-tokens.json'), JSON.stringify(named));
    runtime = await startTestRuntime(dir);
    api = apiClient(runtime);
    const t0 = Date.now() - 5 * 60_000;
    await publishAs(
      runtime,
      DEVICE,
      [0.6, 0.08, 0.07, 0.07].map((c, i) => ({
        topic: `dt/water/${DEVICE}`,
        payload: JSON.stringify({ v: 1, ts: t0 + i * 60_000, seq: i, m: { free_chlorine_mg_l: c, ph: 7.3 } }),
      })),
    );
    await runtime.router.idle();
    const list = await api.get<{ items: { alarmId: string }[] }>(`/alarms?deviceId=${DEVICE}`);
    alarmId = list.body.items[0]?.alarmId as string;
  });

  afterAll(async () => {
    await runtime?.stop();
    await removeTempDir(dir);
  });

  it('reads the named tokens at start, beside the generated admin token', () => {
    expect(runtime.namedTokens.map((t) => `${t.name}:${t.role}`)).toEqual([
      'clerk-wang:viewer',
      'crew-ali:sanitation',
    ]);
    expect(alarmId).toMatch(/^A/);
  });

  it('lets a viewer read, refuses its acknowledgement with 403, and a wrong token with 401', async () => {
    expect((await api.get('/alarms', named[0]?.token)).status).toBe(200);
    const ack = await post(`/alarms/${alarmId}/ack`, { by: 'clerk-wang' }, named[0]?.token as string);
    expect(ack).toEqual({
      status: 403,
      body: {
        message: expect.stringMatching(
          /needs the role sanitation, operator, engineer or admin.*you are viewer/,
        ),
      },
    });
    expect((await api.get('/alarms', 'viewer-wang-0123456789abcdeX')).status).toBe(401);
    expect((await api.get('/subscriptions', named[0]?.token)).status).toBe(403);
  });

  it('keeps a sanitation crew off a water alarm', async () => {
    const ack = await post(`/alarms/${alarmId}/ack`, { by: 'crew-ali' }, named[1]?.token as string);
    expect(ack.status).toBe(403);
    expect(ack.body.message).toMatch(/goes to operators/);
  });

  it('takes the acknowledgement from the admin token and records it as the local administrator', async () => {
    const ack = await post(
      `/alarms/${alarmId}/ack`,
      { by: 'local-admin', comment: 'seen' },
      runtime.apiToken,
    );
    expect(ack).toMatchObject({ status: 200, body: { state: 'active_ack', ackedBy: 'local-admin' } });
  });

  it('refuses to start with a bad tokens file, naming the entry', async () => {
    const other = await makeTempDir('pamir-roles-bad-');
    try {
      await writeFile(
        join(other, 'api-tokens.json'),
        JSON.stringify([{ name: 'driver-zhou', role: 'driver', token: 'driver-zhou-0123456789' }]),
      );
      await expect(startTestRuntime(other)).rejects.toThrow(
        /api-tokens.json is invalid:\n {2}entry 1 \("driver-zhou"\): role: must be one of/,
      );
    } finally {
      await removeTempDir(other);
    }
  });
});
