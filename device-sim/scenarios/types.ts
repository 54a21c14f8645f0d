import type { DeviceKind } from '../../functions/contract';
import type { Audience, Severity } from '../../functions/core/alarm-types';
import type { Device, Fleet } from '../../functions/core/registry';
import type { Rng } from '../random';
import type { SignalSample } from '../signals/types';

/** How many of something are expected: `{ min: 1, max: 1 }` is exactly one, `{ min: 0, max: 0 }` none. */
export interface Count {
  min: number;
  max?: number;
}

/**
 * An outcome the service should produce, as data; `--expect` checks each one after the run. Metric names may be
 * `$residual` (the device's disinfectant residual) or `$metric` (the scenario's `metric` parameter).
 */
export type OutcomeSpec =
  /** Every sample the broker acknowledged is readable through the API, exactly once. */
  | { check: 'readings' }
  /** The offline backlog is stored in timestamp order and `latest` is the newest timestamp. */
  | { check: 'backfill-order' }
  /** Every malformed message is in the quarantine once, with the reason the contract gives it. */
  | { check: 'quarantine' }
  | {
      check: 'alarm';
      /** Only alarms whose condition starts with this (`event`, `limit:` for every GB limit). */
      condition?: string;
      severity?: Severity;
      metric?: string;
      audience?: Audience | Record<DeviceKind, Audience>;
      count: Count;
      /** Check only devices past treatment (not sources), e.g. where contamination breaches a GB 5749 limit. */
      treatedOnly?: boolean;
    }
  | {
      check: 'sms';
      audience: Audience | Record<DeviceKind, Audience>;
      /** Count only SMS of this severity (an early warning may precede a critical alarm). */
      severity?: Severity;
      count: Count;
      /** `device` (default): per affected device; `scenario`: summed over all affected devices. */
      per?: 'device' | 'scenario';
    }
  | {
      /**
       * `GET /bins/{id}` forecasts the crossing of the bin's collection threshold within `maxErrorShare` of the time
       * that remained at its newest reading (never tighter than two reporting intervals), the fill rate within `maxRateError`,
       * and `GET /bins?needsCollectionWithin=` lists the bin for a window just past the true crossing, not one just
       * short of it.
       */
      check: 'forecast';
      /** The fill the scenario draws at a device. */
      truth(t: TruthContext): FillLine;
      maxErrorShare: number;
      maxRateError: number;
    }
  | {
      /**
       * `GET /bins/collections` holds `count` events per bin for the run: at the first sample on or after the round,
       * from at least the bin's `collectedFromPct` to at most its `collectedToPct`.
       */
      check: 'collections';
      count: Count;
      /** When the crew empties the bin, epoch ms. */
      roundAt(t: TruthContext): number;
    };

/** What a check knows to recompute a scenario's ground truth at one device. */
export interface TruthContext {
  device: Device;
  params: Params;
  /** The scenario's start at the device, epoch ms. */
  start: number;
  seed: number;
}

/** A straight fill line: `fromPct` at `fromTs`, rising `ratePctPerHour`. */
export interface FillLine {
  fromTs: number;
  fromPct: number;
  ratePctPerHour: number;
}

export type Params = Readonly<Record<string, string>>;

interface ParamSpec {
  default: string;
  description: string;
  /** `auto-number`: `auto` or a number; `metric`: a metric the device reports; `list`: `/`-separated `choices`. */
  type: 'number' | 'auto-number' | 'metric' | 'duration' | 'list';
  choices?: readonly string[];
}

/** What a value transform knows about the sample it changes. */
export interface ApplyContext {
  device: Device;
  seed: number;
  /** When the scenario starts at this device (downstream devices start later). */
  start: number;
  /** Milliseconds since `start`. */
  elapsed: number;
  /** The device's reporting interval, ms. */
  intervalMs: number;
  params: Params;
  /** 1 at the target, less downstream. */
  strength: number;
  /** Noise for this sample and scenario, independent of the device's own noise. */
  rng: Rng;
  /** The device's undisturbed reading at another time (e.g. the moment a channel stuck). */
  baseAt(ts: number): SignalSample;
}

export interface Affected {
  device: Device;
  lagMs: number;
  strength: number;
}

/** The fleet a scenario is resolved against. */
export interface World {
  fleet: Fleet;
  devices: readonly Device[];
}

/** One scenario: what it does, to which devices, when, and what the service should make of it. */
export interface ScenarioDef {
  name: string;
  description: string;
  appliesTo: { text: string; test(device: Device): boolean };
  /** Devices when the spec names none: the first applicable (frequent reporters first), or all of them. */
  defaultTarget: 'first' | 'all';
  /** Devices to try first when picking the default target (e.g. a source for contamination). */
  prefer?(device: Device): boolean;
  /** Default start, in reporting intervals after the run starts. */
  defaultStartSamples: number;
  /** Default start as a time after the run starts, when it does not depend on the interval (e.g. commissioning). */
  defaultStartMs?: number;
  /** Default length in reporting intervals; undefined = until the run ends. */
  defaultDurationSamples?: number;
  params?: Readonly<Record<string, ParamSpec>>;
  /** Changes one sample's values (pure). */
  apply?(sample: SignalSample, ctx: ApplyContext): SignalSample;
  /** Changes the publish stream instead of the values. */
  stream?: 'offline' | 'duplicate' | 'malformed';
  /** Devices reached beyond the targets (contamination travels downstream). */
  propagate?(targets: readonly Device[], world: World, params: Params): Affected[];
  /** The outcome in words, as the summary and `--list-scenarios` print it. */
  expected: string;
  outcomes: readonly OutcomeSpec[];
}

/** A scenario as requested on the command line and resolved against the fleet. */
export interface ScenarioInstance {
  /** Position in the request, so two instances of one scenario stay apart. */
  index: number;
  def: ScenarioDef;
  /** The spec as given, e.g. `chlorine-loss@wq-town-outlet+10m`. */
  label: string;
  params: Params;
  /** Offset of the start from the run's start (before lag), ms. */
  startOffsetMs: number;
  durationMs: number | undefined;
  affected: Affected[];
}
