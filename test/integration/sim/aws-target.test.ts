import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Summary } from '../../../device-sim/cli';
import { captureIo } from '../../unit/sim/fixtures';

/**
 * An mTLS broker standing in for AWS IoT Core: it only accepts clients whose certificate its CA signed. The PEM
 * files in ./tls are throwaway test credentials (100-year validity), never used anywhere else.
 */
const TLS = join(import.meta.dirname, 'tls');
const pem = (name: string) => join(TLS, name);

describe('simulator against an mTLS broker (the AWS IoT Core target)', () => {
  let broker: Aedes;
  let server: Server;
  let port: number;
  const topics: string[] = [];

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    broker.on('publish', (packet, client) => {
      if (client) topics.push(packet.topic);
    });
    server = createServer(
      {
        key: readFileSync(pem('broker.key')),
        cert: readFileSync(pem('broker.pem')),
        ca: readFileSync(pem('ca.pem')),
        requestCert: true,
        rejectUnauthorized: true,
      },
      broker.handle,
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const target = (cert: string, key: string, ca: string) => [
    '--endpoint',
    'localhost',
    '--port',
    String(port),
    '--cert',
    pem(cert),
    '--key',
    pem(key),
    '--ca',
    pem(ca),
    '--devices',
    'plant-town',
    '--interval',
    '60',
    '--speed',
    '1200',
    '--samples',
    '3',
    '--seed',
    '1',
  ];

  it('publishes over mutual TLS to Basic Ingest topics named after the telemetry rules', async () => {
    const { io, stdout } = captureIo();
    const code = await main(
      [...target('device.pem', 'device.key', 'ca.pem'), '--basic-ingest', '--json'],
      io,
    );
    const summary = JSON.parse(stdout()) as Summary;
    expect(code).toBe(0);
    expect(summary).toMatchObject({ target: `mqtts://localhost:${port}`, sent: 3, acked: 3, failed: 0 });
    expect(topics).toEqual(Array(3).fill('$aws/rules/pamir_telemetry_water/dt/water/wq-town-outlet'));
  });

  it('exits 3 naming the TLS problem when the broker certificate is not from the given CA', async () => {
    const { io, stderr } = captureIo();
    expect(await main(target('device.pem', 'device.key', 'other-ca.pem'), io)).toBe(3);
    expect(stderr()).toMatch(/TLS handshake with localhost failed \(.+\): check --ca/);
  });

  it('exits 3 when the broker refuses the device certificate', async () => {
    const { io, stderr } = captureIo();
    expect(await main(target('stranger.pem', 'stranger.key', 'ca.pem'), io)).toBe(3);
    expect(stderr()).toMatch(/pamir-sim: .*(closed the connection|TLS handshake)/);
  });

  it('exits 2 before connecting when the key does not belong to the certificate', async () => {
    const { io, stderr } = captureIo();
    expect(await main(target('device.pem', 'stranger.key', 'ca.pem'), io)).toBe(2);
    expect(stderr()).toMatch(/--key .*stranger.key does not belong to the certificate .*device.pem/);
  });

  it('publishes with a devices:provision output folder (--credentials-dir), endpoint and port from device.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pamir-creds-'));
    try {
      const id = 'wq-town-outlet';
      await mkdir(join(dir, id));
      await copyFile(pem('device.pem'), join(dir, id, 'certificate.pem.crt'));
      await copyFile(pem('device.key'), join(dir, id, 'private.pem.key'));
      const certificateId = 'c'.repeat(64);
      await writeFile(
        join(dir, id, 'device.json'),
        JSON.stringify({
          version: 1,
          status: 'active',
          deviceId: id,
          thingName: id,
          clientId: id,
          kind: 'water',
          certificateId,
          certificateArn: `arn:aws:iot:eu-west-1:123456789012:cert/${certificateId}`,
          certificateFile: 'certificate.pem.crt',
          privateKeyFile: 'private.pem.key',
          endpoint: 'localhost',
          port,
          topics: { telemetry: `dt/water/${id}`, telemetryBasicIngest: '-', commands: `cmd/${id}/+` },
        }),
      );
      topics.length = 0;
      const { io, stdout } = captureIo();
      const argv = ['--credentials-dir', dir, '--ca', pem('ca.pem'), '--devices', 'plant-town'];
      const code = await main(
        [...argv, '--interval', '60', '--speed', '1200', '--samples', '2', '--json'],
        io,
      );
      expect(code).toBe(0);
      expect(JSON.parse(stdout()) as Summary).toMatchObject({
        target: `mqtts://localhost:${port}`,
        acked: 2,
      });
      expect(topics).toEqual([`dt/water/${id}`, `dt/water/${id}`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
