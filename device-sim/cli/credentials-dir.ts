import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CERTIFICATE_FILE,
  type DeviceRecord,
  deviceRecordSchema,
  PRIVATE_KEY_FILE,
  RECORD_FILE,
} from '../../infra/provisioning/device-record';
import { UsageError } from '../fleet';
import type { AwsTargetOptions } from '../target';

const provisionHint = (dir: string, id: string) =>
  `provision it first: npm run devices:provision -- --out ${dir} --policy <DevicePolicyName> --devices ${id}`;

function readRecord(dir: string, id: string): DeviceRecord {
  const path = join(dir, id, RECORD_FILE);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `--credentials-dir: no ${path}: ${provisionHint(dir, id)}`
        : `--credentials-dir: ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const parsed = deviceRecordSchema.safeParse(doc);
  if (!parsed.success)
    throw new UsageError(`--credentials-dir: ${path} is not a device.json of devices:provision`);
  return parsed.data;
}

/**
 * The AWS target options from a provisioning output folder: each device's certificate and key by `{id}` path, and
 * the endpoint and port its device.json names (all devices must agree, unless --endpoint/--port override them).
 * Checked for every device before the run, so a missing or revoked one fails at once with what to do.
 */
export function credentialsDirOptions(
  dir: string,
  deviceIds: readonly string[],
  override: { endpoint?: string; port?: number },
): AwsTargetOptions {
  const endpoints = new Set<string>();
  for (const id of deviceIds) {
    const record = readRecord(dir, id);
    if (record.status !== 'active')
      throw new UsageError(`--credentials-dir: ${id} is revoked (${join(dir, id, RECORD_FILE)})`);
    if (!existsSync(join(dir, id, PRIVATE_KEY_FILE)))
      throw new UsageError(
        `--credentials-dir: no ${join(dir, id, PRIVATE_KEY_FILE)}: ${
          record.privateKeyFile
            ? `the key went missing; rotate: npm run devices:provision -- --out ${dir} --policy <DevicePolicyName> --rotate ${id}`
            : 'the device signed a CSR and kept its key; to simulate it, put that key there'
        }`,
      );
    endpoints.add(`${record.endpoint}:${record.port}`);
  }
  const [first] = endpoints;
  if (endpoints.size > 1 && (override.endpoint === undefined || override.port === undefined))
    throw new UsageError(
      `--credentials-dir: the devices name different endpoints (${[...endpoints].join(', ')}): pick one with --endpoint and --port`,
    );
  const [host = '', port = '8883'] = (first ?? '').split(/:(?=\d+$)/);
  return {
    endpoint: override.endpoint ?? host,
    port: override.port ?? Number(port),
    cert: join(dir, '{id}', CERTIFICATE_FILE),
    key: join(dir, '{id}', PRIVATE_KEY_FILE),
  };
}
