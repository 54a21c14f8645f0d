import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InternalFailureException, ThrottlingException } from '@aws-sdk/client-iot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Device, fleetDevices } from '../../../functions/core/registry';
import { readFleetFile } from '../../../infra/fleet/read-fleet';
import { type ActiveRecord, deviceRecordSchema } from '../../../infra/provisioning/device-record';
import { type ProvisionAction, provisionDevices } from '../../../infra/provisioning/provision-fleet';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { ENDPOINT, fakeIot, POLICY } from './fake-iot';

const WRITES = /^(Create|Update|Attach|Detach|Delete)/;

let devices: Device[];
let out: string;
let fake: ReturnType<typeof fakeIot>;

beforeEach(async () => {
  devices = fleetDevices((await readFleetFile()).fleet).slice(0, 3);
  out = await makeTempDir('pamir-provision-');
  fake = fakeIot();
});
afterEach(async () => {
  fake.restore();
  await removeTempDir(out);
});

const run = (action: ProvisionAction, extra: { csrDir?: string; dryRun?: boolean } = {}) =>
  provisionDevices(action, {
    registry: fake.registry(),
    outDir: out,
    policyName: POLICY,
    dryRun: extra.dryRun ?? false,
    concurrency: 2,
    ...(extra.csrDir ? { csrDir: extra.csrDir } : {}),
  });
const onboard = () => run({ kind: 'onboard', devices });
const record = async (id: string) =>
  deviceRecordSchema.parse(JSON.parse(await readFile(join(out, id, 'device.json'), 'utf8')));
const active = async (id: string) => (await record(id)) as ActiveRecord;
const mode = async (path: string) => (await stat(path)).mode & 0o777;
const first = () => devices[0] as Device;

