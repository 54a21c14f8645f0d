import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InMemoryServiceMetrics } from '../../../functions/adapters/in-memory-metrics';
import { PowertoolsServiceMetrics } from '../../../functions/adapters/powertools-metrics';
import { SERVICE_METRICS } from '../../../functions/contract';

interface EmfLine {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

let written: string[];
beforeEach(() => {
  written = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const lines = () =>
  written
    .join('')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as EmfLine);

describe('Powertools service metrics', () => {
  it('writes one EMF line of totals by stage, and one per reason and severity, once per flush', () => {
    const metrics = new PowertoolsServiceMetrics({ stage: 'prod', serviceName: 'pamir-telemetry' });
    metrics.count({ name: 'samplesStored' }, 250);
    metrics.count({ name: 'messagesQuarantined', reason: 'not_json' });
    metrics.count({ name: 'messagesQuarantined', reason: 'not_json' });
    metrics.count({ name: 'messagesQuarantined', reason: 'unknown_device' });
    metrics.count({ name: 'alarmsRaised', severity: 'critical' });
    metrics.count({ name: 'smsSent' });
    metrics.count({ name: 'smsFailed' });
    expect(written).toEqual([]);

    metrics.flush();

    const out = lines();
    expect(out.map((l) => l._aws.CloudWatchMetrics[0]?.Namespace)).toEqual(
      out.map(() => SERVICE_METRICS.namespace),
    );
    const [totals, ...breakdowns] = out;
    expect(totals?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['stage']]);
    expect(totals).toMatchObject({
      stage: 'prod',
      service: 'pamir-telemetry',
      SamplesStored: 250,
      MessagesQuarantined: 3,
      AlarmsRaised: 1,
      SmsSent: 1,
      SmsFailed: 1,
    });
    expect(totals?._aws.CloudWatchMetrics[0]?.Metrics.every((m) => m.Unit === 'Count')).toBe(true);
    expect(
      breakdowns.map((l) => [
        l._aws.CloudWatchMetrics[0]?.Dimensions,
        l.reason ?? l.severity,
        l.MessagesQuarantined ?? l.AlarmsRaised,
      ]),
    ).toEqual([
      [[['stage', 'reason']], 'not_json', 2],
      [[['stage', 'reason']], 'unknown_device', 1],
      [[['stage', 'severity']], 'critical', 1],
    ]);

    written.length = 0;
    metrics.flush();
    expect(written).toEqual([]);
  });

  it('takes the namespace it is given', () => {
    const metrics = new PowertoolsServiceMetrics({ stage: 'dev', namespace: 'PamirTelemetryDev' });
    metrics.count({ name: 'smsSent' }, 2);
    metrics.flush();
    expect(lines().map((l) => [l._aws.CloudWatchMetrics[0]?.Namespace, l.stage, l.SmsSent])).toEqual([
      ['PamirTelemetryDev', 'dev', 2],
    ]);
  });
});

describe('in-memory service metrics (local)', () => {
  it('keeps totals and breakdowns and writes nothing on flush', () => {
    const metrics = new InMemoryServiceMetrics();
    metrics.count({ name: 'messagesQuarantined', reason: 'bad_shape' }, 3);
    metrics.count({ name: 'alarmsRaised', severity: 'warning' });
    metrics.flush();
    expect(written).toEqual([]);
    expect(metrics.total('messagesQuarantined')).toBe(3);
    expect(metrics.counts.get('MessagesQuarantined|bad_shape')).toBe(3);
    expect(metrics.counts.get('AlarmsRaised|warning')).toBe(1);
    expect(metrics.total('smsSent')).toBe(0);
  });
});
