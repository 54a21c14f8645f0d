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
  TABLES,
  type TableName,
  type TableSpec,
} from '../../functions/contract';
import { FUNCTIONS, type FunctionName } from '../wiring';
import { wildcardResourceFinding } from './nag-findings';
import { DEPS_LOCK_FILE, PROJECT_ROOT, projectPath } from './project-paths';

/** Service name every function logs under (Powertools Logger reads `POWERTOOLS_SERVICE_NAME`). */
const SERVICE_NAME = 'pamir-telemetry';

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

/** Item reads: CDK's `grantReadData` without the stream actions (no table has a stream). */
const TABLE_READ_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
] as const;

/** Item writes: CDK's `grantWriteData`. */
const TABLE_WRITE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/**
 * How a function may use a table. `none` only passes the table's name: the functions' configuration requires the
 * name of every table, also of tables the function never touches.
 */
export type TableAccess = 'none' | 'read' | 'readWrite' | 'write';

/** How a function may use the alarm topic: publish alarm SMS, or also (un)subscribe phones to it. */
export type AlarmTopicAccess = 'publish' | 'publishAndSubscribe';

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
 * (no Docker), its own log group with an explicit retention, active X-Ray tracing, and a role that may write only
 * to that log group. `useTable` wires a table (environment variable and IAM grant) in one call.
 */
export class TelemetryFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly logGroup: LogGroup;
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: TelemetryFunctionProps) {
    super(scope, id);
    const spec = FUNCTIONS[props.name];

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
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: FUNCTION_BUNDLING,
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'xray:PutTraceSegments and xray:PutTelemetryRecords (added by active tracing) support no resource-level ' +
        'permissions, so their resource is necessarily "*".',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is chosen, not forgotten: it is a supported runtime, the nearest to the Node.js 20 the code is ' +
        'tested on locally, and the bundle targets it. Moving to nodejs24.x is a change of FUNCTION_RUNTIME and ' +
        'BUNDLE_TARGET.',
    });
  }

  /**
   * Gives the function a table: sets the table's environment variable (`TABLES[name].envVar`) to its name and
   * grants the given access (none, for `none`). Reads extend to the table's declared global secondary indexes by name, never to a
   * `/index/*` wildcard. Returns `this` so calls chain.
   */
  public useTable(name: TableName, table: ITable, access: TableAccess): this {
    this.function.addEnvironment(TABLES[name].envVar, table.tableName);
    const spec: TableSpec = TABLES[name];
    if (access === 'read' || access === 'readWrite') {
      const indexArns = (spec.globalIndexes ?? []).map((index) => `${table.tableArn}/index/${index.name}`);
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: [...TABLE_READ_ACTIONS], resources: [table.tableArn, ...indexArns] }),
      );
    }
    if (access === 'write' || access === 'readWrite') {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: [...TABLE_WRITE_ACTIONS], resources: [table.tableArn] }),
      );
    }
    return this;
  }

  /**
   * Gives the function the alarm topic: sets `CHANNEL_ENV.alarmTopicArn` and grants publishing to it, plus
   * subscribing and unsubscribing phones with `publishAndSubscribe`. Returns `this` so calls chain.
   */
  public useAlarmTopic(topic: ITopic, access: AlarmTopicAccess): this {
    this.function.addEnvironment(CHANNEL_ENV.alarmTopicArn, topic.topicArn);
    topic.grantPublish(this.role);
    if (access === 'publishAndSubscribe') {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['sns:Subscribe', 'sns:Unsubscribe'], resources: [topic.topicArn] }),
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
