import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * MQTT username and password for a device of a local runtime, the one place the bench and the crash test take
 * device credentials from. The local broker's per-device secret lives in `$DATA_DIR/devices/<id>.secret`
 * (username = device id); while a runtime has none, devices connect with their client id alone.
 */
export function deviceCredentials(
  dataDir: string,
  deviceId: string,
): { username: string; password: string } | Record<string, never> {
  try {
    const password = readFileSync(join(dataDir, 'devices', `${deviceId}.secret`), 'utf8').trim();
    return password ? { username: deviceId, password } : {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}
