import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  alarmEventTopic,
  CHANNEL_ENV,
  DEAD_LETTER_ENV,
  SERVICE_METRICS,
  TABLES,
  type TableName,
  type TableSpec,
} from '../../functions/contract';
import { FUNCTIONS, type FunctionName } from '../wiring';
import { deploymentSettings } from './deployment-settings';
import { wildcardResourceFinding } from './nag-findings';
import { DEPS_LOCK_FILE, PROJECT_ROOT, projectPath } from './project-paths';
import { INDEX_ACTIONS, TABLE_GRANTS, type TableAction } from './table-grants';

/**
 * What listing and redriving the dead-letter queue needs on it: receive and release (list without deleting), delete
 * (after sending a chosen message back), the message count, and a message-move task, which itself needs receive,
 * delete and attributes on the source of the move (the DLQ).
 */
export const DEAD_LETTER_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:StartMessageMoveTask',
] as const;

/**
 * What `subscribe` access grants (one SNS subscription per phone): subscribe, set its filter policy in place, find it
 * again when SNS says it exists with other attributes, and remove it with the phone's last scope.
 */
export const SUBSCRIBE_ACTIONS = [
  'sns:Subscribe',
  'sns:Unsubscribe',
  'sns:SetSubscriptionAttributes',
  'sns:ListSubscriptionsByTopic',
] as const;

/** The Lambda runtime of every function. */
const FUNCTION_RUNTIME = Runtime.NODEJS_22_X;
/** The esbuild target: the same Node.js major as the runtime. */
const BUNDLE_TARGET = 'node22';

/**
 * How esbuild bundles every function (NodejsFunction `bundling`). Exported so the bundled-handler test builds the
 * same output with esbuild's API.
 */
export const FUNCTION_BUNDLING = {
  format: OutputFormat.ESM,
  target: BUNDLE_TARGET,
  mainFields: ['module', 'main'],
  // esbuild's ESM output has no `require`; some CommonJS dependencies still call it.
  banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
  minify: true,
  sourceMap: true,
  // The SDK versions pinned in package-lock.json are the ones the tests ran against, not the runtime's.
  bundleAwsSDK: true,
} satisfies BundlingOptions;

/**
 * How a function uses the alarm topic: `publish` alarm SMS (ingest, the sweep), or `subscribe` phones to it and manage
 * their subscriptions (the API, which sends no SMS itself).
 */
export type AlarmTopicAccess = 'publish' | 'subscribe';

export interface TelemetryFunctionProps {
  /** The function's entry in `FUNCTIONS` (wiring.ts): source entry, memory size and timeout come from there. */
  readonly name: FunctionName;
  /** Short description shown in the Lambda console. */
  readonly description: string;
  /**
   * How long the function's log events are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * One Lambda function with the service's shared defaults: arm64, Node.js 22, an ESM bundle built locally by esbuild
 * (no Docker), its own log group with an explicit retention, X-Ray tracing as the stage chooses (`-c tracing=`), and a
 * role that may write only to that log group. Its environment names the stage (`STAGE`) and its Powertools service
 * and metrics namespace. `useTables` wires the tables (environment variables and exact IAM grants) in one call.
 */
export class TelemetryFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly logGroup: LogGroup;
  public readonly role: Role;
  /** The function's entry in `FUNCTIONS`. */
  public readonly name: FunctionName;