describe('devices:provision, onboarding', () => {
  it('creates each thing, an inactive certificate it activates only once attached, and writes the files', async () => {
    const outcomes = await onboard();

    expect(outcomes.map((o) => o.error)).toEqual([undefined, undefined, undefined]);
    const d = first();
    expect(fake.things.get(d.id)).toEqual({ kind: d.kind, siteId: d.siteId, township: 'Tashkurgan_Town' });
    expect(fake.inputs('CreateKeysAndCertificate')).toEqual(Array(3).fill({ setAsActive: false }));
    const rec = await active(d.id);
    expect(rec).toMatchObject({
      thingName: d.id,
      clientId: d.id,
      endpoint: ENDPOINT,
      port: 8883,
      privateKeyFile: 'private.pem.key',
      topics: {
        telemetry: `dt/water/${d.id}`,
        telemetryBasicIngest: `$aws/rules/pamir_telemetry_water/dt/water/${d.id}`,
        commands: `cmd/${d.id}/+`,
      },
    });
    expect(fake.certs.get(rec.certificateId)?.status).toBe('ACTIVE');
    expect(fake.thingPrincipals.get(d.id)).toEqual(new Set([rec.certificateArn]));
    expect(fake.policyTargets.get(rec.certificateArn)).toEqual(new Set([POLICY]));

    const dir = join(out, d.id);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(join(dir, 'private.pem.key'))).toBe(0o600);
    expect(await readFile(join(dir, 'private.pem.key'), 'utf8')).toContain('SECRET');
    expect(await readFile(join(dir, 'certificate.pem.crt'), 'utf8')).toBe(
      fake.certs.get(rec.certificateId)?.pem,
    );
    expect((await readdir(dir)).sort()).toEqual(['certificate.pem.crt', 'device.json', 'private.pem.key']);
  });

  it('activates a certificate only once it carries the policy and is attached to its thing', async () => {
    await run({ kind: 'onboard', devices: [first()] });

    expect(fake.commands().filter((c) => WRITES.test(c))).toEqual([
      'CreateThing',
      'CreateKeysAndCertificate',
      'AttachPolicy',
      'AttachThingPrincipal',
      'UpdateCertificate',
    ]);
    expect(fake.inputs('UpdateCertificate')).toEqual([
      { certificateId: (await active(first().id)).certificateId, newStatus: 'ACTIVE' },
    ]);
  });

  it('changes nothing on a second run: reads only, no Create, Attach or Update call', async () => {
    await onboard();
    const before = await readFile(join(out, first().id, 'device.json'), 'utf8');
    fake.clearCalls();

    const outcomes = await onboard();

    expect(outcomes.flatMap((o) => [...o.changes, ...(o.error ? [o.error] : [])])).toEqual([]);
    expect(fake.commands().filter((c) => WRITES.test(c))).toEqual([]);
    expect(fake.commands().length).toBeGreaterThan(0);
    expect(await readFile(join(out, first().id, 'device.json'), 'utf8')).toBe(before);
  });

  it('finishes a certificate a crashed run left unattached, without creating another', async () => {
    fake.failNext(
      'AttachThingPrincipal',
      new InternalFailureException({ message: 'crash', $metadata: { httpStatusCode: 500 } }),
    );
    const broken = await run({ kind: 'onboard', devices: [first()] });
    expect(broken[0]?.error).toMatch(/InternalFailureException/);
    const [pendingId] = [...fake.certs.keys()];
    expect(fake.certs.get(pendingId as string)?.status).toBe('INACTIVE');
    expect(await readdir(join(out, first().id, 'pending'))).toContain('pending.json');
    fake.clearCalls();

    const repaired = await run({ kind: 'onboard', devices: [first()] });

    expect(repaired[0]?.error).toBeUndefined();
    expect(repaired[0]?.warnings.join()).toMatch(/left pending by an earlier run/);
    expect(fake.commands()).not.toContain('CreateKeysAndCertificate');
    expect((await active(first().id)).certificateId).toBe(pendingId);
    expect(fake.certs.get(pendingId as string)?.status).toBe('ACTIVE');
    expect(fake.thingPrincipals.get(first().id)?.size).toBe(1);
    expect(await readdir(join(out, first().id))).not.toContain('pending');
  });

  it('re-attaches a certificate someone detached, and puts back a deleted certificate file', async () => {
    await onboard();
    const rec = await active(first().id);
    fake.thingPrincipals.get(first().id)?.clear();
    fake.policyTargets.get(rec.certificateArn)?.clear();
    const { rm } = await import('node:fs/promises');
    await rm(join(out, first().id, 'certificate.pem.crt'));

    const [outcome] = await run({ kind: 'onboard', devices: [first()] });

    expect(outcome?.changes).toEqual([
      expect.stringMatching(/^attach certificate .* to thing/),
      expect.stringMatching(/^attach policy/),
      expect.stringMatching(/^write certificate.pem.crt again/),
    ]);
    expect(fake.thingPrincipals.get(first().id)).toEqual(new Set([rec.certificateArn]));
    expect(await readFile(join(out, first().id, 'certificate.pem.crt'), 'utf8')).toBe(
      fake.certs.get(rec.certificateId)?.pem,
    );
  });

  it('only notes a private key removed from the out dir once the device has it', async () => {
    await onboard();
    const { rm } = await import('node:fs/promises');
    await rm(join(out, first().id, 'private.pem.key'));
    fake.clearCalls();

    const [outcome] = await run({ kind: 'onboard', devices: [first()] });

    expect(outcome?.changes).toEqual([]);
    expect(outcome?.error).toBeUndefined();
    expect(outcome?.warnings.join()).toMatch(/private.pem.key is not in .*fine if the device has it/);
    expect(fake.commands().filter((c) => WRITES.test(c))).toEqual([]);
  });

  it('reports a certificate someone deactivated instead of silently reactivating it', async () => {
    await onboard();
    const rec = await active(first().id);
    (fake.certs.get(rec.certificateId) as { status: string }).status = 'INACTIVE';

    const [outcome] = await run({ kind: 'onboard', devices: [first()] });

    expect(outcome?.error).toMatch(/is INACTIVE in IoT .*--rotate/);
    expect(fake.certs.get(rec.certificateId)?.status).toBe('INACTIVE');
  });

  it('prints the plan on --dry-run and changes nothing, in IoT or on disk', async () => {
    const outcomes = await run({ kind: 'onboard', devices }, { dryRun: true });

    expect(outcomes[0]?.changes).toEqual([
      expect.stringMatching(/^create thing .*kind=water, siteId=.*township=Tashkurgan_Town/),
      expect.stringMatching(/^create certificate \(key pair generated by IoT\), INACTIVE/),
      expect.stringMatching(/^write .*pending/),
      expect.stringMatching(/^attach policy/),
      expect.stringMatching(/^attach certificate/),
      expect.stringMatching(/ACTIVE$/),
      expect.stringMatching(/^install certificate/),
    ]);
    expect(fake.commands().filter((c) => WRITES.test(c))).toEqual([]);
    expect(await readdir(out)).toEqual([]);
  });
});

