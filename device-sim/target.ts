import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { CONSOLE_USERNAME, deviceSecretFile } from '../infra/local/mqtt-credentials';
import { UsageError } from './fleet';

/** Where devices connect: the local broker, or AWS IoT Core over mutual TLS. */
export interface Target {
  kind: 'local' | 'aws';
  /** For messages: `mqtt://127.0.0.1:1883`, `mqtts://…iot…amazonaws.com:8883`. */
  url: string;
  host: string;
  port: number;
  /** Connection options for one device (client id, credentials or TLS material), without reconnect policy. */
  options(clientId: string): IClientOptions;
  /**
   * Connection options for the wrong-topic case's throwaway client, which is not a device: locally a console
   * credential (the broker refuses a console's publish and quarantines it as `topic_mismatch`).
   */
  rogueOptions?(clientId: string): IClientOptions;
  /** Checks the credentials before the first connection; throws a UsageError saying what to fix. */
  verify?(): void;
  /** Connections opened at once while the fleet connects. */
  connectConcurrency: number;
  /** Connects per second (AWS IoT Core limits connects per account and per client). */
  connectRatePerS: number;
}

/** A broker that cannot be reached or refuses the devices: exit code 3. */
export class ConnectError extends Error {
  override name = 'ConnectError';
}

/** What the local broker asks for: each device's secret, and the API token for console clients. */
export interface LocalCredentials {
  /** The device's MQTT password, or undefined to connect without one (`ALLOW_ANONYMOUS_DEVICES=1`). */
  secret(deviceId: string): string | undefined;
  consoleToken?: string;
  /** Throws a UsageError when a device's credentials are missing. */
  verify?(): void;
}

/**
 * Local credentials from the service's data folder: each device's secret from `<dataDir>/devices/<id>.secret`
 * (which the service writes at start for every registered device), read when first needed, so option errors are
 * reported first. A missing secret is a usage error naming what to do, unless `ALLOW_ANONYMOUS_DEVICES=1`, when such
 * devices connect without one.
 */
export function dataDirCredentials(
  dataDir: string,
  deviceIds: readonly string[],
  allowAnonymous: boolean,
  consoleToken?: string,
): LocalCredentials {
  let secrets: Map<string, string> | undefined;
  const load = () => {
    secrets ??= readDeviceSecrets(dataDir, deviceIds, allowAnonymous);
    return secrets;
  };
  return {
    secret: (id) => load().get(id),
    verify: () => {
      load();
    },
    ...(consoleToken === undefined ? {} : { consoleToken }),
  };
}

/** Reads the secrets of `deviceIds`; throws a UsageError for a missing one unless anonymous devices are allowed. */
function readDeviceSecrets(
  dataDir: string,
  deviceIds: readonly string[],
  allowAnonymous: boolean,
): Map<string, string> {
  const secrets = new Map<string, string>();
  const missing: string[] = [];
  for (const id of deviceIds) {
    try {
      const secret = readFileSync(deviceSecretFile(dataDir, id), 'utf8').trim();
      if (secret) secrets.set(id, secret);
      else missing.push(id);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(id);
    }
  }
  if (missing.length && !allowAnonymous) {
    throw new UsageError(
      `no MQTT secret for ${missing.length === 1 ? 'device' : `${missing.length} devices, first`} ${missing[0]} (${deviceSecretFile(dataDir, missing[0] as string)}): ` +
        'the service writes one per registered device at start, so point --data-dir at its data folder, ' +
        'register the devices (FLEET_FILE=<fleet.json> npm start), or run both with ALLOW_ANONYMOUS_DEVICES=1',
    );
  }
  return secrets;
}

export function localTarget(url: string, credentials: LocalCredentials): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--broker "${url}" is not a URL like mqtt://127.0.0.1:1883`);
  }
  if (parsed.protocol !== 'mqtt:' && parsed.protocol !== 'mqtts:') {
    throw new UsageError(`--broker "${url}" must start with mqtt:// or mqtts://`);
  }
  const port = Number(parsed.port || (parsed.protocol === 'mqtts:' ? 8883 : 1883));
  const host = parsed.hostname;
  return {
    kind: 'local',
    url: `${parsed.protocol}//${host}:${port}`,
    host,
    port,
    options: (clientId) => {
      const secret = credentials.secret(clientId);
      return {
        protocol: parsed.protocol === 'mqtts:' ? 'mqtts' : 'mqtt',
        host,
        port,
        clientId,
        ...(secret === undefined ? {} : { username: clientId, password: secret }),
      };
    },
    rogueOptions: (clientId) => ({
      protocol: parsed.protocol === 'mqtts:' ? 'mqtts' : 'mqtt',
      host,
      port,
      clientId,
      ...(credentials.consoleToken === undefined
        ? {}
        : { username: CONSOLE_USERNAME, password: credentials.consoleToken }),
    }),
    ...(credentials.verify ? { verify: credentials.verify } : {}),
    connectConcurrency: 200,
    connectRatePerS: Number.POSITIVE_INFINITY,
  };
}

