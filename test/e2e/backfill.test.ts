import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InMemoryServiceMetrics } from '../../functions/adapters/in-memory-metrics';
import { INGEST_BUDGET } from '../../functions/use-cases/ingest-telemetry';
import type { LocalRuntime } from '../../infra/local/runtime';
import { readOutbox } from '../helpers/outbox';
import { readAllReadings } from '../helpers/readings';
import { apiClient, startTestRuntime } from '../helpers/runtime';
import { batchPayload, DAY, json, MINUTE, waterMetrics, wireSample } from '../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const MESSAGES = 100;
const SAMPLES = 100;
/** Whole minutes ending an hour ago: 10,000 one-minute samples reach back about a week. */
const END = Math.floor((Date.now() - 60 * MINUTE) / MINUTE) * MINUTE;
const START = END - MESSAGES * SAMPLES * MINUTE;

let dir: string;
let runtime: LocalRuntime;

beforeAll(async () => {
  dir = await makeTempDir('pamir-backfill-');
  runtime = await startTestRuntime(dir);
});

afterAll(async () => {
  await runtime?.stop();
  await removeTempDir(dir);
});

describe('a 100 × 100-sample backfill of one device', () => {
  it('is stored whole over several invocations, with nothing retried or dead-lettered', async () => {
    const device = runtime.devices.find((d) => d.kind === 'water');
    if (!device) throw new Error('the example fleet has no water device');
    // Accepted together, so the router hands ingest one batch of 100 messages: one partition, 10,000 samples.
    await Promise.all(
      Array.from({ length: MESSAGES }, (_, i) =>
        runtime.router.accept(
          `dt/water/${device.id}`,
          batchPayload(START + i * SAMPLES * MINUTE, SAMPLES, i * SAMPLES),
          device.id,
          END,
        ),
      ),
    );
    await runtime.router.idle();

    const stored = await readAllReadings(
      { base: `http://127.0.0.1:${runtime.httpPort}`, token: runtime.apiToken },
      device.id,
      START - DAY,
      END + DAY,
    );
    expect(stored).toHaveLength(MESSAGES * SAMPLES);
    expect(new Set(stored.map((r) => r.seq)).size).toBe(MESSAGES * SAMPLES);
    const stats = runtime.router.stats;
    expect(stats).toMatchObject({ deadLettered: 0, retried: 0, timedOut: 0 });
    // One invocation takes at most maxDeviceSamples of the device; the rest came back as new messages.
    expect(stats.batches).toBeGreaterThanOrEqual(
      Math.ceil((MESSAGES * SAMPLES) / INGEST_BUDGET.maxDeviceSamples),
    );
    expect(stats.delivered).toBeGreaterThan(MESSAGES);
    expect((runtime.service.metrics as InMemoryServiceMetrics).total('samplesStored')).toBe(
      MESSAGES * SAMPLES,
    );
    const quarantine = await apiClient(runtime).get<{ items: unknown[] }>('/quarantine');
    expect(quarantine.body.items).toEqual([]);
  });
});

describe('a 10,000-sample backfill with chlorine episodes', () => {
  it('sends one summary of the episodes over by its end and the one still active, however ingest split it', async () => {
    const id = 'wq-town-outlet';
    // Chlorine lost three times while offline; the last loss is still on when the backfill ends.
    const low = (i: number) => (i >= 2000 && i < 2010) || (i >= 5000 && i < 5020) || i >= 9990;
    const message = (k: number) =>
      json({
        v: 1,
        samples: Array.from({ length: SAMPLES }, (_, j) => {
          const i = k * SAMPLES + j;
          const m = waterMetrics(i);
          if (low(i)) m.free_chlorine_mg_l = 0.1;
          return wireSample(START + i * MINUTE, i, m);
        }),
      });
    await Promise.all(
      Array.from({ length: MESSAGES }, (_, k) =>
        runtime.router.accept(`dt/water/${id}`, message(k), id, END),
      ),
    );
    await runtime.router.idle();
    // Received at END, the newest samples are current: the backfill is over with its last batch.
    const lines = (await readOutbox(runtime)).filter((l) => l.deviceId === id && l.lang === 'en');
    const texts = new Set(lines.filter((l) => l.audience === 'operators').map((l) => l.text));
    expect([...texts]).toEqual([
      expect.stringMatching(/^UNSAFE WATER: .*free chlorine 0\.1 mg\/L.*\(late\)/),
      expect.stringMatching(/^BACKFILL: .*while offline .*2 episodes, all over: 2 low free chlorine\./),
    ]);
    expect(runtime.router.stats).toMatchObject({ deadLettered: 0, timedOut: 0 });
  });
});
