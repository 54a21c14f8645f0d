import type { Device } from '../../functions/core/registry';
import { apiTokenFile, readApiToken } from '../../infra/local/api-token';
import type { CliIo } from '../cli';
import { UsageError } from '../fleet';
import type { ScenarioSpec } from '../scenarios';
import { awsTarget, dataDirCredentials, localTarget, type Target } from '../target';
import { credentialsDirOptions } from './credentials-dir';
import type { CliValues } from './options';
import { positive } from './values';

/** The service's data folder: --data-dir, $DATA_DIR or `.data`, as npm start uses. */
export const dataDirOf = (values: CliValues, env: CliIo['env']): string =>
  values['data-dir'] ?? env.DATA_DIR ?? '.data';

/** The API token: --token, $API_TOKEN, else the one the service wrote to its data folder. */
export async function resolveToken(
  values: CliValues,
  env: CliIo['env'],
  why = '--expect needs the API token',
): Promise<string> {
  const dataDir = dataDirOf(values, env);
  const found = await readApiToken(dataDir, values.token ?? env.API_TOKEN);
  if (found) return found.token;
  throw new UsageError(
    `${why}: pass --token, set API_TOKEN, or point --data-dir at the service's data folder (no ${apiTokenFile(dataDir)})`,
  );
}

function cloudTarget(values: CliValues, devices: readonly Device[], now: number): Target {
  const { cert, key, ca, endpoint } = values;
  const dir = values['credentials-dir'];
  const port = positive('port', values.port, { max: 65_535 });
  const ids = devices.map((d) => d.id);
  if (dir !== undefined) {
    if (cert || key) throw new UsageError('give --credentials-dir or --cert/--key, not both');
    const options = credentialsDirOptions(dir, ids, {
      ...(endpoint ? { endpoint } : {}),
      ...(port ? { port } : {}),
    });
    return awsTarget({ ...options, ...(ca ? { ca } : {}) }, ids, now);
  }
  if (!cert || !key || !endpoint)
    throw new UsageError(
      '--endpoint needs --cert and --key (the device certificate and its private key), or --credentials-dir',
    );
  return awsTarget({ endpoint, cert, key, ...(ca ? { ca } : {}), ...(port ? { port } : {}) }, ids, now);
}

async function brokerTarget(
  values: CliValues,
  env: CliIo['env'],
  devices: readonly Device[],
  specs: readonly ScenarioSpec[],
): Promise<Target> {
  if (values['basic-ingest'])
    throw new UsageError('--basic-ingest is an AWS IoT Core feature: use it with --endpoint');
  // The wrong-topic case publishes from a client that is not a device: the broker admits it as a console.
  const consoleToken = specs.some((s) => s.name === 'malformed')
    ? await resolveToken(
        values,
        env,
        'the malformed scenario connects a console client to publish on a device topic, which needs the API token',
      )
    : undefined;
  return localTarget(
    values.broker ?? `mqtt://127.0.0.1:${env.MQTT_PORT || 1883}`,
    dataDirCredentials(
      dataDirOf(values, env),
      devices.map((d) => d.id),
      env.ALLOW_ANONYMOUS_DEVICES === '1',
      consoleToken,
    ),
  );
}

/** Where the devices publish: AWS IoT Core (--endpoint), the local broker, or nowhere for a dry run. */
export async function resolveTarget(
  values: CliValues,
  env: CliIo['env'],
  devices: readonly Device[],
  specs: readonly ScenarioSpec[],
  now: number,
): Promise<Target | undefined> {
  if (values['dry-run']) return undefined;
  return values.endpoint || values['credentials-dir'] !== undefined
    ? cloudTarget(values, devices, now)
    : brokerTarget(values, env, devices, specs);
}
