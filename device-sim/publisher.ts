import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import type { DeviceSim, Emission } from './device';
import { DueQueue, isDone, type StopRule } from './plan';
import { mulberry32, type Rng } from './random';
import type { RunRecord } from './record';
import type { RunStats } from './stats';
import { ConnectError, explainConnectError, type Target } from './target';

const CONNECT_TIMEOUT_MS = 10_000;
const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
const ROGUE_TIMEOUT_MS = 5000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * One MQTT connection per device (client id = device id, MQTT 3.1.1, clean session, QoS 1), reconnecting with
 * exponential back-off and jitter so a broker restart is not met by the whole fleet at once. Counts every publish
 * and its PUBACK latency.
 */
export class Publisher {
  private readonly clients = new Map<string, MqttClient>();
  private readonly pending = new Set<{ settle(result: 'failed'): void }>();
  private readonly rng: Rng;

  constructor(
    private readonly target: Target,
    private readonly stats: RunStats,
    private readonly record: RunRecord | undefined,
    seed: number,
  ) {
    this.rng = mulberry32(seed ^ 0xb0ff);
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    return Math.round(ceiling * (0.5 + 0.5 * this.rng()));
  }

  /**
   * Connects the fleet. The first device is a probe: if it cannot connect the run stops with a ConnectError that
   * says why. The others connect with bounded concurrency and rate, and keep retrying in the background.
   */
  async connect(deviceIds: readonly string[], signal?: AbortSignal): Promise<void> {
    this.stats.devices = deviceIds.length;
    const [first, ...rest] = deviceIds;
    if (first === undefined) return;
    await this.open(first, true);
    let next = 0;
    const gapMs = Number.isFinite(this.target.connectRatePerS) ? 1000 / this.target.connectRatePerS : 0;
    let slot = performance.now();
    const worker = async () => {
      while (next < rest.length && !signal?.aborted) {
        const id = rest[next++] as string;
        if (gapMs > 0) {
          slot = Math.max(slot + gapMs, performance.now());
          await sleep(slot - performance.now(), signal);
        }
        await this.open(id, false);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.target.connectConcurrency, rest.length) }, worker));
  }

  private open(deviceId: string, probe: boolean): Promise<void> {
    const client = mqtt.connect({
      ...this.target.options(deviceId),
      protocolVersion: 4,
      clean: true,
      keepalive: 60,
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectPeriod: probe ? 0 : this.backoff(0),
      resubscribe: false,
    });
    this.clients.set(deviceId, client);
    let attempt = 0;
    let up = false;
    client.on('connect', () => {
      attempt = 0;
      client.options.reconnectPeriod = this.backoff(0);
      if (!up) {
        this.stats.connected++;
        this.stats.peakConnected = Math.max(this.stats.peakConnected, this.stats.connected);
      }
      up = true;
    });
    client.on('close', () => {
      if (up) this.stats.connected--;
      up = false;
    });
    client.on('reconnect', () => {
      this.stats.reconnects++;
      attempt++;
      // Read by mqtt.js when it schedules the attempt after this one.
      client.options.reconnectPeriod = this.backoff(attempt);
    });
    client.on('error', (err) => {
      this.stats.errors.set(deviceId, err.message);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(done, CONNECT_TIMEOUT_MS + 1000);
      let lastError: Error | undefined;
      const onError = (err: Error) => {
        lastError = err;
      };
      function done() {
        clearTimeout(timer);
        client.off('connect', done);
        client.off('close', onClose);
        client.off('error', onError);
        resolve();
      }
      const onClose = () => {
        // Past the probe, a failed attempt just moves on: the device keeps retrying with back-off in the background.
        if (!probe) return done();
        clearTimeout(timer);
        client.off('connect', done);
        client.off('close', onClose);
        client.off('error', onError);
        client.end(true);
        // A broker that rejects a client certificate just closes the socket, often without any error event.
        const err =
          lastError ?? Object.assign(new Error('the broker closed the connection'), { code: 'ECONNRESET' });
        reject(new ConnectError(explainConnectError(err, this.target, deviceId), { cause: err }));
      };
      client.on('connect', done);
      client.on('error', onError);
      client.on('close', onClose);
    });
  }

  /** Publishes one emission at QoS 1; resolves when it is acknowledged, refused or failed (never rejects). */
  publish(e: Emission): Promise<void> {
    if (e.rogueClientId) return this.publishRogue(e);
    const client = this.clients.get(e.deviceId);
    const { stats } = this;
    stats.count(e.scenarios, 'sent');
    stats.inFlight++;
    const started = performance.now();
    return new Promise((resolve) => {
      const entry = {
        settle: (result: 'acked' | 'failed') => {
          if (!this.pending.delete(entry)) return;
          stats.inFlight--;
          if (result === 'acked') {
            stats.latency.record(performance.now() - started);
            stats.count(e.scenarios, 'acked');
            stats.count(e.scenarios, 'samples', e.samples.length);
            if (e.type === 'malformed') this.record?.onMalformed(e, 'acked');
            else this.record?.onAcked(e);
          } else {
            stats.count(e.scenarios, 'failed');
            if (e.type === 'malformed') this.record?.onMalformed(e, 'failed');
          }
          resolve();
        },
      };
      this.pending.add(entry);
      if (!client) return entry.settle('failed');
      client.publish(e.topic, e.payload, { qos: 1 }, (err) => entry.settle(err ? 'failed' : 'acked'));
    });
  }

  /**
   * The wrong-topic case: a throwaway connection publishes on another device's topic. The broker must refuse it by
   * disconnecting the client (MQTT 3.1.1 has no negative acknowledgement); the device's own connection is untouched.
   */
  private publishRogue(e: Emission): Promise<void> {
    const { stats } = this;
    const clientId = e.rogueClientId as string;
    stats.count(e.scenarios, 'sent');
    stats.inFlight++;
    const client = mqtt.connect({
      ...(this.target.rogueOptions ?? this.target.options)(clientId),
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: ROGUE_TIMEOUT_MS,
    });
    client.on('error', () => undefined);
    return new Promise((resolve) => {
      let published = false;
      let settled = false;
      const timer = setTimeout(() => finish('failed'), ROGUE_TIMEOUT_MS);
      const entry = { settle: (result: 'failed') => finish(result) };
      this.pending.add(entry);
      const finish = (result: 'acked' | 'refused' | 'failed') => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.pending.delete(entry);
        stats.inFlight--;
        if (result === 'refused') stats.count(e.scenarios, 'refused');
        else if (result === 'acked') {
          stats.count(e.scenarios, 'acked');
          stats.errors.set(clientId, `the broker accepted a publish by ${clientId} on ${e.topic}`);
        } else stats.count(e.scenarios, 'failed');
        this.record?.onMalformed(e, result);
        client.end(true);
        resolve();
      };
      client.on('connect', () => {
        published = true;
        client.publish(e.topic, e.payload, { qos: 1 }, (err) => finish(err ? 'refused' : 'acked'));
      });
      client.on('close', () => finish(published ? 'refused' : 'failed'));
    });
  }

  /** Waits for outstanding acknowledgements; what is still unacknowledged after the timeout counts as failed. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.pending.size > 0 && performance.now() < deadline) await sleep(20);
    for (const entry of [...this.pending]) entry.settle('failed');
  }

  /** Disconnects every device cleanly (DISCONNECT), forcing those that do not close in time. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.clients.values()].map(
        (client) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => client.end(true, {}, () => resolve()), 2000);
            client.end(false, {}, () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
    this.clients.clear();
  }
}

export type Publish = (e: Emission) => Promise<void>;

export interface LiveOptions {
  /** Simulated milliseconds per real millisecond. */
  speed: number;
  simStart: number;
  stop: StopRule;
  stats: RunStats;
  signal?: AbortSignal;
}

