import type { App } from 'aws-cdk-lib';
import { StatefulStack } from './stateful-stack';
import { StatelessStack } from './stateless-stack';

export const STATEFUL_STACK_NAME = 'PamirTelemetry-Stateful';
export const STATELESS_STACK_NAME = 'PamirTelemetry-Stateless';

/** Adds the service's two stacks to an app: the entry point and the tests build exactly the same thing. */
export function addTelemetryStacks(app: App): { stateful: StatefulStack; stateless: StatelessStack } {
  const stateful = new StatefulStack(app, STATEFUL_STACK_NAME, {
    description: 'Pamir Telemetry: tables, alarm topic and operator directory (retained)',
  });
  const stateless = new StatelessStack(app, STATELESS_STACK_NAME, {
    description: 'Pamir Telemetry: IoT rules, ingest pipeline, HTTP API, schedules',
    tables: stateful.tables,
    alarmTopic: stateful.alarmTopic,
    userPool: stateful.userPool,
    userPoolClient: stateful.userPoolClient,
  });
  return { stateful, stateless };
}
