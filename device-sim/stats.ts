/** Counters, latency histograms and the progress line and summary built from them. */

import { nearestRank } from '../functions/shared/stats';

/**
 * A log-bucketed histogram (about 2 % resolution) for latencies in milliseconds: constant memory however long the
 * run, accurate enough for p50/p99.
 */
export class Histogram {
  private readonly buckets = new Map<number, number>();
  count = 0;
  max = 0;
  private static readonly base = Math.log(1.02);

  record(ms: number): void {
    const v = Math.max(ms, 0.001);
    const b = Math.floor(Math.log(v * 1000) / Histogram.base);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.count++;
    if (v > this.max) this.max = v;
  }

  /** The value below which a fraction q of the recordings fall (upper edge of its bucket); 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = nearestRank(this.count, q);
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b) ?? 0;
      if (seen >= rank) return Math.min(this.max, Math.exp((b + 1) * Histogram.base) / 1000);
    }
    return this.max;
  }
}

export interface Counts {
  sent: number;
  acked: number;
  failed: number;
  /** Publishes the broker was expected to refuse (the wrong-topic case) and did. */
  refused: number;
  samples: number;
}

const zero = (): Counts => ({ sent: 0, acked: 0, failed: 0, refused: 0, samples: 0 });

export class RunStats implements Counts {
  devices = 0;
  connected = 0;
  /** Most devices connected at once. */
  peakConnected = 0;
  reconnects = 0;
  sent = 0;
  acked = 0;
  failed = 0;
  refused = 0;
  samples = 0;
  inFlight = 0;
  /** Simulated time of the latest sample taken. */
  simTime: number | undefined;
  readonly latency = new Histogram();
  /** How late the scheduler fired against the plan, ms: the sign of a process that cannot keep up. */
  readonly lag = new Histogram();
  readonly byScenario = new Map<string, Counts>();
  /** Last connection error per device, for the summary. */
  readonly errors = new Map<string, string>();

  scenario(name: string): Counts {
    let c = this.byScenario.get(name);
    if (!c) {
      c = zero();
      this.byScenario.set(name, c);
    }
    return c;
  }

  count(scenarios: readonly string[], field: keyof Counts, n = 1): void {
    this[field] += n;
    for (const s of scenarios) this.scenario(s)[field] += n;
  }
}

/** Acknowledgements per second over a sliding window, for the progress line. */
export class RateMeter {
  private readonly points: { t: number; n: number }[] = [];
  constructor(private readonly windowMs = 5000) {}

  rate(now: number, total: number): number {
    this.points.push({ t: now, n: total });
    while (this.points.length > 2 && now - (this.points[0]?.t ?? now) > this.windowMs) this.points.shift();
    const first = this.points[0];
    if (!first || now - first.t <= 0) return 0;
    return ((total - first.n) * 1000) / (now - first.t);
  }
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function progressLine(stats: RunStats, rate: number, simTime?: number): string {
  const parts = [
    `connected ${int(stats.connected)}/${int(stats.devices)}`,
    `sent ${int(stats.sent)}`,
    `acked ${int(stats.acked)}`,
    `failed ${int(stats.failed)}`,
    `${int(rate)} msg/s`,
  ];
  if (simTime !== undefined && Number.isFinite(simTime)) {
    parts.push(`sim ${new Date(simTime).toISOString().slice(0, 19).replace('T', ' ')}Z`);
  }
  return parts.join('  ');
}
