import type { Device } from '../../functions/core/registry';
import { mapWithConcurrency } from '../../functions/shared/concurrency';
import { DeviceFiles } from './device-files';
import { DeviceProblem } from './device-problem';
import { DeviceRun, type ProvisionContext } from './device-run';
import { ensureDevice } from './ensure-device';
import { explainAwsError, isNotFound } from './iot-errors';
import type { IotRegistry } from './iot-registry';
import { revokeDevice } from './revoke-device';

/**
 * What to do: onboard (and repair) devices, rotate their certificates, or revoke devices by id (a device taken out
 * of the fleet file can still be revoked).
 */
export type ProvisionAction =
  | { kind: 'onboard'; devices: readonly Device[] }
  | { kind: 'rotate'; devices: readonly Device[]; deleteOld: boolean }
  | { kind: 'revoke'; deviceIds: readonly string[]; deleteThing: boolean };

/** One device's result: what changed (or would), warnings, and the error that stopped it, if any. */
export interface DeviceOutcome {
  deviceId: string;
  changes: string[];
  warnings: string[];
  error?: string;
}

export interface ProvisionOptions {
  registry: IotRegistry;
  outDir: string;
  policyName: string;
  csrDir?: string;
  dryRun: boolean;
  /** Devices worked on at once; the rate limiter keeps each API under its rate whatever this is. */
  concurrency: number;
  onDeviceDone?: (outcome: DeviceOutcome, done: number, total: number) => void;
}

/**
 * Checks what every device needs before touching any: the policy exists (a typo would otherwise fail each device
 * separately) and the data endpoint, which each device.json carries.
 */
async function openContext(options: ProvisionOptions, needsPolicy: boolean): Promise<ProvisionContext> {
  const { registry, policyName } = options;
  if (needsPolicy) {
    await registry.getPolicy(policyName).catch((err) => {
      if (!isNotFound(err)) throw err;
      throw new Error(
        `IoT policy "${policyName}" not found in this account and region (ResourceNotFoundException): pass the stack output DevicePolicyName (see --help) and check AWS_REGION`,
        { cause: err },
      );
    });
  }
  return {
    registry,
    outDir: options.outDir,
    policyName,
    endpoint: needsPolicy ? await registry.dataEndpoint() : '',
    port: 8883,
    ...(options.csrDir === undefined ? {} : { csrDir: options.csrDir }),
    dryRun: options.dryRun,
  };
}

/**
 * Runs `action` on each device with bounded concurrency. A device's failure is its outcome, not the run's: the rest
 * carry on, and running again picks up where it stopped. Errors that concern every device (credentials, region,
 * policy) are raised before the first device.
 */
export async function provisionDevices(
  action: ProvisionAction,
  options: ProvisionOptions,
): Promise<DeviceOutcome[]> {
  const ctx = await openContext(options, action.kind !== 'revoke');
  const ids = action.kind === 'revoke' ? action.deviceIds : action.devices.map((d) => d.id);
  let done = 0;
  return mapWithConcurrency(ids, options.concurrency, async (id, i) => {
    const run = new DeviceRun(ctx, id, new DeviceFiles(options.outDir, id));
    const outcome: DeviceOutcome = { deviceId: id, changes: run.changes, warnings: run.warnings };
    try {
      if (action.kind === 'revoke') await revokeDevice(run, action.deleteThing);
      else
        await ensureDevice(run, action.devices[i] as Device, {
          rotate: action.kind === 'rotate',
          deleteOld: action.kind === 'rotate' && action.deleteOld,
        });
    } catch (err) {
      outcome.error = err instanceof DeviceProblem ? err.message : explainAwsError(err);
    }
    options.onDeviceDone?.(outcome, ++done, ids.length);
    return outcome;
  });
}
