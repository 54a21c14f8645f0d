import { isDeepStrictEqual } from 'node:util';
import type { Device } from '../../functions/core/registry';
import { activeRecord } from './device-connection';
import { DeviceProblem } from './device-problem';
import {
  type ActiveRecord,
  CERTIFICATE_FILE,
  type PendingCertificate,
  PRIVATE_KEY_FILE,
} from './device-record';
import type { DeviceRun } from './device-run';
import { ensureThing } from './ensure-thing';
import { finishPending, installNewCertificate } from './install-certificate';
import { retireCertificates } from './retire-certificates';
import { finishRevocation } from './revoke-device';

/** `rotate`: issue a new certificate even when the current one is fine (and retire the old one). */
export interface EnsureOptions {
  rotate: boolean;
  deleteOld: boolean;
}

const short = (id: string) => id.slice(0, 10);

/**
 * Brings one device to "onboarded": thing with attributes, an ACTIVE certificate recorded in its folder, attached to
 * the thing and carrying the device policy, and its files. What is already so is only read; what a crash left
 * half-done (a pending certificate, a retirement, a revocation) is finished; what needs a person is a DeviceProblem.
 */
export async function ensureDevice(run: DeviceRun, device: Device, options: EnsureOptions): Promise<void> {
  let record = await run.files.readRecord();
  if (record?.status === 'revoked') {
    await finishRevocation(run, record);
    if (!options.rotate) {
      run.warn(`revoked; skipped (--rotate ${device.id} issues it a new certificate)`);
      return;
    }
    record = undefined;
  }
  await ensureThing(run, device);

  const pending = await run.files.readPending();
  if (pending && (await resumePending(run, device, pending, record))) return;

  if (record === undefined) return installNewCertificate(run, device, undefined);
  if (options.rotate)
    return installNewCertificate(run, device, record, {
      certificate: { certificateId: record.certificateId, certificateArn: record.certificateArn },
      deleteOld: options.deleteOld,
    });
  await verifyCurrent(run, device, record);
}

/** Finishes a certificate a crashed run created; false when IoT no longer has it (then it is dropped). */
async function resumePending(
  run: DeviceRun,
  device: Device,
  pending: PendingCertificate,
  record: ActiveRecord | undefined,
): Promise<boolean> {
  const state = await run.ctx.registry.describeCertificate(pending.certificateId);
  if (!state || state.status === 'REVOKED') {
    run.warn(
      `pending certificate ${short(pending.certificateId)}… is ${state ? 'REVOKED' : 'gone'} in IoT; dropped`,
    );
    await run.change(`remove ${run.files.dir}/pending/`, () => run.files.removePending(), undefined);
    return false;
  }
  run.warn(`finishing certificate ${short(pending.certificateId)}… left pending by an earlier run`);
  await finishPending(run, device, pending, record, state.status !== 'ACTIVE');
  return true;
}

/** Checks the recorded certificate and repairs attachments and files; reads only when all is in order. */
async function verifyCurrent(run: DeviceRun, device: Device, record: ActiveRecord): Promise<void> {
  const { registry, policyName } = run.ctx;
  const name = `certificate ${short(record.certificateId)}…`;
  const state = await registry.describeCertificate(record.certificateId);
  if (!state) {
    run.warn(`${name} in ${run.files.dir}/device.json no longer exists in IoT; issuing a new one`);
    return installNewCertificate(run, device, record);
  }
  if (state.status !== 'ACTIVE')
    throw new DeviceProblem(
      `${name} is ${state.status} in IoT (someone changed it): run --rotate ${device.id} to issue a new one, or reactivate it with aws iot update-certificate --certificate-id ${record.certificateId} --new-status ACTIVE`,
    );

  const principals = await registry.thingPrincipals(device.id);
  if (!principals.includes(record.certificateArn))
    await run.change(
      `attach ${name} to thing ${device.id}`,
      () => registry.attachThingPrincipal(device.id, record.certificateArn),
      undefined,
    );
  const known = new Set([record.certificateArn, ...(record.retiring ?? []).map((r) => r.certificateArn)]);
  const others = principals.filter((p) => !known.has(p));
  if (others.length)
    run.warn(`thing ${device.id} also has principals this tool did not record: ${others.join(', ')}`);

  if (!(await registry.attachedPolicies(record.certificateArn)).includes(policyName))
    await run.change(
      `attach policy ${policyName} to ${name}`,
      () => registry.attachPolicy(policyName, record.certificateArn),
      undefined,
    );

  if (!(await run.files.hasFile(CERTIFICATE_FILE)))
    await run.change(
      `write ${CERTIFICATE_FILE} again (from IoT)`,
      () => run.files.writeCertificate(state.certificatePem),
      undefined,
    );
  // Deleting a key from the out dir once the device has it is good practice, so its absence is only a note.
  if (record.privateKeyFile && !(await run.files.hasFile(PRIVATE_KEY_FILE)))
    run.warn(
      `${PRIVATE_KEY_FILE} is not in ${run.files.dir}/ and IoT keeps no copy: fine if the device has it, else run --rotate ${device.id}`,
    );

  const wanted = activeRecord(device, run.ctx, record, record.privateKeyFile !== undefined, record.retiring);
  if (!isDeepStrictEqual(wanted, record))
    await run.change(
      `update ${run.files.dir}/device.json (endpoint, port or topics changed)`,
      () => run.files.writeRecord(wanted),
      undefined,
    );
  await retireCertificates(run, device, wanted);
}
