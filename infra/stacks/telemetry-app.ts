import type { App } from 'aws-cdk-lib';
import { type DeploymentSettings, readDeploymentSettings } from '../constructs/deployment-settings';
import { StatefulStack } from './stateful-stack';
import { StatelessStack } from './stateless-stack';

/** The two stacks' names in a stage: `PamirTelemetry-<stage>-Stateful` and `PamirTelemetry-<stage>-Stateless`. */
export function stackNames(stage: string): { stateful: string; stateless: string } {
  return { stateful: `PamirTelemetry-${stage}-Stateful`, stateless: `PamirTelemetry-${stage}-Stateless` };
}

/**
 * Adds one stage's two stacks to an app: the entry point and the tests build exactly the same thing. The stage and
 * the other deployment settings come from the app's context (`-c stage=…`), or from `overrides` (tests put two stages
 * in one app).
 */
export function addTelemetryStacks(
  app: App,
  overrides: Partial<DeploymentSettings> = {},
): { stateful: StatefulStack; stateless: StatelessStack; settings: DeploymentSettings } {
  const settings = readDeploymentSettings(app, overrides);
  const names = stackNames(settings.stage);
  const stateful = new StatefulStack(app, names.stateful, {
    description: `Pamir Telemetry (${settings.stage}): tables, alarm topic and operator directory (retained)`,
  });
  const stateless = new StatelessStack(app, names.stateless, {
    description: `Pamir Telemetry (${settings.stage}): IoT rules, ingest pipeline, HTTP API, schedules, dashboard`,
    settings,
    tables: stateful.tables,
    alarmTopic: stateful.alarmTopic,
    userPool: stateful.userPool,
    userPoolClient: stateful.userPoolClient,
    signInUrl: stateful.signInUrl,
  });
  return { stateful, stateless, settings };
}