export interface AwsTargetOptions {
  endpoint: string;
  port?: number;
  /** PEM files; `{id}` in a path is replaced by the device id, for one certificate per thing. */
  cert: string;
  key: string;
  ca?: string;
}

function readPem(option: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${option} ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** Reads and checks one certificate and key pair: parseable, matching, and valid now. */
function loadCredentials(certFile: string, keyFile: string, now: number): { cert: string; key: string } {
  const cert = readPem('--cert', certFile);
  const key = readPem('--key', keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new UsageError(`--cert ${certFile} is not a PEM certificate: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new UsageError(`--key ${keyFile} is not a PEM private key: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new UsageError(`--key ${keyFile} does not belong to the certificate ${certFile}`);
  }
  if (Date.parse(x509.validTo) < now)
    throw new UsageError(`certificate ${certFile} expired on ${x509.validTo}`);
  if (Date.parse(x509.validFrom) > now)
    throw new UsageError(`certificate ${certFile} is not valid before ${x509.validFrom}`);
  return { cert, key };
}

/**
 * AWS IoT Core: MQTT over TLS on 8883 with the device certificate. Checks every certificate file before the run,
 * so a typo fails in a second, not after a thousand connection attempts.
 */
export function awsTarget(options: AwsTargetOptions, deviceIds: readonly string[], now: number): Target {
  const host = options.endpoint.replace(/^[a-z]+:\/\//, '').replace(/[:/].*$/, '');
  if (!/^[A-Za-z0-9.-]+$/.test(host))
    throw new UsageError(`--endpoint "${options.endpoint}" is not a host name`);
  const port = options.port ?? 8883;
  const ca = options.ca ? readPem('--ca', options.ca) : undefined;
  if (ca !== undefined && options.ca) {
    try {
      new X509Certificate(ca);
    } catch (err) {
      throw new UsageError(`--ca ${options.ca} is not a PEM certificate: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const perDevice = options.cert.includes('{id}') || options.key.includes('{id}');
  const credentials = new Map<string, { cert: string; key: string }>();
  const fileFor = (pattern: string, id: string) => pattern.replaceAll('{id}', id);
  for (const id of perDevice ? deviceIds : deviceIds.slice(0, 1)) {
    credentials.set(id, loadCredentials(fileFor(options.cert, id), fileFor(options.key, id), now));
  }
  const shared = perDevice ? undefined : credentials.values().next().value;
  return {
    kind: 'aws',
    url: `mqtts://${host}:${port}`,
    host,
    port,
    options: (clientId) => {
      const creds = shared ?? credentials.get(clientId);
      const tls: IClientOptions = {
        protocol: 'mqtts',
        host,
        port,
        clientId,
        rejectUnauthorized: true,
        servername: host,
      };
      if (creds) Object.assign(tls, creds);
      if (ca !== undefined) tls.ca = ca;
      return tls;
    },
    connectConcurrency: 50,
    // AWS IoT Core's default account-level connect rate is 500/s; stay well below it.
    connectRatePerS: 100,
  };
}

const TLS_CODES = /^(ERR_SSL|ERR_TLS|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/;

/** Turns the first connection's failure into a sentence that says what to check. */
export function explainConnectError(
  err: Error & { code?: string | number },
  target: Target,
  clientId: string,
): string {
  const where = `${target.url}`;
  const code = err.code;
  if (code === 'ECONNREFUSED') {
    return target.kind === 'local'
      ? `connection refused by ${where}: is the local service running (npm start), and on this port (MQTT_PORT)?`
      : `connection refused by ${where}: check --endpoint and --port`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `cannot resolve ${target.host}: check ${target.kind === 'aws' ? '--endpoint (aws iot describe-endpoint --endpoint-type iot:Data-ATS)' : '--broker'}`;
  }
  if (code === 'ETIMEDOUT' || /connack timeout|timed out/i.test(err.message)) {
    return `no answer from ${where} in time: check the host, port and any firewall`;
  }
  if (typeof code === 'string' && TLS_CODES.test(code)) {
    return `TLS handshake with ${target.host} failed (${code}: ${err.message}): check --ca (Amazon Root CA 1) and that the endpoint is the ATS one`;
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return target.kind === 'aws'
      ? `${target.host} closed the connection of ${clientId}: the certificate may be inactive or unknown to this account/region, or its policy may not allow iot:Connect for client ${clientId}`
      : `${where} closed the connection of ${clientId} (${code})`;
  }
  if (code === 2)
    return `${where} rejected client id "${clientId}" (CONNACK 2): a device id is [A-Za-z0-9_-]{1,64}`;
  if (target.kind === 'local' && (code === 4 || code === 5)) {
    return `${where} refused ${clientId}: not authorized (CONNACK ${code}); a device connects with username = its id and the password in <data-dir>/devices/${clientId}.secret (check --data-dir), and the broker's log says why`;
  }
  if (code === 4 || code === 5 || code === 134 || code === 135) {
    return `${where} refused ${clientId}: not authorized (CONNACK ${code}); with AWS IoT Core check that the certificate is active, attached to thing ${clientId}, and allowed iot:Connect`;
  }
  return `cannot connect to ${where} as ${clientId}: ${err.message}${code === undefined ? '' : ` (${code})`}`;
}
