import { SERVICE_METRICS } from '../contract';
import type { CountedEvent, ServiceMetrics } from '../ports/metrics';

/**
 * The local stand-in for CloudWatch metrics: counts kept in memory for the life of the process (the local runtime
 * shows them on its progress line). Flushing writes nothing, so the console never fills with EMF lines.
 */
export class InMemoryServiceMetrics implements ServiceMetrics {
  /** Totals by metric name (`SERVICE_METRICS`), and by `name|reason` or `name|severity`. */
  readonly counts = new Map<string, number>();

  count(event: CountedEvent, n = 1): void {
    if (n <= 0) return;
    const name = SERVICE_METRICS[event.name];
    this.add(name, n);
    if (event.name === 'messagesQuarantined') this.add(`${name}|${event.reason}`, n);
    if (event.name === 'alarmsRaised') this.add(`${name}|${event.severity}`, n);
  }

  flush(): void {}

  /** The total of one metric, 0 when never counted. */
  total(name: keyof typeof SERVICE_METRICS): number {
    return this.counts.get(SERVICE_METRICS[name]) ?? 0;
  }

  private add(key: string, n: number): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
}
