import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SERVICE_METRICS } from '../contract';
import type { CountedEvent, ServiceMetrics } from '../ports/metrics';

/** Where the counters go: the namespace, the stage every metric is dimensioned by, and the service name. */
export interface PowertoolsMetricsOptions {
  stage: string;
  namespace?: string;
  serviceName?: string;
}

type Breakdown = { dimension: 'reason' | 'severity'; value: string };

function breakdownOf(event: CountedEvent): Breakdown | undefined {
  if (event.name === 'messagesQuarantined') return { dimension: 'reason', value: event.reason };
  if (event.name === 'alarmsRaised') return { dimension: 'severity', value: event.severity };
  return undefined;
}

/**
 * Powertools Metrics as CloudWatch embedded metric format (EMF) lines on stdout, flushed once per invocation: one line
 * with every total, dimensioned by `stage` only, plus one line per reason or severity seen. Powertools adds a
 * `service` dimension by default; it is replaced by `stage` alone (the service name travels as a plain property), so
 * the metrics are exactly those the dashboard and alarms name in `SERVICE_METRICS`.
 */
export class PowertoolsServiceMetrics implements ServiceMetrics {
  private totals = new Map<string, number>();
  private breakdowns = new Map<string, { name: string; breakdown: Breakdown; n: number }>();
  private readonly namespace: string;

  constructor(private readonly options: PowertoolsMetricsOptions) {
    this.namespace = options.namespace ?? SERVICE_METRICS.namespace;
  }

  count(event: CountedEvent, n = 1): void {
    if (n <= 0) return;
    const name = SERVICE_METRICS[event.name];
    this.totals.set(name, (this.totals.get(name) ?? 0) + n);
    const breakdown = breakdownOf(event);
    if (!breakdown) return;
    const key = `${name}|${breakdown.dimension}|${breakdown.value}`;
    const held = this.breakdowns.get(key);
    if (held) held.n += n;
    else this.breakdowns.set(key, { name, breakdown, n });
  }

  flush(): void {
    const totals = this.totals;
    const breakdowns = [...this.breakdowns.values()];
    this.totals = new Map();
    this.breakdowns = new Map();
    if (totals.size > 0) this.emit({}, [...totals]);
    for (const { name, breakdown, n } of breakdowns)
      this.emit({ [breakdown.dimension]: breakdown.value }, [[name, n]]);
  }

  private emit(extra: Record<string, string>, values: [string, number][]): void {
    const metrics = new Metrics({ namespace: this.namespace, serviceName: this.options.serviceName });
    metrics.clearDefaultDimensions();
    metrics.setDefaultDimensions({ [SERVICE_METRICS.stageDimension]: this.options.stage, ...extra });
    if (this.options.serviceName) metrics.addMetadata('service', this.options.serviceName);
    for (const [name, n] of values) metrics.addMetric(name, MetricUnit.Count, n);
    metrics.publishStoredMetrics();
  }
}
