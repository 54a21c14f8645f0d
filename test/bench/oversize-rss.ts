/**
 * Measures (does not assert) what a 250 MB publish costs the local runtime's memory: the broker should refuse it
 * after reading the header and keep only a 4 KiB prefix and a running hash. Prints RSS before, peak during, after.
 * Run: npx tsx test/bench/oversize-rss.ts [megabytes]
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { deviceCredentials } from '../helpers/mqtt';
import { apiClient, startTestRuntime } from '../helpers/runtime';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';

const MB = 1024 * 1024;
const size = Number(process.argv[2] ?? 250) * MB;
const mb = (n: number) => `${(n / MB).toFixed(0)} MB`;

function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

function str(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

const dir = await makeTempDir('pamir-oversize-');
const runtime = await startTestRuntime(dir);
try {
  const id = 'wq-town-outlet';
  const { password } = deviceCredentials(runtime, id);
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);

  const socket = connect(runtime.mqttPort, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const connectBody = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, 0xc2, 0, 60]),
    str(id),
    str(id),
    str(password),
  ]);
  socket.write(Buffer.concat([Buffer.from([0x10]), remainingLength(connectBody.length), connectBody]));
  await once(socket, 'data'); // CONNACK
  const topic = str(`dt/water/${id}`);
  socket.write(
    Buffer.concat([
      Buffer.from([0x32]),
      remainingLength(topic.length + 2 + size),
      topic,
      Buffer.from([0, 1]),
    ]),
  );
  // One reused 64 KiB chunk: the sender holds no more than that, so what RSS shows is the broker's.
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const started = Date.now();
  let sent = 0;
  const closed = once(socket, 'close');
  while (sent < size && !socket.destroyed) {
    const n = Math.min(chunk.length, size - sent);
    sent += n;
    if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
      await Promise.race([once(socket, 'drain'), closed]);
    }
  }
  await closed;
  const seconds = (Date.now() - started) / 1000;
  const api = apiClient(runtime);
  let entry: { payloadBytes?: number; payloadSha256?: string; reason: string } | undefined;
  for (let i = 0; i < 100 && !entry; i++) {
    const res = await api.get<{ items: { payloadBytes?: number; payloadSha256?: string; reason: string }[] }>(
      '/quarantine',
    );
    entry = res.body.items.find((e) => e.reason === 'oversize');
    if (!entry) await new Promise((r) => setTimeout(r, 100));
  }
  clearInterval(sampler);
  const after = process.memoryUsage().rss;
  console.log(
    `publish of ${mb(size)} (${sent} bytes sent in ${seconds.toFixed(1)} s): RSS before ${mb(before)}, peak ${mb(peak)} (+${mb(peak - before)}), after ${mb(after)}`,
  );
  console.log(`quarantine: ${JSON.stringify(entry)}`);
} finally {
  await runtime.stop();
  await removeTempDir(dir);
}