describe('devices:provision, IoT errors', () => {
  it('stops before any device when the policy does not exist, saying where the name comes from', async () => {
    fake.policies.clear();
    await expect(onboard()).rejects.toThrow(
      /policy ".*" not found .*ResourceNotFoundException.*DevicePolicyName/,
    );
    expect(fake.things.size).toBe(0);
  });

  it('fails only the throttled device with what to do, and the next run completes it', async () => {
    fake.failNext(
      'CreateKeysAndCertificate',
      new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }),
    );
    const outcomes = await onboard();
    const failed = outcomes.filter((o) => o.error);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error).toMatch(/throttled .*run again/);
    fake.clearCalls();

    const again = await onboard();

    expect(again.map((o) => o.error)).toEqual([undefined, undefined, undefined]);
    expect(fake.inputs('CreateKeysAndCertificate')).toHaveLength(1);
  });

  it('converges when the thing appears with other attributes between its read and its creation', async () => {
    const d = first();
    fake.failNext(
      'DescribeThing',
      new (await import('@aws-sdk/client-iot')).ResourceNotFoundException({
        message: `Thing ${d.id} cannot be found.`,
        $metadata: { httpStatusCode: 404 },
      }),
    );
    fake.things.set(d.id, { kind: 'bin' });

    const [outcome] = await run({ kind: 'onboard', devices: [d] });

    expect(outcome?.error).toBeUndefined();
    expect(fake.inputs('UpdateThing')).toHaveLength(1);
    expect(fake.things.get(d.id)).toMatchObject({ kind: 'water', siteId: d.siteId });
  });
});

describe('devices:provision, CSR', () => {
  it('signs the device CSR, keeps no private key, and fails a device without one', async () => {
    const csrDir = join(out, '..', `${out.split('/').pop()}-csr`);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(csrDir);
    const csr = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n';
    await writeFile(join(csrDir, `${first().id}.csr`), csr);
    try {
      const outcomes = await run({ kind: 'onboard', devices: devices.slice(0, 2) }, { csrDir });

      expect(outcomes[0]?.error).toBeUndefined();
      expect(fake.inputs('CreateCertificateFromCsr')).toEqual([
        { certificateSigningRequest: csr, setAsActive: false },
      ]);
      expect(fake.inputs('CreateKeysAndCertificate')).toEqual([]);
      const rec = await active(first().id);
      expect(rec.privateKeyFile).toBeUndefined();
      expect(await readdir(join(out, first().id))).not.toContain('private.pem.key');
      expect(outcomes[1]?.error).toMatch(/no .*\.csr: generate a key and CSR on the device/);
    } finally {
      await removeTempDir(csrDir);
    }
  });
});

