import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Dashboard, GraphWidget, type IMetric, MathExpression, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SERVICE_METRICS } from '../../functions/contract';
import type { FunctionName } from '../wiring';
import { deploymentSettings, stageName } from './deployment-settings';
import { serviceMetric } from './pipeline-health';
import type { TelemetryFunction } from './telemetry-function';

export interface PipelineDashboardProps {
  readonly ingestQueue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly ruleErrorQueue: IQueue;
  readonly functions: Readonly<Record<FunctionName, TelemetryFunction>>;
  readonly httpApi: IHttpApi;
}

const PERIOD = Duration.minutes(5);
const WIDTH = 8;
const HEIGHT = 6;

function graph(title: string, left: IMetric[], right: IMetric[] = []): GraphWidget {
  return new GraphWidget({ title, left, right, width: WIDTH, height: HEIGHT });
}

/**
 * One CloudWatch dashboard per stage (`PamirTelemetry-<stage>-pipeline`), read top to bottom the way a message
 * travels: the ingest queue (depth, age) and what waits in the dead-letter and rule-error queues; the ingest function
 * (invocations, errors, duration); what the service did (samples stored, messages quarantined by reason, alarms
 * raised, SMS sent and failed, from the functions' Powertools metrics in the stage's dimension); the API (4xx, 5xx,
 * latency) and the alarm sweep.
 */
export class PipelineDashboard extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const stage = deploymentSettings(this).stage;
    const sum = { period: PERIOD, statistic: 'Sum' };
    const max = { period: PERIOD, statistic: 'Maximum' };
    const fn = (name: FunctionName) => props.functions[name].function;
    const service = (metricName: string, label: string) =>
      serviceMetric(this, metricName, { period: PERIOD }).with({ label });
    const api = props.httpApi;
    const byDimension = (metricName: string, dimension: string) =>
      new MathExpression({
        expression: `SEARCH('{${SERVICE_METRICS.namespace},${SERVICE_METRICS.stageDimension},${dimension}} MetricName="${metricName}" ${SERVICE_METRICS.stageDimension}="${stage}"', 'Sum', ${PERIOD.toSeconds()})`,
        usingMetrics: {},
        label: '',
        period: PERIOD,
      });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: stageName(this, 'pipeline'),
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          `# Pamir Telemetry · ${stage}\n` +
          'Device → IoT rule → ingest queue → ingest → tables, alarms → SMS. Alarm runbook: docs/operations.md; ' +
          'deployment and settings: docs/deploy.md.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'Ingest queue: depth',
        [props.ingestQueue.metricApproximateNumberOfMessagesVisible(max).with({ label: 'visible' })],
        [props.ingestQueue.metricApproximateNumberOfMessagesNotVisible(max).with({ label: 'in flight' })],
      ),
      graph('Ingest queue: age of oldest message (s)', [
        props.ingestQueue.metricApproximateAgeOfOldestMessage(max).with({ label: 'oldest' }),
      ]),
      graph('Waiting for an engineer', [
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible(max).with({ label: 'dead letters' }),
        props.ruleErrorQueue.metricApproximateNumberOfMessagesVisible(max).with({ label: 'rule errors' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Ingest: invocations and errors',
        [fn('ingest').metricInvocations(sum), fn('ingest').metricErrors(sum)],
        [fn('ingest').metricThrottles(sum)],
      ),
      graph('Ingest: duration (ms)', [
        fn('ingest').metricDuration({ period: PERIOD, statistic: 'Average' }).with({ label: 'average' }),
        fn('ingest').metricDuration({ period: PERIOD, statistic: 'p99' }).with({ label: 'p99' }),
        fn('ingest').metricDuration(max).with({ label: 'maximum' }),
      ]),
      graph('Samples stored and quarantined', [
        service(SERVICE_METRICS.samplesStored, 'samples stored'),
        service(SERVICE_METRICS.messagesQuarantined, 'messages quarantined'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Alarms raised and SMS', [
        service(SERVICE_METRICS.alarmsRaised, 'alarms raised'),
        service(SERVICE_METRICS.smsSent, 'SMS sent'),
        service(SERVICE_METRICS.smsFailed, 'SMS failed'),
      ]),
      // Every reason and severity the functions report, without listing them here: searches over the dimension.
      graph('Quarantined by reason', [byDimension(SERVICE_METRICS.messagesQuarantined, 'reason')]),
      graph('Alarms raised by severity', [byDimension(SERVICE_METRICS.alarmsRaised, 'severity')]),
    );
    this.dashboard.addWidgets(
      graph(
        'Alarm sweep',
        [fn('alarmSweep').metricInvocations(sum), fn('alarmSweep').metricErrors(sum)],
        [fn('alarmSweep').metricDuration(max).with({ label: 'max duration (ms)' })],
      ),
    );
    this.dashboard.addWidgets(
      graph('API: requests and errors', [
        api.metricCount({ period: PERIOD }).with({ label: 'requests' }),
        api.metricClientError({ period: PERIOD }).with({ label: '4xx' }),
        api.metricServerError({ period: PERIOD }).with({ label: '5xx' }),
      ]),
      graph('API: latency (ms)', [
        api.metricLatency({ period: PERIOD, statistic: 'p50' }).with({ label: 'p50' }),
        api.metricLatency({ period: PERIOD, statistic: 'p99' }).with({ label: 'p99' }),
        api.metricIntegrationLatency({ period: PERIOD, statistic: 'p99' }).with({ label: 'integration p99' }),
      ]),
      graph(
        'API function',
        [fn('api').metricInvocations(sum), fn('api').metricErrors(sum)],
        [fn('api').metricDuration({ period: PERIOD, statistic: 'p99' }).with({ label: 'p99 duration (ms)' })],
      ),
    );
  }
}