/**
 * Publishes each device at its own interval on the simulated clock: a sample at simulated time t goes out at
 * realStart + (t - simStart) / speed. One timer for the whole fleet; devices due together go out together, which
 * with phases spread across the interval means a steady trickle. On stop every device flushes what it holds.
 */
export async function runLive(
  sims: readonly DeviceSim[],
  publish: Publish,
  options: LiveOptions,
): Promise<void> {
  const { speed, simStart, stop, stats, signal } = options;
  const realStart = performance.now();
  const realOf = (t: number) => realStart + (t - simStart) / speed;
  const queue = new DueQueue();
  const finished = new Set<number>();
  const finish = (i: number) => {
    finished.add(i);
    for (const e of (sims[i] as DeviceSim).finish()) void publish(e);
  };
  for (const [i, sim] of sims.entries()) {
    if (isDone(sim, stop)) finish(i);
    else queue.push(sim.next, i);
  }
  while (queue.size > 0 && !signal?.aborted) {
    const top = queue.peek() as { at: number; index: number };
    const wait = realOf(top.at) - performance.now();
    if (wait > 1) {
      await sleep(Math.min(wait, 250), signal);
      continue;
    }
    const now = performance.now();
    for (let due = queue.peek(); due && realOf(due.at) <= now + 1; due = queue.peek()) {
      queue.pop();
      const sim = sims[due.index] as DeviceSim;
      stats.lag.record(Math.max(0, now - realOf(due.at)));
      stats.simTime = due.at;
      for (const e of sim.step()) void publish(e);
      if (isDone(sim, stop)) finish(due.index);
      else queue.push(sim.next, due.index);
    }
    // Let acknowledgements and other devices' sockets through before the next batch.
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (const i of sims.keys()) if (!finished.has(i)) finish(i);
}

/**
 * Backfill: each device replays its window as fast as the broker acknowledges, one message in flight per device,
 * all devices in parallel.
 */
export async function runBackfill(
  sims: readonly DeviceSim[],
  publish: Publish,
  options: { stop: StopRule; stats: RunStats; signal?: AbortSignal },
): Promise<void> {
  await Promise.all(
    sims.map(async (sim) => {
      while (!isDone(sim, options.stop) && !options.signal?.aborted) {
        for (const e of sim.step()) await publish(e);
        options.stats.simTime = Math.max(options.stats.simTime ?? 0, sim.next);
      }
      for (const e of sim.finish()) await publish(e);
    }),
  );
}
