import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InMemoryServiceMetrics } from '../../functions/adapters/in-memory-metrics';
import { INGEST_BUDGET } from '../../functions/use-cases/ingest-telemetry';
import type { LocalRuntime } from '../../infra/local/runtime';
import { readAllReadings } from '../helpers/readings';
import { apiClient, startTestRuntime } from '../helpers/runtime';
import { batchPayload, DAY, MINUTE } from '../helpers/telemetry';
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
