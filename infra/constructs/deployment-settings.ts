import type { IConstruct } from 'constructs';

/** Stage names: lower-case letters, digits and hyphens, starting with a letter; short enough for every name built from it. */
const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/** The stage when `-c stage=` is not given. */
const DEFAULT_STAGE = 'dev';

/** Whether the functions run with active X-Ray tracing (`-c tracing=`). */
type TracingMode = 'off' | 'active';

/** What one deployment (`-c stage=…`) is, read once from the app's context and validated. */
export interface DeploymentSettings {
  /** `-c stage=NAME`: prefixes every physical name, so several stages share one account. */
  readonly stage: string;
  /**
   * `-c accountSetup=true|false` (default true): whether this stage owns the account-wide singletons (IoT logging
   * and its `AWSIotLogsV2` log group, SNS SMS account attributes and delivery-status logging). Exactly one stage per
   * account and region may own them; every other stage there deploys with `accountSetup=false`.
   */
  readonly accountSetup: boolean;
  /** `-c tracing=off|active` (default off): X-Ray active tracing of every function. */
  readonly tracing: TracingMode;
}

/** The context key under which a stack carries its settings, so constructs deep in it read them without props. */
const SETTINGS_KEY = 'pamir:deployment';

function flag(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`context ${name}: "${String(value)}" is not true or false`);
}

/**
 * Reads and checks the deployment settings from context (`-c stage=… -c accountSetup=… -c tracing=…`), with the
 * given values taking precedence. A bad value fails the synth, saying what is allowed.
 */
export function readDeploymentSettings(
  scope: IConstruct,
  overrides: Partial<DeploymentSettings> = {},
): DeploymentSettings {
  const context = (key: string) => scope.node.tryGetContext(key) as unknown;
  const stage = String(overrides.stage ?? context('stage') ?? DEFAULT_STAGE);
  if (!STAGE_PATTERN.test(stage))
    throw new Error(
      `context stage: "${stage}" must be 1-20 characters of a-z, 0-9 and "-", starting with a letter (e.g. -c stage=prod)`,
    );
  const tracing = String(overrides.tracing ?? context('tracing') ?? 'off');
  if (tracing !== 'off' && tracing !== 'active')
    throw new Error(`context tracing: "${tracing}" must be off or active`);
  return {
    stage,
    accountSetup: overrides.accountSetup ?? flag(context('accountSetup'), 'accountSetup', true),
    tracing,
  };
}

/** Makes `settings` the deployment settings of everything later added under `stack` (call before adding children). */
export function useDeploymentSettings(stack: IConstruct, settings: DeploymentSettings): void {
  stack.node.setContext(SETTINGS_KEY, settings);
}

/** The settings of the stack `scope` belongs to; a construct tested on its own gets those of the app's context. */
export function deploymentSettings(scope: IConstruct): DeploymentSettings {
  return (
    (scope.node.tryGetContext(SETTINGS_KEY) as DeploymentSettings | undefined) ??
    readDeploymentSettings(scope)
  );
}

/** A physical name of the stage, e.g. `PamirTelemetry-dev-pipeline`. */
export function stageName(scope: IConstruct, name: string): string {
  return `PamirTelemetry-${deploymentSettings(scope).stage}-${name}`;
}

/**
 * The stage's name of an IoT topic rule: `<stage>_<ruleName>` (rule names allow only letters, digits and `_`, so the
 * stage's hyphens become underscores).
 */
export function stageRuleName(scope: IConstruct, ruleName: string): string {
  return `${deploymentSettings(scope).stage.replaceAll('-', '_')}_${ruleName}`;
}

/**
 * The name of a telemetry rule as deployed. Devices address these rules by name through Basic Ingest
 * (`$aws/rules/<ruleName>/dt/…`), so the names are part of the device contract: the account's primary stage (the one
 * with `accountSetup`, which owns the account-wide singletons) deploys them unchanged, and every other stage in the
 * account deploys `<stage>_<ruleName>`, which its devices (and the simulator's `--rule-prefix`) use instead.
 */
export function telemetryRuleName(scope: IConstruct, ruleName: string): string {
  return deploymentSettings(scope).accountSetup ? ruleName : stageRuleName(scope, ruleName);
}
