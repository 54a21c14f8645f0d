import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTarget } from '../../../device-sim/cli/connect';
import { parseOptions } from '../../../device-sim/cli/options';
import { type Device, fleetDevices } from '../../../functions/core/registry';
import { readFleetFile } from '../../../infra/fleet/read-fleet';
import { deviceRecordSchema } from '../../../infra/provisioning/device-record';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

/** Throwaway test credentials (see test/integration/sim/aws-target.test.ts). */
const TLS = join(import.meta.dirname, '..', '..', 'integration', 'sim', 'tls');

describe('pamir-sim --credentials-dir', () => {
  let dir: string;
  let devices: Device[];
  const target = (argv: string[], ds = devices) =>
    resolveTarget(parseOptions(argv).values, {}, ds, [], Date.parse('2027-01-01T00:00:00Z'));

  const provisioned = async (id: string, endpoint: string) => {
    await mkdir(join(dir, id), { recursive: true });
    await copyFile(join(TLS, 'device.pem'), join(dir, id, 'certificate.pem.crt'));
    await copyFile(join(TLS, 'device.key'), join(dir, id, 'private.pem.key'));
    const record = deviceRecordSchema.parse({
      version: 1,
      status: 'active',
      deviceId: id,
      thingName: id,
      clientId: id,
      kind: 'water',
      certificateId: 'c'.repeat(64),
      certificateArn: `arn:aws:iot:eu-west-1:123456789012:cert/${'c'.repeat(64)}`,
      certificateFile: 'certificate.pem.crt',
      privateKeyFile: 'private.pem.key',
      endpoint,
      port: 8883,
      topics: { telemetry: `dt/water/${id}`, telemetryBasicIngest: 'x', commands: `cmd/${id}/+` },
    });
    await writeFile(join(dir, id, 'device.json'), JSON.stringify(record));
  };

  beforeAll(async () => {
    dir = await makeTempDir('pamir-sim-creds-');
    devices = fleetDevices((await readFleetFile()).fleet).slice(0, 2);
    for (const d of devices) await provisioned(d.id, 'abc-ats.iot.eu-west-1.amazonaws.com');
  });
  afterAll(() => removeTempDir(dir));

  it('connects each device with its own files, to the endpoint and port of its device.json', async () => {
    const t = await target(['--credentials-dir', dir]);
    expect(t?.kind).toBe('aws');
    expect(t?.url).toBe('mqtts://abc-ats.iot.eu-west-1.amazonaws.com:8883');
    const options = t?.options(devices[0]?.id as string);
    expect(options).toMatchObject({ clientId: devices[0]?.id, port: 8883, rejectUnauthorized: true });
    expect(String(options?.cert)).toContain('BEGIN CERTIFICATE');
    expect(String(options?.key)).toContain('PRIVATE KEY');
  });

  it('lets --endpoint and --port override the recorded ones', async () => {
    const t = await target(['--credentials-dir', dir, '--endpoint', 'localhost', '--port', '18883']);
    expect(t?.url).toBe('mqtts://localhost:18883');
  });

  it('says what to do for a device not provisioned, a revoked one, or --cert given too', async () => {
    const ghost = { ...(devices[0] as Device), id: 'wq-not-provisioned' };
    await expect(target(['--credentials-dir', dir], [ghost])).rejects.toThrow(
      /no .*wq-not-provisioned\/device.json: provision it first: npm run devices:provision -- --out .* --devices wq-not-provisioned/,
    );
    await expect(target(['--credentials-dir', dir, '--cert', 'a.pem', '--key', 'a.key'])).rejects.toThrow(
      /--credentials-dir or --cert\/--key, not both/,
    );
    const id = 'wq-revoked';
    await mkdir(join(dir, id));
    await writeFile(
      join(dir, id, 'device.json'),
      JSON.stringify({
        version: 1,
        status: 'revoked',
        deviceId: id,
        thingName: id,
        certificates: [],
        deleteThing: false,
      }),
    );
    await expect(target(['--credentials-dir', dir], [{ ...(devices[0] as Device), id }])).rejects.toThrow(
      /wq-revoked is revoked/,
    );
  });

  it('refuses devices recorded with different endpoints unless one is chosen', async () => {
    const other = { ...(devices[0] as Device), id: 'wq-other-account' };
    await provisioned(other.id, 'xyz-ats.iot.cn-north-1.amazonaws.com.cn');
    await expect(target(['--credentials-dir', dir], [...devices, other])).rejects.toThrow(
      /different endpoints .*pick one with --endpoint and --port/,
    );
  });
});
