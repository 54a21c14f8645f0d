import { isAbsolute } from 'node:path';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { TableName } from '../../functions/contract';
import { AlarmEventLog } from '../constructs/alarm-event-log';
import { type DeploymentSettings, useDeploymentSettings } from '../constructs/deployment-settings';
import { DevicePolicy } from '../constructs/device-policy';
import { IngestPipeline } from '../constructs/ingest-pipeline';
import { IotDataEndpoint } from '../constructs/iot-data-endpoint';
import { IotLogging } from '../constructs/iot-logging';
import { OperatorConsoleSite } from '../constructs/operator-console-site';
import { signInUrls } from '../constructs/operator-directory';
import { PipelineDashboard } from '../constructs/pipeline-dashboard';
import { PipelineHealth } from '../constructs/pipeline-health';
import { projectPath } from '../constructs/project-paths';
import { QueryApi } from '../constructs/query-api';
import { ScheduledJobs } from '../constructs/scheduled-jobs';
import { SmsDeliveryStatus } from '../constructs/sms-delivery-status';
import { TelemetryFunction } from '../constructs/telemetry-function';
import type { FunctionName } from '../wiring';

/**
 * Throttling of the whole API. A county's operators and the console issue a few requests per second at most;
 * the limit caps what a leaked token or a runaway client can cost.
 */
const API_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

export interface StatelessStackProps extends StackProps {
  /** The stage and the other deployment settings (`-c stage=…`, `-c accountSetup=…`, `-c tracing=…`). */
  readonly settings: DeploymentSettings;
  /** The tables of the stateful stack. */
  readonly tables: Record<TableName, ITable>;
  /** The topic alarm SMS are published to, and phones subscribed to. */
  readonly alarmTopic: ITopic;
  /** The user pool whose tokens the API accepts. */
  readonly userPool: IUserPool;
  /** The app client the tokens must be issued to (the token audience). */
  readonly userPoolClient: IUserPoolClient;
  /** The Cognito managed sign-in domain's base URL: the console's sign-in and token endpoint. */
  readonly signInUrl: string;
}

/** Where `npm run console:build` writes the console; `-c consoleDistDir=…` names another built copy. */
const CONSOLE_DIST_DIR = 'console/dist';

/**
 * The console's own sign-in settings and the origins the API's CORS allows besides the site's: the sign-in URLs given
 * as context (`consoleCallbackUrls`, `consoleLogoutUrls`, e.g. a custom domain in front of the distribution or a
 * console run from a developer's machine against this API). Nothing when they are not given.
 */
function consoleContext(scope: Construct) {
  const given = (key: string) => {
    const raw = scope.node.tryGetContext(key) as unknown;
    return raw === undefined || raw === null || raw === '' ? [] : signInUrls(key, raw);
  };
  const callbackUrls = given('consoleCallbackUrls');
  const logoutUrls = given('consoleLogoutUrls');
  const origins = [...new Set([...callbackUrls, ...logoutUrls].map((u) => new URL(u).origin))];
  const dist = (scope.node.tryGetContext('consoleDistDir') as string | undefined) ?? CONSOLE_DIST_DIR;
  return { callbackUrls, logoutUrls, origins, distDir: isAbsolute(dist) ? dist : projectPath(dist) };
}

/** Deploy-time settings, from `-c key=value` or cdk.json's context; none is a secret. */
interface HealthSettings {
  /** `opsEmails`: comma-separated addresses for the pipeline-health alarms. */
  emails: string[];
  /**
   * `smsMonthlySpendLimitUsd`: the account's SNS SMS spend limit (AWS's default for a new account: 1), set as the
   * account's `MonthlySpendLimit` by the stage that owns the account setup.
   */
  smsMonthlySpendLimitUsd: number;
}

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

