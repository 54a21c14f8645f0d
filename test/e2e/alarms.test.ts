import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime';
import { publishAs } from '../helpers/mqtt';
import { readOutbox as outbox } from '../helpers/outbox';
import { apiClient, startTestRuntime } from '../helpers/runtime';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

describe('safe-water alarms through the local runtime', () => {
  let dir: string;
  let runtime: LocalRuntime;
  let api: ReturnType<typeof apiClient>;
  // Recent enough that the samples are live data, not late.
  const t0 = Date.now() - 8 * 60_000;
  let seq = 0;

  async function publish(deviceId: string, samples: Record<string, number>[], start: number) {
    const payloads = samples.map((m, i) => ({
      topic: `dt/water/${deviceId}`,
      payload: JSON.stringify({ v: 1, ts: start + i * 60_000, seq: seq++, m }),
    }));
    await publishAs(runtime, deviceId, payloads);
    await runtime.router.idle();
  }

  // The people acting: the actor of a change is the token's name, so each posts with their own token.
  const tokens = {
    'operator-ma': { role: 'operator', token: 'operator-ma-token-0123456789' },
    'eng-li': { role: 'engineer', token: 'eng-li-token-0123456789abcdef' },
  };

  async function post(path: string, body: unknown, as: keyof typeof tokens) {
    const res = await fetch(`${api.base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[as].token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    dir = await makeTempDir();
    await writeFile(
      join(dir, 'api-tokens.json'),
      JSON.stringify(Object.entries(tokens).map(([name, t]) => ({ name, ...t }))),
    );
    runtime = await startTestRuntime(dir);
    api = apiClient(runtime);
  });
  afterAll(async () => {
    await runtime.stop();
    await removeTempDir(dir);
  });

  it('sends one SMS per recipient for chlorine loss at a plant outlet, takes the ack, and one clear SMS on recovery', async () => {
    const device = 'wq-town-outlet';
    await publish(
      device,
      [
        { free_chlorine_mg_l: 0.62, ph: 7.3 },
        { free_chlorine_mg_l: 0.6, ph: 7.31 },
      ],
      t0,
    );
    await publish(
      device,
      [0.08, 0.07, 0.07].map((c, i) => ({ free_chlorine_mg_l: c, ph: 7.3 + i / 100 })),
      t0 + 2 * 60_000,
    );

    const raised = (await outbox(runtime)).filter((l) => l.deviceId === device);
    const operators = raised.filter((l) => l.audience === 'operators');
    expect(operators.length).toBeGreaterThan(0);
    expect(new Set(operators.map((l) => l.to)).size).toBe(operators.length);
    expect(new Set(operators.map((l) => l.alarmId)).size).toBe(1);
    expect(operators.every((l) => l.severity === 'critical')).toBe(true);
    const zh = operators.find((l) => l.lang === 'zh');
    expect(zh?.text).toMatch(/游离氯0\.07/);
    expect(zh?.text.length).toBeLessThanOrEqual(70);

    const alarmId = operators[0]?.alarmId as string;
    const list = await api.get<{ items: { alarmId: string; state: string }[] }>(
      `/alarms?siteId=plant-town&severity=critical`,
    );
    expect(list.body.items).toEqual([expect.objectContaining({ alarmId, state: 'active_unack' })]);
    expect((await post(`/alarms/${alarmId}/ack`, { comment: 'no by' }, 'operator-ma')).status).toBe(400);
    const ack = await post(
      `/alarms/${alarmId}/ack`,
      { by: 'operator-ma', comment: 'chlorinator restarted' },
      'operator-ma',
    );
    expect(ack).toMatchObject({ status: 200, body: { state: 'active_ack', ackedBy: 'operator-ma' } });
    expect((await post(`/alarms/${alarmId}/ack`, { by: 'operator-ma' }, 'operator-ma')).status).toBe(409);

    await publish(device, [{ free_chlorine_mg_l: 0.55, ph: 7.32 }], t0 + 5 * 60_000);
    const after = (await outbox(runtime)).filter((l) => l.alarmId === alarmId);
    const clears = after.filter((l) => l.text !== operators.find((o) => o.to === l.to)?.text);
    expect(after).toHaveLength(operators.length * 2);
    expect(new Set(clears.map((l) => l.to))).toEqual(new Set(operators.map((l) => l.to)));

    const detail = await api.get<{
      state: string;
      history: { to: string }[];
      notifications: { kind: string }[];
    }>(`/alarms/${alarmId}`);
    expect(detail.body.state).toBe('closed');
    expect(detail.body.history.map((h) => h.to)).toEqual(['active_unack', 'active_ack', 'closed']);
    expect(detail.body.notifications.map((n) => n.kind)).toEqual(['raised', 'cleared']);
  });

  it('reports a stuck pH sensor to engineers as a sensor fault and sends nothing to operators', async () => {
    const device = 'wq-town-hospital';
    const before = (await outbox(runtime)).length;
    // The analyser moved well above its 0.01 resolution for 15 minutes, then froze: a run that channel never makes.
    const moving = Array.from({ length: 15 }, (_, i) => ({
      ph: 7.3 + ((i * 3) % 7) * 0.01,
      free_chlorine_mg_l: 0.3 + (i % 4) * 0.01,
      temperature_c: 5 + i * 0.05,
    }));
    await publish(
      device,
      [
        ...moving,
        ...Array.from({ length: 12 }, (_, i) => ({
          ph: 7.42,
          free_chlorine_mg_l: 0.3 + (i % 4) * 0.01,
          temperature_c: 6 + i * 0.05,
        })),
      ],
      t0 - 15 * 60_000,
    );
    const lines = (await outbox(runtime)).slice(before).filter((l) => l.deviceId === device);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.audience === 'engineers' && l.severity === 'sensor_fault')).toBe(true);
    const alarms = await api.get<{ items: { condition: string; severity: string }[] }>(
      `/alarms?deviceId=${device}`,
    );
    expect(alarms.body.items).toEqual([
      expect.objectContaining({ condition: 'stuck:ph', severity: 'sensor_fault' }),
    ]);
  });

  it('raises nothing for a device in maintenance', async () => {
    const device = 'wq-dabudar-outlet';
    expect(
      (
        await post(
          `/devices/${device}/maintenance`,
          {
            on: true,
            reason: 'analyser calibration',
            by: 'eng-li',
          },
          'eng-li',
        )
      ).status,
    ).toBe(200);
    const before = (await outbox(runtime)).length;
    await publish(
      device,
      [0.01, 0.01, 0.01].map((c) => ({ free_chlorine_mg_l: c })),
      t0,
    );
    expect((await outbox(runtime)).length).toBe(before);
    expect((await api.get<{ items: unknown[] }>(`/alarms?deviceId=${device}`)).body.items).toHaveLength(0);
  });
});
