import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeviceProblem } from './device-problem';

/**
 * The device's certificate signing request, `<csrDir>/<deviceId>.csr`, when a CSR folder is given. A missing one is a
 * problem rather than a reason to generate a key here: whoever passes --csr-dir wants keys that never leave devices.
 */
export async function readCsr(csrDir: string | undefined, deviceId: string): Promise<string | undefined> {
  if (csrDir === undefined) return undefined;
  const path = join(csrDir, `${deviceId}.csr`);
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new DeviceProblem(
      `no ${path}: generate a key and CSR on the device (openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout device.key -subj /CN=${deviceId} -out ${deviceId}.csr) and copy the .csr here`,
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE REQUEST-----'))
    throw new DeviceProblem(`${path} is not a PEM certificate signing request (BEGIN CERTIFICATE REQUEST)`);
  return pem;
}