/** Reads and checks the health settings from the construct tree's context; a bad value fails the synth, saying why. */
function healthSettings(scope: Construct): HealthSettings {
  const rawEmails = scope.node.tryGetContext('opsEmails') as string | undefined;
  const emails = (rawEmails ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const bad = emails.filter((e) => !EMAIL.test(e));
  if (bad.length > 0)
    throw new Error(
      `context opsEmails: ${bad.join(', ')} is not an e-mail address (give -c opsEmails=a@b.cn,c@d.cn)`,
    );
  const rawLimit = scope.node.tryGetContext('smsMonthlySpendLimitUsd') as string | number | undefined;
  const smsMonthlySpendLimitUsd = rawLimit === undefined ? 1 : Number(rawLimit);
  if (!Number.isFinite(smsMonthlySpendLimitUsd) || smsMonthlySpendLimitUsd <= 0)
    throw new Error(
      `context smsMonthlySpendLimitUsd: "${rawLimit}" is not a positive number of USD (the account's SNS MonthlySpendLimit)`,
    );
  return { emails, smsMonthlySpendLimitUsd };
}

/**
 * Everything that can be replaced at will: functions, IoT rules and device policy, queues, the API, schedules.
 * Every function gets every table name and both alarm channels (SNS topic, IoT live events), as the functions'
 * configuration requires; access is granted only where the function's code uses it.
 */
export class StatelessStack extends Stack {
  public readonly ingest: IngestPipeline;
  public readonly api: QueryApi;
  /** The operator console: static site, its Cognito client and its config. */
  public readonly console: OperatorConsoleSite;
  public readonly devicePolicy: DevicePolicy;
  /** Every function of `FUNCTIONS`, by name. */
  public readonly functions: Readonly<Record<FunctionName, TelemetryFunction>>;
  public readonly scheduledJobs: ScheduledJobs;
  public readonly health: PipelineHealth;
  public readonly dashboard: PipelineDashboard;
  /** The IoT rule writing live alarm events to their audit log group. */
  public readonly alarmEvents: AlarmEventLog;
  /** The account's IoT logging and SMS settings, in the stage that owns them (`accountSetup`). */
  public readonly accountSetup?: {
    readonly iotLogging: IotLogging;
    readonly smsDeliveryStatus: SmsDeliveryStatus;
  };

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    // Before any construct is added: they read the stage from here.
    useDeploymentSettings(this, props.settings);

    this.ingest = new IngestPipeline(this, 'Ingest', { tables: props.tables });
    this.devicePolicy = new DevicePolicy(this, 'DevicePolicy');
    const consoleSettings = consoleContext(this);
    this.console = new OperatorConsoleSite(this, 'Console', {
      distDir: consoleSettings.distDir,
      userPool: props.userPool,
      cognitoDomain: props.signInUrl,
      extraCallbackUrls: consoleSettings.callbackUrls,
      extraLogoutUrls: consoleSettings.logoutUrls,
    });
    this.api = new QueryApi(this, 'Api', {
      tables: props.tables,
      deadLetters: { deadLetterQueue: this.ingest.deadLetterQueue, ingestQueue: this.ingest.queue },
      authorizer: new HttpUserPoolAuthorizer('OperatorAuthorizer', props.userPool, {
        // The directory's client (scripts, a console on a configured URL) and the console site's.
        userPoolClients: [props.userPoolClient, this.console.client],
      }),
      throttle: API_THROTTLE,
      corsOrigins: [this.console.origin, ...consoleSettings.origins],
    });
    this.console.publish(this.api.httpApi.apiEndpoint);
    const alarmSweep = new TelemetryFunction(this, 'AlarmSweepFunction', {
      name: 'alarmSweep',
      description:
        'Scheduled: alarm reminders and escalation, offline detection, shelve expiry, flood digests.',
    }).useTables(props.tables);

    const rollups = new TelemetryFunction(this, 'RollupsFunction', {
      name: 'rollups',
      description: 'Scheduled: hourly and daily roll-ups of the hours ingest marked as touched.',
    }).useTables(props.tables);

    this.functions = { ingest: this.ingest.ingest, api: this.api.handler, alarmSweep, rollups };

    // First of the stack's AWS custom resources: the others share its provider function, role and log group.
    const iotData = new IotDataEndpoint(this, 'IotDataEndpoint');
    // The roll-up job raises no alarms: no live events, no alarm topic.
    for (const fn of [this.functions.ingest, this.functions.api, this.functions.alarmSweep])
      fn.useLiveEvents(iotData.address);
    this.functions.ingest.useAlarmTopic(props.alarmTopic, 'publish');
    this.functions.alarmSweep.useAlarmTopic(props.alarmTopic, 'publish');
    // The API also subscribes and unsubscribes phones when SMS subscriptions are created or deleted.
    this.functions.api.useAlarmTopic(props.alarmTopic, 'subscribe');

    this.scheduledJobs = new ScheduledJobs(this, 'Schedules', {
      functions: {
        ingest: this.functions.ingest.function,
        api: this.functions.api.function,
        alarmSweep: this.functions.alarmSweep.function,
        rollups: this.functions.rollups.function,
      },
    });

    this.alarmEvents = new AlarmEventLog(this, 'AlarmEvents', { errorQueue: this.ingest.ruleErrorQueue });

    const health = healthSettings(this);
    if (props.settings.accountSetup) {
      this.accountSetup = {
        iotLogging: new IotLogging(this, 'IotLogging'),
        smsDeliveryStatus: new SmsDeliveryStatus(this, 'SmsDeliveryStatus', {
          monthlySpendLimitUsd: health.smsMonthlySpendLimitUsd,
        }),
      };
    }

    this.health = new PipelineHealth(this, 'Health', {
      ingestQueue: this.ingest.queue,
      deadLetterQueue: this.ingest.deadLetterQueue,
      ruleErrorQueue: this.ingest.ruleErrorQueue,
      functions: this.functions,
      alarmTopic: props.alarmTopic,
      iotLogMetrics: this.accountSetup && {
        denied: this.accountSetup.iotLogging.deniedMetric,
        ruleFailures: this.accountSetup.iotLogging.ruleFailureMetric,
      },
      ...health,
    });
    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      ingestQueue: this.ingest.queue,
      deadLetterQueue: this.ingest.deadLetterQueue,
      ruleErrorQueue: this.ingest.ruleErrorQueue,
      functions: this.functions,
      httpApi: this.api.httpApi,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.stage.url });
    new CfnOutput(this, 'ConsoleUrl', { value: this.console.url });
    new CfnOutput(this, 'DevicePolicyName', { value: this.devicePolicy.policyName });
    new CfnOutput(this, 'IngestQueueUrl', { value: this.ingest.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.ingest.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'RuleErrorQueueUrl', { value: this.ingest.ruleErrorQueue.queueUrl });
    new CfnOutput(this, 'AlarmEventLogGroup', { value: this.alarmEvents.logGroup.logGroupName });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboard.dashboardName });
  }
}
