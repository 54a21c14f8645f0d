import { DeviceProblem } from './device-problem';
import type { CertificateRef, RevokedRecord } from './device-record';
import type { DeviceRun } from './device-run';
import { isNotFound } from './iot-errors';

const short = (id: string) => id.slice(0, 10);

/** `arn:aws:iot:<region>:<account>:cert/<id>` → the certificate; other principals (Cognito ids) are not ours. */
function certificateOf(principal: string): CertificateRef | undefined {
  const m = /:cert\/([0-9a-f]{64})$/.exec(principal);
  return m?.[1] ? { certificateId: m[1], certificateArn: principal } : undefined;
}

/**
 * Revokes every certificate the device has: the recorded one, one pending or retiring, and any other certificate
 * attached to its thing (a lost device may have been given one by hand). The intent is written first, so a normal
 * run after a crash finishes the revocation instead of "repairing" the detached certificate back onto the thing.
 */
export async function revokeDevice(run: DeviceRun, deleteThing: boolean): Promise<void> {
  const { registry } = run.ctx;
  const id = run.deviceId;
  const record = await run.files.readRecord();
  const pending = await run.files.readPending();
  const known: CertificateRef[] = [];
  if (record?.status === 'active') known.push(record, ...(record.retiring ?? []));
  if (record?.status === 'revoked') known.push(...record.certificates);
  if (pending) known.push(pending);
  const principals = await registry.thingPrincipals(id).catch((err) => {
    if (isNotFound(err)) return [] as string[];
    throw err;
  });
  known.push(...principals.flatMap((p) => certificateOf(p) ?? []));
  const certificates = [...new Map(known.map((c) => [c.certificateId, c])).values()].map((c) => ({
    certificateId: c.certificateId,
    certificateArn: c.certificateArn,
  }));
  if (certificates.length === 0 && !deleteThing)
    throw new DeviceProblem(
      `nothing to revoke for ${id}: no record in ${run.files.dir}/ and no certificate attached to a thing ${id}`,
    );
  const revoked: RevokedRecord = {
    version: 1,
    status: 'revoked',
    deviceId: id,
    thingName: id,
    certificates,
    deleteThing: deleteThing || (record?.status === 'revoked' && record.deleteThing),
  };
  await run.change(
    `mark ${id} revoked in ${run.files.dir}/device.json`,
    () => run.files.writeRecord(revoked),
    undefined,
  );
  await finishRevocation(run, revoked);
  await run.change(
    `remove the certificate and private key from ${run.files.dir}/`,
    () => run.files.removeCredentials(),
    undefined,
  );
}

/**
 * Makes a revocation true in IoT: each certificate detached from the thing and REVOKED, and the thing deleted when
 * asked. Reads only when that is already so.
 */
export async function finishRevocation(run: DeviceRun, record: RevokedRecord): Promise<void> {
  const { registry } = run.ctx;
  for (const cert of record.certificates) {
    const state = await registry.describeCertificate(cert.certificateId);
    if (!state || state.status === 'REVOKED') continue;
    const name = `certificate ${short(cert.certificateId)}…`;
    await run.change(
      `detach ${name} from thing ${record.thingName}`,
      () => registry.detachThingPrincipal(record.thingName, cert.certificateArn),
      undefined,
    );
    await run.change(
      `set ${name} REVOKED`,
      () => registry.setCertificateStatus(cert.certificateId, 'REVOKED'),
      undefined,
    );
  }
  if (record.deleteThing && (await registry.describeThing(record.thingName))) {
    for (const principal of await registry.thingPrincipals(record.thingName))
      await run.change(
        `detach ${principal} from thing ${record.thingName}`,
        () => registry.detachThingPrincipal(record.thingName, principal),
        undefined,
      );
    await run.change(
      `delete thing ${record.thingName}`,
      () => registry.deleteThing(record.thingName),
      undefined,
    );
  }
}
