import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IngestEnvelope } from '../../functions/contract';
import { ValidationError } from '../../functions/core/errors';
import type { FileWriter } from '../../infra/local/line-file';
import { LocalIngestRouter, type RouterOptions } from '../../infra/local/router';
import { SpoolFullError } from '../../infra/local/spool';
import { T0 } from '../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

let dir: string;
const routers: LocalIngestRouter[] = [];

beforeEach(async () => {
  dir = await makeTempDir('pamir-spool-');
});

afterEach(async () => {
  for (const r of routers.splice(0)) await r.stop();
  await removeTempDir(dir);
});

type Invoke = RouterOptions['invoke'];

function router(invoke: Invoke, options: Partial<RouterOptions> = {}): LocalIngestRouter {
  const r = new LocalIngestRouter({ dir, invoke, retryDelayMs: () => 1, maxBatchingWindowMs: 1, ...options });
  routers.push(r);
  return r;
}

function payloadOf(body: string): string {
  return Buffer.from((JSON.parse(body) as IngestEnvelope).payload, 'base64').toString();
}

/** Records every payload delivered; fails those `fail` picks. */
function recorder(fail: (payload: string) => boolean = () => false) {
  const seen: string[] = [];
  const invoke: Invoke = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    seen.push(...event.Records.map((r) => payloadOf(r.body)));
    return {
      batchItemFailures: event.Records.filter((r) => fail(payloadOf(r.body))).map((r) => ({
        itemIdentifier: r.messageId,
      })),
    };
  };
  return { invoke, seen };
}

/** An invoke that holds every batch until `release` is called. */
function gatedInvoke() {
  const seen: string[] = [];
  let open!: () => void;
  let gate = new Promise<void>((r) => {
    open = r;
  });
  const invoke: Invoke = async (event) => {
    await gate;
    seen.push(...event.Records.map((r) => payloadOf(r.body)));
    return { batchItemFailures: [] };
  };
  return {
    invoke,
    seen,
    release() {
      open();
      gate = Promise.resolve();
    },
  };
}

const accept = (r: LocalIngestRouter, payload: string) =>
  r.accept('dt/water/wq-1', Buffer.from(payload), 'wq-1', T0);

const message = (id: string, payload: string) =>
  JSON.stringify({
    id,
    body: JSON.stringify({
      payload: Buffer.from(payload).toString('base64'),
      topic: 'dt/water/wq-1',
      receivedAt: T0,
    }),
    sentAt: T0,
    receiveCount: 0,
  });