describe('devices:provision, rotate and revoke', () => {
  it('rotates: the new certificate is attached and installed before the old one is detached and deactivated', async () => {
    await onboard();
    const old = await active(first().id);
    fake.clearCalls();

    const [outcome] = await run({ kind: 'rotate', devices: [first()], deleteOld: false });

    expect(outcome?.error).toBeUndefined();
    const now = await active(first().id);
    expect(now.certificateId).not.toBe(old.certificateId);
    expect(now.retiring).toBeUndefined();
    const writes = fake.commands().filter((c) => WRITES.test(c));
    expect(writes).toEqual([
      'CreateKeysAndCertificate',
      'AttachPolicy',
      'AttachThingPrincipal',
      'UpdateCertificate',
      'DetachThingPrincipal',
      'UpdateCertificate',
    ]);
    expect(fake.inputs('UpdateCertificate')).toEqual([
      { certificateId: now.certificateId, newStatus: 'ACTIVE' },
      { certificateId: old.certificateId, newStatus: 'INACTIVE' },
    ]);
    expect(fake.thingPrincipals.get(first().id)).toEqual(new Set([now.certificateArn]));
    expect(await readFile(join(out, first().id, 'certificate.pem.crt'), 'utf8')).toBe(
      fake.certs.get(now.certificateId)?.pem,
    );
    expect(await mode(join(out, first().id, 'private.pem.key'))).toBe(0o600);
  });

  it('with --delete-old deletes the old certificate, and a retirement cut short is finished by the next run', async () => {
    await onboard();
    const old = await active(first().id);
    fake.failNext(
      'DetachThingPrincipal',
      new InternalFailureException({ message: 'crash', $metadata: { httpStatusCode: 500 } }),
    );

    const [cut] = await run({ kind: 'rotate', devices: [first()], deleteOld: true });

    expect(cut?.error).toMatch(/crash/);
    const between = await active(first().id);
    expect(between.retiring).toEqual([
      { certificateId: old.certificateId, certificateArn: old.certificateArn, delete: true },
    ]);
    expect(fake.certs.get(between.certificateId)?.status).toBe('ACTIVE');

    const [finished] = await run({ kind: 'onboard', devices: [first()] });

    expect(finished?.error).toBeUndefined();
    expect(fake.certs.has(old.certificateId)).toBe(false);
    expect((await active(first().id)).retiring).toBeUndefined();
  });

  it('revokes: detached, REVOKED, files removed; later runs skip it, and --rotate issues a new certificate', async () => {
    await onboard();
    const old = await active(first().id);
    fake.clearCalls();

    const [revoked] = await run({ kind: 'revoke', deviceIds: [first().id], deleteThing: false });

    expect(revoked?.error).toBeUndefined();
    expect(fake.commands().filter((c) => WRITES.test(c))).toEqual([
      'DetachThingPrincipal',
      'UpdateCertificate',
    ]);
    expect(fake.certs.get(old.certificateId)?.status).toBe('REVOKED');
    expect(fake.thingPrincipals.get(first().id)?.size).toBe(0);
    expect(await record(first().id)).toMatchObject({
      status: 'revoked',
      certificates: [{ certificateId: old.certificateId }],
    });
    expect(await readdir(join(out, first().id))).toEqual(['device.json']);
    fake.clearCalls();

    const [skipped] = await run({ kind: 'onboard', devices: [first()] });
    expect(skipped?.changes).toEqual([]);
    expect(skipped?.warnings.join()).toMatch(/revoked; skipped/);
    expect(fake.commands().filter((c) => WRITES.test(c))).toEqual([]);

    const [renewed] = await run({ kind: 'rotate', devices: [first()], deleteOld: false });
    expect(renewed?.error).toBeUndefined();
    const rec = await active(first().id);
    expect(fake.certs.get(rec.certificateId)?.status).toBe('ACTIVE');
    expect(fake.certs.get(old.certificateId)?.status).toBe('REVOKED');
  });

  it('revokes with --delete-thing, and revoking what is unknown says so', async () => {
    await onboard();

    const [outcome] = await run({ kind: 'revoke', deviceIds: [first().id], deleteThing: true });

    expect(outcome?.error).toBeUndefined();
    expect(fake.things.has(first().id)).toBe(false);
    const [unknown] = await run({ kind: 'revoke', deviceIds: ['no-such-device'], deleteThing: false });
    expect(unknown?.error).toMatch(/nothing to revoke for no-such-device/);
  });
});
