/**
 * `npm run bench:spool`: how long `npm start` takes to read a large router spool, and the memory it needs. Writes
 * SPOOL_BENCH_MB (default 600) of spool as the old single file (`spool.jsonl`, which older versions could not start
 * from past ~512 MiB) and, separately, as segments; all but PENDING messages are marked done, as after a busy run.
 * Prints seconds to recover and the peak RSS. Not part of `npm test` (it writes 1.2 GB).
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { LocalIngestRouter } from '../../infra/local/router';
import { DEFAULT_SEGMENT_BYTES } from '../../infra/local/spool';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const TARGET_BYTES = Number(process.env.SPOOL_BENCH_MB ?? 600) * 1024 * 1024;
const PENDING = 1_000;
const PAYLOAD = Buffer.alloc(700, 'x').toString('base64');

function record(i: number): string {
  const body = JSON.stringify({ payload: PAYLOAD, topic: 'dt/water/wq-1', clientId: 'wq-1', receivedAt: i });
  return `${JSON.stringify({ id: `m-${i}`, body, sentAt: i, receiveCount: 0 })}\n`;
}

async function writeLines(path: string, lines: (write: (s: string) => Promise<void>) => Promise<void>) {
  const out = createWriteStream(path);
  await lines(async (s) => {
    if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
  });
  out.end();
  await finished(out);
}

/** Writes records until the target size; returns how many. */
async function generate(dir: string, layout: 'legacy' | 'segments'): Promise<number> {
  const size = Buffer.byteLength(record(0));
  const count = Math.ceil(TARGET_BYTES / size);
  const done = (i: number) => i < count - PENDING;
  if (layout === 'legacy') {
    await writeLines(join(dir, 'spool.jsonl'), async (w) => {
      for (let i = 0; i < count; i++) await w(record(i));
    });
    await writeLines(join(dir, 'done.jsonl'), async (w) => {
      for (let i = 0; i < count; i++) if (done(i)) await w(`"m-${i}"\n`);
    });
    return count;
  }
  await mkdir(join(dir, 'spool'), { recursive: true });
  const perSegment = Math.floor(DEFAULT_SEGMENT_BYTES / size);
  for (let seg = 0; seg * perSegment < count; seg++) {
    const from = seg * perSegment;
    const to = Math.min(count, from + perSegment);
    await writeLines(join(dir, 'spool', `seg-${String(seg + 1).padStart(10, '0')}.jsonl`), async (w) => {
      for (let i = from; i < to; i++) await w(record(i));
      for (let i = from; i < to; i++) if (done(i)) await w(`"m-${i}"\n`);
    });
  }
  return count;
}

async function measure(layout: 'legacy' | 'segments') {
  const dir = await makeTempDir('pamir-spool-bench-');
  try {
    const count = await generate(dir, layout);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const router = new LocalIngestRouter({ dir, invoke: async () => ({ batchItemFailures: [] }) });
    const started = performance.now();
    const recovered = await router.recover();
    const seconds = (performance.now() - started) / 1000;
    await router.idle();
    await router.stop();
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    return {
      layout,
      mb: Math.round(TARGET_BYTES / 2 ** 20),
      records: count,
      recovered,
      seconds,
      peakRssMb: peak / 2 ** 20,
    };
  } finally {
    await removeTempDir(dir);
  }
}

const results = [];
for (const layout of ['legacy', 'segments'] as const) {
  const r = await measure(layout);
  results.push(r);
  console.log(
    `${r.layout.padEnd(8)} ${r.mb} MB, ${r.records.toLocaleString('en-US')} records: recovered ${r.recovered} in ` +
      `${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB`,
  );
}
console.log(`BENCH_JSON ${JSON.stringify({ spoolStart: results })}`);