const noSpace = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('router spool', () => {
  it('starts from a spool whose last record is torn, re-queues the good records and logs the torn one', async () => {
    await mkdir(join(dir, 'spool'), { recursive: true });
    const segment = join(dir, 'spool', 'seg-0000000001.jsonl');
    const good = `${message('a', 'first')}\n${message('b', 'second')}\n"a"\n`;
    await writeFile(segment, `${good}${message('c', 'third').slice(0, 40)}`);
    const lines: string[] = [];
    const { invoke, seen } = recorder();
    const r = router(invoke, { log: (l) => lines.push(l) });

    const recovered = await r.recover();
    await r.idle();

    expect(recovered).toBe(1);
    expect(seen).toEqual(['second']);
    expect(lines.filter((l) => l.includes('torn'))).toEqual([
      `spool: skipped a torn or corrupt record in ${segment} at byte ${Buffer.byteLength(good)} (40 characters)`,
    ]);
  });

  it('takes over the single-file spool of older versions, torn last line included, then removes it', async () => {
    await writeFile(
      join(dir, 'spool.jsonl'),
      `${message('x', 'done-before')}\n${message('y', 'pending')}\n{"id":"z","bo`,
    );
    await writeFile(join(dir, 'done.jsonl'), '"x"\n');
    const { invoke, seen } = recorder();
    const r = router(invoke);

    const recovered = await r.recover();
    await r.idle();
    await r.stop();

    expect(recovered).toBe(1);
    expect(seen).toEqual(['pending']);
    expect((await readdir(dir)).sort()).toEqual(['spool']);
    expect(await router(recorder().invoke).recover()).toBe(0);
  });

  it('rolls segments at the size bound and deletes each once all its messages are done', async () => {
    const gate = gatedInvoke();
    const r = router(gate.invoke, { segmentBytes: 400, batchSize: 100, maxBatchingWindowMs: 1 });
    await r.recover();

    for (let i = 0; i < 12; i++) await accept(r, `m${i}`);
    const whileHeld = (await readdir(join(dir, 'spool'))).length;
    gate.release();
    await r.idle();
    await r.stop();

    expect(whileHeld).toBeGreaterThan(2);
    expect(gate.seen).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`));
    // Only the segment still being written remains; its messages are all marked done.
    const left = await readdir(join(dir, 'spool'));
    expect(left).toHaveLength(1);
    const next = router(recorder().invoke);
    expect(await next.recover()).toBe(0);
  });

  it('across restarts of a multi-segment spool, delivers each pending message exactly once', async () => {
    const first = recorder((p) => p.startsWith('late'));
    const before = router(first.invoke, {
      segmentBytes: 300,
      maxReceiveCount: 100,
      retryDelayMs: () => 600_000,
    });
    await before.recover();
    for (let i = 0; i < 6; i++) await accept(before, `ok${i}`);
    await before.idle();
    for (let i = 0; i < 4; i++) await accept(before, `late${i}`);
    await new Promise<void>((resolve) => {
      const check = () => (before.stats.retried >= 4 ? resolve() : setImmediate(check));
      check();
    });
    await before.stop();

    const second = recorder();
    const after = router(second.invoke);
    const recovered = await after.recover();
    await after.idle();
    await after.stop();
    const third = router(recorder().invoke);

    expect(recovered).toBe(4);
    expect(second.seen.sort()).toEqual(['late0', 'late1', 'late2', 'late3']);
    expect(await third.recover()).toBe(0);
  });

  it('refuses a message when the disk is full, logs once per burst, and loses nothing it acknowledged', async () => {
    let full = false;
    const writer: FileWriter = async (path, data) => {
      // A full disk may take part of a write before refusing the rest.
      if (full) {
        await appendFile(path, data.slice(0, 10));
        throw noSpace();
      }
      await appendFile(path, data);
    };
    const lines: string[] = [];
    const gate = gatedInvoke();
    const r = router(gate.invoke, { writer, log: (l) => lines.push(l), maxBatchingWindowMs: 600_000 });
    await r.recover();
    await accept(r, 'before');

    full = true;
    const refused = await Promise.allSettled([accept(r, 'lost-1'), accept(r, 'lost-2')]);
    const third = await accept(r, 'lost-3').catch((e: unknown) => e);
    full = false;
    await accept(r, 'after');
    await r.stop();

    expect(refused.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(third).toBeInstanceOf(SpoolFullError);
    expect((third as Error).message).toMatch(/disk full \(ENOSPC\).*not accepted/);
    expect(r.stats).toMatchObject({ received: 2, refusedDiskFull: 3 });
    expect(lines.filter((l) => l.startsWith('disk full'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('spool writable again'))).toEqual([
      'spool writable again; 3 messages were refused while the disk was full',
    ]);
    const next = recorder();
    const restarted = router(next.invoke);
    expect(await restarted.recover()).toBe(2);
    await restarted.idle();
    expect(next.seen).toEqual(['before', 'after']);
  });
});

describe('router backpressure', () => {
  it('holds accept() while the backlog is at its bound and releases it as the backlog drains', async () => {
    const gate = gatedInvoke();
    const r = router(gate.invoke, { maxBacklog: 3, batchSize: 10, concurrency: 1 });
    await r.recover();
    const resolved: string[] = [];
    const send = (p: string) => accept(r, p).then(() => resolved.push(p));

    const firstThree = [send('a'), send('b'), send('c')];
    const held = [send('d'), send('e')];
    await Promise.all(firstThree);
    // Nothing can drain while the gate is closed, so d and e stay unacknowledged whatever the timing.
    for (let i = 0; i < 20; i++) await new Promise((res) => setImmediate(res));
    const heldStats = r.stats;
    const resolvedWhileHeld = [...resolved];
    gate.release();
    await Promise.all(held);
    await r.idle();

    expect(resolvedWhileHeld.sort()).toEqual(['a', 'b', 'c']);
    expect(heldStats).toMatchObject({ backlog: 3, waitingAccepts: 2, maxBacklog: 3 });
    expect(r.stats).toMatchObject({
      received: 5,
      delivered: 5,
      backlog: 0,
      waitingAccepts: 0,
      peakBacklog: 3,
    });
    expect(gate.seen.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('fails the whole batch when ingest runs past its timeout, and delivers it again', async () => {
    let calls = 0;
    const late: Promise<void>[] = [];
    const invoke: Invoke = async () => {
      calls++;
      if (calls === 1) {
        // Never finishes within the timeout: the router must not wait for it.
        const never = new Promise<void>(() => undefined);
        late.push(never);
        await never;
      }
      return { batchItemFailures: [] };
    };
    const lines: string[] = [];
    const r = router(invoke, { timeoutMs: 20, log: (l) => lines.push(l) });
    await r.recover();

    await Promise.all([accept(r, 'a'), accept(r, 'b')]);
    await r.idle();

    expect(calls).toBe(2);
    expect(r.stats).toMatchObject({ timedOut: 1, retried: 2, delivered: 2 });
    expect(lines).toContain(
      'ingest batch of 2 failed: ingest timed out after 0.02 s (its timeout in infra/wiring.ts)',
    );
  });
});

describe('local dead letters', () => {
  it('lists a message dead-lettered after maxReceiveCount failures with its reason, and redrives it', async () => {
    let broken = true;
    const { invoke, seen } = recorder((p) => broken && p === 'poison');
    const r = router(invoke, { maxReceiveCount: 2 });
    await r.recover();
    await Promise.all([accept(r, 'poison'), accept(r, 'fine')]);
    await r.idle();

    const page = await r.deadLetters.list(10);
    broken = false;
    const id = page.items[0]?.id as string;
    const redriven = await r.deadLetters.redrive({ ids: [id, 'no-such-id'] });
    await r.idle();
    const after = await r.deadLetters.list(10);

    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({
      receiveCount: 2,
      topic: 'dt/water/wq-1',
      deviceId: 'wq-1',
      clientId: 'wq-1',
      receivedAt: T0,
      payloadBase64: Buffer.from('poison').toString('base64'),
      payloadBytes: 6,
      payloadTruncated: false,
      reason: 'ingest reported the message as failed on delivery 2 (see the ingest log)',
    });
    expect(redriven).toEqual({ moved: 1, notFound: ['no-such-id'] });
    expect(seen.filter((p) => p === 'poison')).toHaveLength(3);
    expect(r.stats).toMatchObject({ deadLettered: 1, delivered: 2 });
    expect(after).toEqual({ items: [], total: 0 });
    expect(await readFile(r.dlqPath, 'utf8')).toBe('');
  });

  it('pages with a cursor and refuses a tampered one', async () => {
    const r = router(recorder(() => true).invoke, { maxReceiveCount: 1 });
    await r.recover();
    for (let i = 0; i < 5; i++) await accept(r, `p${i}`);
    await r.idle();

    const first = await r.deadLetters.list(2);
    const second = await r.deadLetters.list(2, first.cursor);
    const third = await r.deadLetters.list(2, second.cursor);
    const all = await r.deadLetters.redrive({ all: true });

    const payloads = [...first.items, ...second.items, ...third.items].map((i) =>
      Buffer.from(i.payloadBase64, 'base64').toString(),
    );
    expect(payloads.sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(third.cursor).toBeUndefined();
    expect(all.moved).toBe(5);
    await expect(r.deadLetters.list(2, 'eyJvIjotMX0')).rejects.toBeInstanceOf(ValidationError);
    await expect(r.deadLetters.list(2, '%%%')).rejects.toBeInstanceOf(ValidationError);
  });
});
