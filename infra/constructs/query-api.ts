import { Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  type HttpRoute,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { API_ROUTES, type TableName } from '../../functions/contract';
import { TelemetryFunction } from './telemetry-function';

export interface QueryApiProps {
  /**
   * The service's tables: the API function reads readings and quarantine, reads devices and sets their
   * maintenance flag, acknowledges and shelves alarms, and manages SMS subscriptions.
   */
  readonly tables: Readonly<Record<TableName, ITable>>;
  /** The ingest pipeline's queues: `GET /dead-letters` lists the dead-letter queue, a redrive moves to the ingest queue. */
  readonly deadLetters: { readonly deadLetterQueue: IQueue; readonly ingestQueue: IQueue };
  /** Authorizer applied to every route (the API has no public route). */
  readonly authorizer: IHttpRouteAuthorizer;
  /** Steady-state rate and burst limit of the default stage, across all callers. */
  readonly throttle: Required<ThrottleSettings>;
  /**
   * How long access log events are kept.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly accessLogRetention?: RetentionDays;
  /**
   * Browser origins allowed to call the API (the operator console's, `https://host`, no path). None: no CORS, the
   * API answers only clients that are not browsers on another origin.
   */
  readonly corsOrigins?: readonly string[];
}

/** The methods the routes use, for CORS: a browser may send what the API serves and nothing else. */
const ROUTE_METHODS = [...new Set(API_ROUTES.map((r) => r.method))].map((m) => CorsHttpMethod[m]);

/** One JSON object per request; HTTP API `$context` variables only (the REST API's standard fields differ). */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  principal: '$context.authorizer.claims.sub',
};

/**
 * The HTTP API: one function serves every route of `API_ROUTES`, each route behind the given authorizer, on a
 * throttled `$default` stage with JSON access logs.
 */
export class QueryApi extends Construct {
  public readonly httpApi: HttpApi;
  public readonly stage: HttpStage;
  public readonly handler: TelemetryFunction;
  public readonly accessLogGroup: LogGroup;
  /** One route per entry of `API_ROUTES`, in the same order. */
  public readonly routes: readonly HttpRoute[];

  constructor(scope: Construct, id: string, props: QueryApiProps) {
    super(scope, id);

    this.handler = new TelemetryFunction(this, 'ApiFunction', {
      name: 'api',
      description: 'Serves the HTTP API: devices, readings, quarantine, alarms, subscriptions, dead letters.',
    })
      .useTables(props.tables)
      .useDeadLetterQueue(props.deadLetters.deadLetterQueue, props.deadLetters.ingestQueue);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Pamir Telemetry query API',
      defaultAuthorizer: props.authorizer,
      // The stage is created below, with throttling and access logs the default stage cannot be given.
      createDefaultStage: false,
      ...(props.corsOrigins?.length
        ? {
            corsPreflight: {
              allowOrigins: [...props.corsOrigins],
              allowMethods: ROUTE_METHODS,
              // If-None-Match lets the console's alarm poll be answered 304; it must read the ETag to send it.
              allowHeaders: ['authorization', 'content-type', 'if-none-match'],
              exposeHeaders: ['etag'],
              allowCredentials: false,
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.THREE_MONTHS,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    // One permission for the whole API rather than one per route: the function serves every route anyway, and its
    // resource policy stays small as routes are added.
    const integration = new HttpLambdaIntegration('ApiIntegration', this.handler.function, {
      scopePermissionToRoute: false,
    });
    this.routes = API_ROUTES.flatMap((route) =>
      this.httpApi.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration }),
    );
  }
}
