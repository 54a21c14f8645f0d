import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '../../functions/shared/error-code';

/** Username of console and engineer clients on the local broker; their password is the runtime's API token. */
export const CONSOLE_USERNAME = 'console';

/** Where a device's local MQTT password lives: `$DATA_DIR/devices/<deviceId>.secret`. */
export function deviceSecretFile(dataDir: string, deviceId: string): string {
  return join(dataDir, 'devices', `${deviceId}.secret`);
}

/**
 * Reads every device's local MQTT password, generating a random one (mode 0600) for a device that has none, so a
 * newly registered device can connect on the next start. Secrets stay in the data folder, never in the repository.
 */
export async function ensureDeviceSecrets(
  dataDir: string,
  deviceIds: readonly string[],
): Promise<Map<string, string>> {
  await mkdir(join(dataDir, 'devices'), { recursive: true, mode: 0o700 });
  const secrets = new Map<string, string>();
  for (const id of deviceIds) {
    const file = deviceSecretFile(dataDir, id);
    let secret: string | undefined;
    try {
      secret = (await readFile(file, 'utf8')).trim() || undefined;
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
    }
    if (!secret) {
      secret = randomBytes(24).toString('base64url');
      // No trailing newline: `-P "$(cat file)"` and a plain read give the same bytes.
      await writeFile(file, secret, { mode: 0o600 });
      await chmod(file, 0o600);
    }
    secrets.set(id, secret);
  }
  return secrets;
}
