import type { DeviceFiles } from './device-files';
import type { IotRegistry } from './iot-registry';

/** What every device's provisioning shares: the registry, where files go, the policy and the endpoint. */
export interface ProvisionContext {
  registry: IotRegistry;
  outDir: string;
  policyName: string;
  /** The iot:Data-ATS endpoint written into each device.json. */
  endpoint: string;
  port: number;
  /** Folder of `<deviceId>.csr` files: sign these instead of having IoT generate key pairs. */
  csrDir?: string;
  dryRun: boolean;
}

/**
 * One device's provisioning under way: the changes it made (or, in a dry run, would make) in words, and warnings.
 * Reads always happen; every change goes through {@link DeviceRun.change}, which a dry run records and skips.
 */
export class DeviceRun {
  readonly changes: string[] = [];
  readonly warnings: string[] = [];

  constructor(
    readonly ctx: ProvisionContext,
    readonly deviceId: string,
    readonly files: DeviceFiles,
  ) {}

  /** Makes one change, or in a dry run only notes it and returns `planned` (a stand-in for what it would return). */
  async change<T>(what: string, fn: () => Promise<T>, planned: T): Promise<T> {
    this.changes.push(what);
    if (this.ctx.dryRun) return planned;
    return fn();
  }

  warn(text: string): void {
    this.warnings.push(text);
  }
}
