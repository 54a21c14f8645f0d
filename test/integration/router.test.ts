import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IngestEnvelope } from '../../functions/contract';
import { LocalIngestRouter, type RouterOptions } from '../../infra/local/router';
import { T0 } from '../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

let dir: string;
const routers: LocalIngestRouter[] = [];

beforeEach(async () => {
  dir = await makeTempDir('pamir-router-');
});

afterEach(async () => {
  vi.useRealTimers();
  for (const r of routers.splice(0)) await r.stop();
  await removeTempDir(dir);
});

type Invoke = RouterOptions['invoke'];

function router(invoke: Invoke, options: Partial<RouterOptions> = {}): LocalIngestRouter {
  const r = new LocalIngestRouter({ dir, invoke, retryDelayMs: () => 1, ...options });
  routers.push(r);
  return r;
}

/** An invoke that records every event and succeeds unless told which payloads to fail. */
function recordingInvoke(fail: (payload: string, receiveCount: number) => boolean = () => false) {
  const events: SQSEvent[] = [];
  const invoke = vi.fn(async (event: SQSEvent): Promise<SQSBatchResponse> => {
    events.push(event);
    return {
      batchItemFailures: event.Records.filter((r) =>
        fail(payloadOf(r.body), Number(r.attributes.ApproximateReceiveCount)),
      ).map((r) => ({ itemIdentifier: r.messageId })),
    };
  });
  return { invoke, events, payloads: () => events.map((e) => e.Records.map((r) => payloadOf(r.body))) };
}

function payloadOf(body: string): string {
  return Buffer.from((JSON.parse(body) as IngestEnvelope).payload, 'base64').toString();
}

/**
 * Accepts one message. Messages accepted together (`Promise.all`) are spooled in one write and queued in the same
 * tick, so they land in one batch whatever the batching window.
 */
const accept = (r: LocalIngestRouter, payload: string, clientId = 'wq-1') =>
  r.accept('dt/water/wq-1', Buffer.from(payload), clientId, T0);

describe('local ingest router', () => {
  it('selects the topics the IoT rules select', () => {
    expect(
      ['dt/water/a', 'dt/bin/b', 'dt/air/c', 'cmd/a/config', 'dt/water/a/b'].map(LocalIngestRouter.routes),
    ).toEqual([true, true, false, false, false]);
  });

  it('delivers SQS-shaped records carrying the IoT rule envelope', async () => {
    const { invoke, events } = recordingInvoke();
    const r = router(invoke, { maxBatchingWindowMs: 1 });

    await accept(r, '{"v":1}');
    await r.idle();

    const record = events[0]?.Records[0];
    expect(record).toMatchObject({ eventSource: 'aws:sqs', attributes: { ApproximateReceiveCount: '1' } });
    expect(JSON.parse(record?.body ?? '')).toEqual({
      payload: Buffer.from('{"v":1}').toString('base64'),
      topic: 'dt/water/wq-1',
      clientId: 'wq-1',
      receivedAt: T0,
    });
  });

  it('delivers a full batch at once and never more than batchSize records per batch', async () => {
    const { invoke, payloads } = recordingInvoke();
    const r = router(invoke, { batchSize: 3, maxBatchingWindowMs: 600_000, concurrency: 1 });

    for (let i = 0; i < 6; i++) await accept(r, `m${i}`);
    await r.idle();

    expect(payloads()).toEqual([
      ['m0', 'm1', 'm2'],
      ['m3', 'm4', 'm5'],
    ]);
  });

  it('holds a partial batch for the batching window, then delivers it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { invoke, payloads } = recordingInvoke();
    const r = router(invoke, { batchSize: 10, maxBatchingWindowMs: 1_000 });
    await accept(r, 'a');
    await accept(r, 'b');

    await vi.advanceTimersByTimeAsync(999);
    const beforeWindow = invoke.mock.calls.length;
    await vi.advanceTimersByTimeAsync(1);

    expect(beforeWindow).toBe(0);
    expect(payloads()).toEqual([['a', 'b']]);
  });

  it('redelivers only the records the function reported as failed, with a higher receive count', async () => {
    const { invoke, events, payloads } = recordingInvoke((p, n) => p === 'bad-once' && n === 1);
    const r = router(invoke, { batchSize: 3, maxBatchingWindowMs: 1 });

    await Promise.all([accept(r, 'ok'), accept(r, 'bad-once'), accept(r, 'ok2')]);
    await r.idle();

    expect(payloads()).toEqual([['ok', 'bad-once', 'ok2'], ['bad-once']]);
    expect(events[1]?.Records[0]?.attributes.ApproximateReceiveCount).toBe('2');
    expect(r.stats).toMatchObject({ received: 3, delivered: 3, retried: 1, deadLettered: 0 });
  });

  it('redelivers the whole batch when the function throws', async () => {
    let calls = 0;
    const sizes: number[] = [];
    const invoke = vi.fn(async (event: SQSEvent): Promise<SQSBatchResponse> => {
      sizes.push(event.Records.length);
      calls++;
      if (calls === 1) throw new Error('function crashed');
      return { batchItemFailures: [] };
    });
    const r = router(invoke, { batchSize: 2, maxBatchingWindowMs: 1 });

    await Promise.all([accept(r, 'a'), accept(r, 'b')]);
    await r.idle();

    expect(sizes).toEqual([2, 2]);
    expect(r.stats.delivered).toBe(2);
  });

  it('dead-letters a message after maxReceiveCount failed deliveries', async () => {
    const { invoke } = recordingInvoke((p) => p === 'poison');
    const r = router(invoke, { batchSize: 10, maxBatchingWindowMs: 1, maxReceiveCount: 3 });

    await Promise.all([accept(r, 'poison'), accept(r, 'fine')]);
    await r.idle();

    const dlq = (await readFile(r.dlqPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { body: string; receiveCount: number });
    expect(invoke).toHaveBeenCalledTimes(3);
    expect(dlq.map((m) => [payloadOf(m.body), m.receiveCount])).toEqual([['poison', 3]]);
    expect(r.stats).toMatchObject({ delivered: 1, deadLettered: 1 });
  });

  it('recovers after a restart the messages spooled but not delivered, and only those', async () => {
    const first = recordingInvoke();
    const before = router(first.invoke, { batchSize: 2, maxBatchingWindowMs: 600_000 });
    await before.recover();
    await accept(before, 'delivered-1');
    await accept(before, 'delivered-2');
    await before.idle();
    await accept(before, 'pending');
    await before.stop();
    const second = recordingInvoke();
    const after = router(second.invoke, { batchSize: 2, maxBatchingWindowMs: 1 });

    const recovered = await after.recover();
    await after.idle();

    expect(first.payloads()).toEqual([['delivered-1', 'delivered-2']]);
    expect(recovered).toBe(1);
    expect(second.payloads()).toEqual([['pending']]);
  });

  it('does not deliver again after a second restart what the first recovery delivered', async () => {
    const before = router(recordingInvoke().invoke, { maxBatchingWindowMs: 600_000 });
    await before.recover();
    await accept(before, 'pending');
    await before.stop();
    const middle = router(recordingInvoke().invoke, { maxBatchingWindowMs: 1 });
    await middle.recover();
    await middle.idle();
    await middle.stop();
    const last = recordingInvoke();
    const after = router(last.invoke, { maxBatchingWindowMs: 1 });

    const recovered = await after.recover();

    expect(recovered).toBe(0);
    expect(await readdir(join(dir, 'spool'))).toEqual([]);
  });
});
