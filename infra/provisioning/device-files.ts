import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CERTIFICATE_FILE,
  type DeviceRecord,
  deviceRecordSchema,
  type PendingCertificate,
  PRIVATE_KEY_FILE,
  pendingSchema,
  RECORD_FILE,
} from './device-record';

const PENDING_DIR = 'pending';
const PENDING_FILE = 'pending.json';

/** Writes through a temporary file and a rename, so a reader (or a crash) sees the old file or the new, never half. */
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data, { mode });
  // The umask can only narrow `mode`; a key must be 0600 whatever it is.
  await chmod(tmp, mode);
  await rename(tmp, path);
}

async function readJson(path: string): Promise<unknown | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * One device's folder, `<out>/<deviceId>/` (mode 0700): `device.json`, the certificate, the private key (0600), and
 * while a certificate is being installed `pending/` with the new ones. Every file is replaced by a rename.
 */
export class DeviceFiles {
  readonly dir: string;

  constructor(outDir: string, deviceId: string) {
    this.dir = join(outDir, deviceId);
  }

  private get pendingDir() {
    return join(this.dir, PENDING_DIR);
  }

  async readRecord(): Promise<DeviceRecord | undefined> {
    const doc = await readJson(join(this.dir, RECORD_FILE));
    if (doc === undefined) return undefined;
    const parsed = deviceRecordSchema.safeParse(doc);
    if (!parsed.success)
      throw new Error(
        `${join(this.dir, RECORD_FILE)} is not a device record: ${parsed.error.issues[0]?.message}`,
      );
    return parsed.data;
  }

  async writeRecord(record: DeviceRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeAtomic(join(this.dir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`, 0o644);
  }

  async readPending(): Promise<PendingCertificate | undefined> {
    const doc = await readJson(join(this.pendingDir, PENDING_FILE));
    if (doc === undefined) return undefined;
    const parsed = pendingSchema.safeParse(doc);
    if (!parsed.success)
      throw new Error(`${join(this.pendingDir, PENDING_FILE)} is not a pending certificate`);
    return parsed.data;
  }

  /** Keeps a new certificate (and its key) under `pending/` before anything is attached to it. */
  async writePending(
    pending: PendingCertificate,
    certificatePem: string,
    privateKey?: string,
  ): Promise<void> {
    await mkdir(this.pendingDir, { recursive: true, mode: 0o700 });
    await writeAtomic(join(this.pendingDir, CERTIFICATE_FILE), certificatePem, 0o644);
    if (privateKey !== undefined)
      await writeAtomic(join(this.pendingDir, PRIVATE_KEY_FILE), privateKey, 0o600);
    // Last: its presence says the PEM files beside it are complete.
    await writeAtomic(join(this.pendingDir, PENDING_FILE), `${JSON.stringify(pending, null, 2)}\n`, 0o600);
  }

  /**
   * Moves the pending certificate and key into place, then writes the record naming them, then drops `pending/`. Each
   * step is a rename; after a crash in between, `pending.json` is still there and the next run repeats the rest.
   */
  async promotePending(record: DeviceRecord): Promise<void> {
    for (const file of [CERTIFICATE_FILE, PRIVATE_KEY_FILE]) {
      if (await exists(join(this.pendingDir, file)))
        await rename(join(this.pendingDir, file), join(this.dir, file));
    }
    if (record.status === 'active' && record.privateKeyFile === undefined)
      await rm(join(this.dir, PRIVATE_KEY_FILE), { force: true });
    await this.writeRecord(record);
    await rm(this.pendingDir, { recursive: true, force: true });
  }

  /** Drops a pending certificate IoT no longer has. */
  async removePending(): Promise<void> {
    await rm(this.pendingDir, { recursive: true, force: true });
  }

  async hasFile(file: typeof CERTIFICATE_FILE | typeof PRIVATE_KEY_FILE): Promise<boolean> {
    return exists(join(this.dir, file));
  }

  /** Puts back a certificate PEM that went missing (IoT keeps the certificate; only the private key is unrecoverable). */
  async writeCertificate(certificatePem: string): Promise<void> {
    await writeAtomic(join(this.dir, CERTIFICATE_FILE), certificatePem, 0o644);
  }

  /** After a revocation: the key and certificate are useless, and a key lying around is a liability. */
  async removeCredentials(): Promise<void> {
    await rm(join(this.dir, PRIVATE_KEY_FILE), { force: true });
    await rm(join(this.dir, CERTIFICATE_FILE), { force: true });
    await rm(this.pendingDir, { recursive: true, force: true });
  }
}
