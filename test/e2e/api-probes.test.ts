import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime';
import { publishAs } from '../helpers/mqtt';
import { apiClient, startTestRuntime } from '../helpers/runtime';
import { HOUR, json, MINUTE, singlePayload } from '../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

/** Sample times in the recent past, whole minutes, so they pass the contract's clock checks. */
const BASE = Math.floor((Date.now() - 2 * HOUR) / MINUTE) * MINUTE;

let dir: string;
let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  dir = await makeTempDir('pamir-e2e-probes-');
  runtime = await startTestRuntime(dir);
  api = apiClient(runtime);
});

afterAll(async () => {
  await runtime?.stop();
  await removeTempDir(dir);
});

const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function send(path: string, init: RequestInit = {}) {
  const res = await fetch(`${api.base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${runtime.apiToken}`, ...(init.headers ?? {}) },
  });
  const text = await res.text();
  return { status: res.status, message: (JSON.parse(text) as { message?: string }).message ?? '' };
}

describe('API probes from issue 9 against the local runtime: 4xx with what to fix, never 500', () => {
  it.each([
    ['a malformed escape in the path', '/devices/%ZZ', 400, /malformed percent-escape/],
    [
      'an escape that decodes to a malformed one (API Gateway decodes twice)',
      '/alarms/%25ZZ',
      400,
      /percent-escape/,
    ],
    ['a 10,000-character device id', `/devices/${'a'.repeat(10_000)}`, 400, /device ids are 1–64 characters/],
    ['a 10,000-character id on readings', `/devices/${'a'.repeat(10_000)}/readings`, 400, /device ids/],
    ['a device id with a percent sign', '/devices/wq%2525x', 400, /device ids/],
    ['an alarm index item instead of an alarm id', '/alarms/dev%2523wq-town-outlet', 400, /alarm ids are/],

    [
      'to beyond the Date range',
      '/devices/wq-town-outlet/readings?to=9999999999999999',
      400,
      /to: must lie between/,
    ],
    ['from before 2020', '/devices/wq-town-outlet/readings?from=0', 400, /from: must lie between 2020/],
    ['an ISO time in year 9999', '/bins/collections?to=9999-12-31T23:59:59Z', 400, /to: must lie between/],
    [
      'a collection window of billions of days',
      '/bins?needsCollectionWithin=P99999999999999999999D',
      400,
      /366/,
    ],
    [
      'a base64 garbage cursor',
      '/devices/wq-town-outlet/readings?cursor=%21%21%21',
      400,
      /cursor is not valid/,
    ],
    [
      'a JSON cursor for another table',
      `/devices/wq-town-outlet/readings?cursor=${forged({ alarmId: 'A7K2M9QXR', status: 'open', raisedAt: 1 })}`,
      400,
      /cursor is not valid/,
    ],
    [
      'a readings key as an alarms cursor',
      `/alarms?cursor=${forged({ deviceId: 'wq-town-outlet', sk: '1' })}`,
      400,
      /cursor is not valid/,
    ],
    [
      'a closed-alarms cursor on the open list',
      `/alarms?cursor=${forged({ alarmId: 'A7K2M9QXR', status: 'closed', raisedAt: 1 })}`,
      400,
      /closed alarms, not open ones/,
    ],
    [
      'a forged quarantine cursor',
      `/quarantine?cursor=${forged({ day: '2999-01-01', f: '|' })}`,
      400,
      /cursor/,
    ],
    ['an over-long device filter', `/quarantine?deviceId=${'x'.repeat(5000)}`, 400, /deviceId: device ids/],
    ['a __proto__ query parameter', '/devices?__proto__=1', 400, /__proto__/],
  ])('%s', async (_, path, status, message) => {
    const res = await send(path);

    expect(res.status).toBe(status);
    expect(res.message).toMatch(message);
  });

  it('refuses a readings cursor issued for another device, and one outside the from/to it came with', async () => {
    const payloads = [1, 2, 3].map((i) => ({
      topic: 'dt/water/wq-town-outlet',
      payload: singlePayload(BASE + i * MINUTE, i),
    }));
    await publishAs(runtime, 'wq-town-outlet', payloads);
    await runtime.router.idle();
    const from = BASE;
    const to = BASE + HOUR;
    const first = await api.get<{ nextCursor?: string }>(
      `/devices/wq-town-outlet/readings?from=${from}&to=${to}&limit=1`,
    );
    const cursor = encodeURIComponent(first.body.nextCursor ?? '');

    const same = await send(
      `/devices/wq-town-outlet/readings?from=${from}&to=${to}&limit=1&cursor=${cursor}`,
    );
    const other = await send(`/devices/wq-tiznap-outlet/readings?from=${from}&to=${to}&cursor=${cursor}`);
    const outside = await send(
      `/devices/wq-town-outlet/readings?from=${to}&to=${to + HOUR}&cursor=${cursor}`,
    );

    expect(first.body.nextCursor).toBeDefined();
    expect(same.status).toBe(200);
    expect(other).toEqual({ status: 400, message: expect.stringMatching(/does not belong to this device/) });
    expect(outside).toEqual({ status: 400, message: expect.stringMatching(/outside this query's from\/to/) });
  });

  it('answers bad bodies with 400 or 413: not JSON, the wrong shape, and over 1 MiB', async () => {
    const post = (body: string, contentType = 'application/json') =>
      send('/devices/wq-town-outlet/maintenance', {
        method: 'POST',
        body,
        headers: { 'content-type': contentType },
      });

    const notJson = await post('on=true', 'application/x-www-form-urlencoded');
    const wrongShape = await post('[1,2,3]');
    const deep = await post(`${'['.repeat(30_000)}${']'.repeat(30_000)}`);
    const subscription = await send(`/subscriptions/${'s'.repeat(65)}`, { method: 'DELETE' });
    const huge = await post(JSON.stringify({ on: true, reason: 'x'.repeat(2 * 1024 * 1024) }));

    expect(notJson).toEqual({ status: 400, message: expect.stringMatching(/request body is not JSON/) });
    expect(wrongShape).toEqual({ status: 400, message: expect.stringMatching(/^body/) });
    expect(deep.status).toBe(400);
    expect(subscription).toEqual({ status: 400, message: expect.stringMatching(/subscription ids/) });
    expect(huge).toEqual({ status: 413, message: expect.stringMatching(/larger than/) });
  });

  it('records an oversize message as a bounded entry with its length and hash, and pages the quarantine', async () => {
    const big = Buffer.from(
      JSON.stringify({ v: 1, ts: BASE, seq: 1, m: { ph: 7 }, pad: 'p'.repeat(40_000) }),
    );
    const junk = [1, 2, 3, 4].map((i) => ({
      topic: 'dt/water/wq-dabudar-spring',
      payload: Buffer.from(`junk ${i}`),
    }));
    await publishAs(runtime, 'wq-dabudar-spring', [
      { topic: 'dt/water/wq-dabudar-spring', payload: big },
      ...junk,
      { topic: 'dt/water/wq-dabudar-spring', payload: json({ v: 2 }) },
    ]);
    await runtime.router.idle();

    type Entry = {
      reason: string;
      payloadBytes: number;
      payloadSha256: string;
      truncated: boolean;
      payloadBase64: string;
    };
    const seen: Entry[] = [];
    const pages: number[] = [];
    let cursor: string | undefined;
    do {
      const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await api.get<{ items: Entry[]; nextCursor?: string }>(
        `/quarantine?deviceId=wq-dabudar-spring&limit=2${after}`,
      );
      expect(res.status).toBe(200);
      pages.push(res.body.items.length);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor && pages.length < 20);
    const oversize = seen.find((e) => e.reason === 'oversize');
    const onlyOversize = await api.get<{ items: Entry[] }>('/quarantine?reason=oversize');
    const tampered = await send(`/quarantine?limit=2&cursor=${encodeURIComponent(`${cursor ?? 'x'}Zm9v`)}`);

    expect(seen.map((e) => e.reason).sort()).toEqual([
      'not_json',
      'not_json',
      'not_json',
      'not_json',
      'oversize',
      'unsupported_version',
    ]);
    // A full page ends with a cursor even when nothing older is left (as DynamoDB's own paging): at most one empty page.
    expect(pages.filter((n) => n > 0)).toEqual([2, 2, 2]);
    expect(pages.length).toBeLessThanOrEqual(4);
    expect(oversize).toMatchObject({
      truncated: true,
      payloadBytes: big.byteLength,
      payloadSha256: createHash('sha256').update(big).digest('hex'),
    });
    expect(Buffer.from(oversize?.payloadBase64 ?? '', 'base64').byteLength).toBe(8192);
    expect(onlyOversize.body.items.map((e) => e.reason)).toEqual(['oversize']);
    expect(tampered.status).toBe(400);
  });
});