  constructor(scope: Construct, id: string, props: TelemetryFunctionProps) {
    super(scope, id);
    const spec = FUNCTIONS[props.name];
    const settings = deploymentSettings(this);
    this.name = props.name;

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });

    // An own role instead of AWSLambdaBasicExecutionRole: that managed policy lets the function write to any log
    // group in the account, this one only to its own.
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: projectPath(spec.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: DEPS_LOCK_FILE,
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutS),
      // Lambda samples 1 request a second and 5 % of the rest and ignores X-Ray sampling rules: the only choice is on
      // or off, made per stage (docs/deploy.md, "Tracing").
      tracing: settings.tracing === 'active' ? Tracing.ACTIVE : Tracing.DISABLED,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        // The functions log and emit metrics under their own name, in the stage's dimension.
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: SERVICE_METRICS.namespace,
        STAGE: settings.stage,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: FUNCTION_BUNDLING,
    });

    if (settings.tracing === 'active') {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'xray:PutTraceSegments and xray:PutTelemetryRecords (added by active tracing) support no resource-level ' +
          'permissions, so their resource is necessarily "*".',
      });
    }
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is chosen, not forgotten: it is a supported runtime, the nearest to the Node.js 20 the code is ' +
        'tested on locally, and the bundle targets it. Moving to nodejs24.x is a change of FUNCTION_RUNTIME and ' +
        'BUNDLE_TARGET.',
    });
  }

  /**
   * Gives the function a table: sets the table's environment variable (`TABLES[name].envVar`) to its name and allows
   * exactly `actions` on it (none for an empty list). Query and Scan extend to the table's declared global secondary
   * indexes by name, never to a `/index/*` wildcard. Returns `this` so calls chain.
   */
  public useTable(name: TableName, table: ITable, actions: readonly TableAction[]): this {
    this.function.addEnvironment(TABLES[name].envVar, table.tableName);
    if (actions.length === 0) return this;
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: actions.map((a) => `dynamodb:${a}`), resources: [table.tableArn] }),
    );
    const indexActions = actions.filter((a) => INDEX_ACTIONS.includes(a));
    const spec: TableSpec = TABLES[name];
    const indexArns = (spec.globalIndexes ?? []).map((index) => `${table.tableArn}/index/${index.name}`);
    if (indexActions.length > 0 && indexArns.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: indexActions.map((a) => `dynamodb:${a}`), resources: indexArns }),
      );
    }
    return this;
  }

  /** Gives the function every table, each with exactly the actions `TABLE_GRANTS` lists for it. Returns `this`. */
  public useTables(tables: Readonly<Record<TableName, ITable>>): this {
    for (const [name, actions] of Object.entries(TABLE_GRANTS[this.name]) as [
      TableName,
      readonly TableAction[],
    ][])
      this.useTable(name, tables[name], actions);
    return this;
  }

  /**
   * Gives the function the alarm topic: sets `CHANNEL_ENV.alarmTopicArn` and grants either publishing to it or
   * managing its phone subscriptions (`SUBSCRIBE_ACTIONS`), never both. Returns `this` so calls chain.
   */
  public useAlarmTopic(topic: ITopic, access: AlarmTopicAccess): this {
    this.function.addEnvironment(CHANNEL_ENV.alarmTopicArn, topic.topicArn);
    if (access === 'publish') topic.grantPublish(this.role);
    else {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: [...SUBSCRIBE_ACTIONS], resources: [topic.topicArn] }),
      );
    }
    return this;
  }

  /**
   * Gives the function the ingest dead-letter queue to list and redrive: sets `DEAD_LETTER_ENV` (both queues' URL
   * and ARN) and grants `DEAD_LETTER_ACTIONS` on the dead-letter queue and only `sqs:SendMessage` (the destination of
   * a redrive) on the ingest queue. Returns `this` so calls chain.
   */
  public useDeadLetterQueue(deadLetterQueue: IQueue, ingestQueue: IQueue): this {
    this.function.addEnvironment(DEAD_LETTER_ENV.deadLetterQueueUrl, deadLetterQueue.queueUrl);
    this.function.addEnvironment(DEAD_LETTER_ENV.deadLetterQueueArn, deadLetterQueue.queueArn);
    this.function.addEnvironment(DEAD_LETTER_ENV.ingestQueueUrl, ingestQueue.queueUrl);
    this.function.addEnvironment(DEAD_LETTER_ENV.ingestQueueArn, ingestQueue.queueArn);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...DEAD_LETTER_ACTIONS], resources: [deadLetterQueue.queueArn] }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [ingestQueue.queueArn] }),
    );
    return this;
  }

  /**
   * Lets the ingest function send back to its own queue what one invocation defers (a backfill larger than one
   * invocation's budget): sets `DEAD_LETTER_ENV.ingestQueueUrl` and grants only `sqs:SendMessage` on that queue.
   * Returns `this` so calls chain.
   */
  public useRequeue(ingestQueue: IQueue): this {
    this.function.addEnvironment(DEAD_LETTER_ENV.ingestQueueUrl, ingestQueue.queueUrl);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [ingestQueue.queueArn] }),
    );
    return this;
  }

  /**
   * Gives the function the live-event channel: sets `CHANNEL_ENV.iotDataEndpoint` to the account's IoT data
   * endpoint and grants publishing to the alarm event topics (`alarmEventTopic(<any site>)`) and nowhere else.
   * Returns `this` so calls chain.
   */
  public useLiveEvents(iotDataEndpoint: string): this {
    this.function.addEnvironment(CHANNEL_ENV.iotDataEndpoint, iotDataEndpoint);
    const alarmEvents = Stack.of(this).formatArn({
      service: 'iot',
      resource: 'topic',
      resourceName: alarmEventTopic('*'),
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['iot:Publish'], resources: [alarmEvents] }),
    );
    Validations.of(this.role).acknowledge({
      id: wildcardResourceFinding(this, alarmEvents),
      reason:
        'Live alarm events go to one topic per site (evt/alarms/<siteId>), and sites come from the fleet registry ' +
        'at run time; the wildcard covers exactly that topic family.',
    });
    return this;
  }
}
