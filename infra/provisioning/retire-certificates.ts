import type { Device } from '../../functions/core/registry';
import { type ActiveRecord, RECORD_FILE } from './device-record';
import type { DeviceRun } from './device-run';
import { isNotFound } from './iot-errors';

const short = (id: string) => id.slice(0, 10);

/**
 * Finishes the retirement of certificates a rotation replaced, in the order that keeps the device connected longest
 * and leaves nothing half-done: detach from the thing, deactivate, and (when asked) detach the policy and delete.
 * The record lists them until all is done, so a crash part-way is finished by the next run.
 */
export async function retireCertificates(
  run: DeviceRun,
  device: Device,
  record: ActiveRecord,
): Promise<void> {
  const retiring = record.retiring ?? [];
  if (retiring.length === 0) return;
  const { registry, policyName } = run.ctx;
  for (const old of retiring) {
    const state = await registry.describeCertificate(old.certificateId);
    if (!state) continue;
    const name = `old certificate ${short(old.certificateId)}…`;
    await run.change(
      `detach ${name} from thing ${device.id}`,
      () => registry.detachThingPrincipal(device.id, old.certificateArn),
      undefined,
    );
    if (state.status === 'ACTIVE')
      await run.change(
        `set ${name} INACTIVE`,
        () => registry.setCertificateStatus(old.certificateId, 'INACTIVE'),
        undefined,
      );
    if (old.delete) {
      await run.change(
        `detach policy ${policyName} from ${name}`,
        () => registry.detachPolicy(policyName, old.certificateArn).catch(ignoreNotFound),
        undefined,
      );
      await run.change(`delete ${name}`, () => registry.deleteCertificate(old.certificateId), undefined);
    }
  }
  const { retiring: _done, ...rest } = record;
  await run.change(
    `update ${RECORD_FILE} (old certificates retired)`,
    () => run.files.writeRecord(rest),
    undefined,
  );
}

function ignoreNotFound(err: unknown): void {
  if (!isNotFound(err)) throw err;
}
