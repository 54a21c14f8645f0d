import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime';
import { apiClient, startTestRuntime } from '../helpers/runtime';
import { binMetrics, HOUR, json, MINUTE, waterMetrics } from '../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

/**
 * Issue 9's field row: one poison message among 99 good ones from 17 other devices, in one queue batch, once cost all
 * 100 (dead-lettered after five tries). Each poison is now refused alone by the contract.
 */

const BASE = Math.floor((Date.now() - 14 * HOUR) / MINUTE) * MINUTE;
const POISON_DEVICE = 'wq-tiznap-school-tap';

let dir: string;
let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  dir = await makeTempDir('pamir-e2e-poison-');
  runtime = await startTestRuntime(dir);
  api = apiClient(runtime);
});

afterAll(async () => {
  await runtime?.stop();
  await removeTempDir(dir);
});

/** Written as text: the poison must reach the parser exactly as a device would send it. */
const poisons: [string, (ts: number, seq: number) => string, string][] = [
  [
    'a metric named constructor',
    (ts, seq) => `{"v":1,"ts":${ts},"seq":${seq},"m":{"constructor":1}}`,
    'bad_shape',
  ],
  ['a value of 1e16', (ts, seq) => `{"v":1,"ts":${ts},"seq":${seq},"m":{"flow_m3_h":1e16}}`, 'bad_value'],
  ['a value of 1e-200', (ts, seq) => `{"v":1,"ts":${ts},"seq":${seq},"m":{"ph":1e-200}}`, 'bad_value'],
  ['ts 9e15', (_, seq) => `{"v":1,"ts":9000000000000000,"seq":${seq},"m":{"ph":7.2}}`, 'ts_in_future'],
  ['ts -9e15', (_, seq) => `{"v":1,"ts":-9000000000000000,"seq":${seq},"m":{"ph":7.2}}`, 'ts_too_old'],
];

describe('one poison message among 99 good ones in one batch', () => {
  it.each(poisons.map(([name, poison, reason], i) => [name, reason, poison, i] as const))(
    'stores 99 of 99 beside %s, quarantines the poison as %s and dead-letters nothing',
    async (_, reason, poison, caseIndex) => {
      const others = runtime.devices.filter((d) => d.id !== POISON_DEVICE).slice(0, 17);
      expect(others).toHaveLength(17);
      const from = BASE + caseIndex * 2 * HOUR;
      const good = Array.from({ length: 99 }, (_, j) => {
        const device = others[j % others.length] as (typeof others)[number];
        const seq = caseIndex * 1000 + j;
        const m = device.kind === 'water' ? waterMetrics(seq) : binMetrics(seq);
        return { device, payload: json({ v: 1, ts: from + j * MINUTE, seq, m }) };
      });
      const before = { ...runtime.router.stats };
      const poisonPayload = Buffer.from(poison(from, caseIndex * 1000 + 500));

      // Handed over together, as the IoT rule does with a burst: spooled in one write, delivered in one batch.
      const receivedAt = Date.now();
      await Promise.all([
        ...good
          .slice(0, 50)
          .map((g) =>
            runtime.router.accept(`dt/${g.device.kind}/${g.device.id}`, g.payload, g.device.id, receivedAt),
          ),
        runtime.router.accept(`dt/water/${POISON_DEVICE}`, poisonPayload, POISON_DEVICE, receivedAt),
        ...good
          .slice(50)
          .map((g) =>
            runtime.router.accept(`dt/${g.device.kind}/${g.device.id}`, g.payload, g.device.id, receivedAt),
          ),
      ]);
      await runtime.router.idle();

      const stats = runtime.router.stats;
      expect(stats.batches - before.batches).toBe(1);
      expect([stats.delivered - before.delivered, stats.retried - before.retried]).toEqual([100, 0]);
      expect(stats.deadLettered - before.deadLettered).toBe(0);
      let stored = 0;
      for (const device of others) {
        const page = await runtime.service.readings.query({
          deviceId: device.id,
          from,
          to: from + 98 * MINUTE,
          limit: 1000,
        });
        stored += page.items.length;
      }
      expect(stored).toBe(99);
      const res = await api.get<{ items: { reason: string; deviceId?: string; payloadText: string }[] }>(
        `/quarantine?deviceId=${POISON_DEVICE}&limit=100`,
      );
      expect(res.status).toBe(200);
      const entry = res.body.items.find((e) => e.payloadText === poisonPayload.toString());
      expect(entry?.reason).toBe(reason);
    },
  );
});
