import { type DeviceKind, type RejectionReason, telemetryTopic } from '../functions/contract';
import type { Device } from '../functions/core/registry';
import { type DeviceSample, encodeBatches, encodeSample } from './payload';
import { rngFor, uniformAt } from './random';
import { MALFORMED_CASES, type MalformedCase } from './scenarios/delivery';
import type { ScenarioInstance } from './scenarios/types';
import { baseSignal } from './signals';
import type { SignalSample } from './signals/types';

/** The (ts, seq) of a sample; what the service stores a reading under. */
export interface SampleKey {
  ts: number;
  seq: number;
}

/** One MQTT publish the simulator will make. */
export interface Emission {
  deviceId: string;
  /** Simulated time the device sends it. */
  at: number;
  topic: string;
  payload: string;
  type: 'sample' | 'batch' | 'duplicate' | 'malformed';
  /** Scenario names this message counts toward in the summary. */
  scenarios: string[];
  /** Samples carried (empty for a malformed message). */
  samples: SampleKey[];
  /** Samples that were held back while offline (for the backfill check). */
  backlog?: boolean;
  /** For a malformed message: the quarantine reason the contract gives it. */
  expectReason?: RejectionReason;
  /** Publish from a throwaway connection with this client id; the broker is expected to disconnect it. */
  rogueClientId?: string;
}

/** A scenario instance as it reaches one device: its window there and its strength. */
export interface DeviceScenario {
  instance: ScenarioInstance;
  start: number;
  end: number;
  strength: number;
}

export interface DeviceSimOptions {
  device: Device;
  seed: number;
  /** The run's simulated start. */
  simStart: number;
  intervalMs: number;
  /** Offset of this device's first sample after simStart, spreading the fleet across the interval. */
  phaseMs: number;
  scenarios: readonly DeviceScenario[];
  /** Backfill mode: every sample goes into `samples` batches. */
  batchAll: boolean;
  batchSize: number;
  basicIngest: boolean;
  /**
   * Prefix of the Basic Ingest rule names: empty for the account's primary stage, `<stage>_` for any other stage
   * (its rules are named so in the cloud).
   */
  rulePrefix?: string;
  /** Topic of another device, for the wrong-topic case of `malformed`. */
  neighbourTopic: string;
  /** Whether the wrong-topic case may use a throwaway connection (not possible against AWS IoT policies). */
  allowRogue: boolean;
}

const otherKind = (kind: DeviceKind): DeviceKind => (kind === 'water' ? 'bin' : 'water');

/**
 * One simulated device: its schedule, its own seq counter, its signal with the scenarios that touch it, and the
 * publish stream (offline buffer, batches, redelivery, bad messages). Deterministic: the same options produce the
 * same emissions, byte for byte.
 */
export class DeviceSim {
  readonly device: Device;
  readonly topic: string;
  /** Samples taken so far (= the next sample's index). */
  taken = 0;
  private seq = 0;
  private nextTs: number;
  private readonly backlog: DeviceSample[] = [];
  private readonly pending: DeviceSample[] = [];
  private redeliver: Emission[] = [];
  private readonly malformedSent = new Map<number, number>();

  constructor(private readonly options: DeviceSimOptions) {
    this.device = options.device;
    this.topic = telemetryTopic(
      options.device.kind,
      options.device.id,
      options.basicIngest,
      options.rulePrefix,
    );
    this.nextTs = this.scheduledTs(0);
  }

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  /** Simulated time of the next sample. */
  get next(): number {
    return this.nextTs;
  }

  /** Sample k falls on the interval grid plus a small seeded jitter (±1 % of the interval, at most ±1 s). */
  private scheduledTs(k: number): number {
    const { simStart, phaseMs, intervalMs, seed } = this.options;
    const jitter = (uniformAt(seed, this.device.id, 'jitter', k) - 0.5) * Math.min(0.02 * intervalMs, 2000);
    return Math.round(simStart + phaseMs + k * intervalMs + jitter);
  }

  private active(ts: number): DeviceScenario[] {
    return this.options.scenarios.filter((s) => ts >= s.start && ts < s.end);
  }

  /** The reading at ts with every active value scenario applied (in the order given), before rounding. */
  reading(ts: number): { sample: SignalSample; scenarios: DeviceScenario[] } {
    const { seed, intervalMs } = this.options;
    const scenarios = this.active(ts);
    let sample = baseSignal(this.device, ts, seed);
    for (const s of scenarios) {
      if (!s.instance.def.apply) continue;
      sample = s.instance.def.apply(sample, {
        device: this.device,
        seed,
        start: s.start,
        elapsed: ts - s.start,
        intervalMs,
        params: s.instance.params,
        strength: s.strength,
        rng: rngFor(seed, this.device.id, ts, s.instance.def.name, s.instance.index),
        baseAt: (at) => baseSignal(this.device, at, seed),
      });
    }
    return { sample, scenarios };
  }

  /** Takes the next sample and returns what the device publishes now. */
  step(): Emission[] {
    const ts = this.nextTs;
    this.taken++;
    this.nextTs = this.scheduledTs(this.taken);
    const { sample: reading, scenarios } = this.reading(ts);
    const sample: DeviceSample = { ts, seq: this.seq++, m: reading.m, batteryPct: reading.batteryPct };
    const names = scenarios.map((s) => s.instance.def.name).filter((n) => n !== 'normal');
    const tags = names.length > 0 ? [...new Set(names)] : ['normal'];
    const streams = new Set(scenarios.map((s) => s.instance.def.stream).filter(Boolean));
    const out: Emission[] = [];
    const redeliver = this.redeliver;
    this.redeliver = [];

    if (this.options.batchAll) {
      this.pending.push(sample);
      if (this.pending.length >= this.options.batchSize)
        out.push(...this.batches(this.pending.splice(0), ts, tags));
    } else if (streams.has('offline')) {
      this.backlog.push(sample);
      this.redeliver = redeliver;
      return [];
    } else {
      out.push(this.single(sample, tags));
      if (this.backlog.length > 0) {
        // Back online: the current reading first, so the dashboard is fresh, then the backlog oldest first.
        out.push(...this.batches(this.backlog.splice(0), ts, ['offline-backfill'], true));
      }
    }

    if (streams.has('duplicate') && out.length > 0) {
      this.redeliver = out.map((e) => ({ ...e, type: 'duplicate', scenarios: ['duplicate-delivery'] }));
    }
    out.push(...redeliver);
    if (streams.has('malformed')) {
      for (const s of scenarios.filter((x) => x.instance.def.stream === 'malformed')) {
        const bad = this.malformed(s, sample);
        if (bad) out.push(bad);
      }
    }
    return out;
  }

  /** What is still held when the run ends: the offline backlog, a partial batch, a pending redelivery. */
  finish(): Emission[] {
    const at = this.nextTs;
    const out: Emission[] = [];
    if (this.backlog.length > 0)
      out.push(...this.batches(this.backlog.splice(0), at, ['offline-backfill'], true));
    if (this.pending.length > 0) {
      const tags = [
        ...new Set(
          this.pending
            .flatMap((s) => this.active(s.ts).map((a) => a.instance.def.name))
            .filter((n) => n !== 'normal'),
        ),
      ];
      out.push(...this.batches(this.pending.splice(0), at, tags.length ? tags : ['normal']));
    }
    out.push(...this.redeliver);
    this.redeliver = [];
    return out;
  }

  private single(sample: DeviceSample, tags: string[]): Emission {
    return {
      deviceId: this.device.id,
      at: sample.ts,
      topic: this.topic,
      payload: encodeSample(sample),
      type: 'sample',
      scenarios: tags,
      samples: [{ ts: sample.ts, seq: sample.seq }],
    };
  }

  private batches(samples: DeviceSample[], at: number, tags: string[], backlog = false): Emission[] {
    return encodeBatches(samples, this.options.batchSize).map((b) => {
      const e: Emission = {
        deviceId: this.device.id,
        at,
        topic: this.topic,
        payload: b.payload,
        type: 'batch',
        scenarios: tags,
        samples: b.samples.map((s) => ({ ts: s.ts, seq: s.seq })),
      };
      if (backlog) e.backlog = true;
      return e;
    });
  }

  /** The next bad message of a `malformed` instance, built from the current sample. */
  private malformed(s: DeviceScenario, sample: DeviceSample): Emission | undefined {
    const wanted = (s.instance.params.cases ?? MALFORMED_CASES.join('/'))
      .split('/')
      .filter((c): c is MalformedCase => (MALFORMED_CASES as readonly string[]).includes(c))
      .filter((c) => c !== 'topic_mismatch' || this.options.allowRogue);
    const sent = this.malformedSent.get(s.instance.index) ?? 0;
    const which = wanted[sent];
    if (!which) return undefined;
    this.malformedSent.set(s.instance.index, sent + 1);
    const { device } = this;
    const good = encodeSample(sample);
    const base = {
      deviceId: device.id,
      at: sample.ts,
      type: 'malformed' as const,
      scenarios: ['malformed'],
      samples: [],
      expectReason: which,
    };
    switch (which) {
      case 'not_json':
        // A buffer cut short: a prefix of a JSON object never parses.
        return { ...base, topic: this.topic, payload: good.slice(0, Math.floor(good.length * 0.6)) };
      case 'bad_shape': {
        const m = Object.fromEntries(
          Object.entries(sample.m)
            .slice(0, 2)
            .map(([name, value]) => [name.replace(/_[a-z]+$/, '').toUpperCase(), String(value)]),
        );
        return {
          ...base,
          topic: this.topic,
          payload: JSON.stringify({ v: 1, ts: sample.ts, seq: sample.seq, m }),
        };
      }
      case 'wrong_kind':
        return {
          ...base,
          topic: telemetryTopic(
            otherKind(device.kind),
            device.id,
            this.options.basicIngest,
            this.options.rulePrefix,
          ),
          payload: good,
        };
      case 'topic_mismatch':
        return {
          ...base,
          topic: this.options.neighbourTopic,
          payload: good,
          rogueClientId: `${device.id.slice(0, 58)}-rogue`,
        };
    }
  }
}
