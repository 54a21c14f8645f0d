import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { IoTClient } from '@aws-sdk/client-iot';
import { type Device, fleetDevices } from '../../functions/core/registry';
import { DEFAULT_FLEET_FILE, readFleetFile } from '../fleet/read-fleet';
import { explainAwsError } from '../provisioning/iot-errors';
import { IotRegistry } from '../provisioning/iot-registry';
import { type DeviceOutcome, type ProvisionAction, provisionDevices } from '../provisioning/provision-fleet';
import { RateLimiter } from '../provisioning/rate-limiter';
import { runCommand } from './run-command';

const HELP = `Usage: npm run devices:provision -- --out DIR --policy NAME [--fleet FILE] [--devices LIST] [--csr-dir DIR]
       npm run devices:provision -- --out DIR --policy NAME --rotate ID|all [--delete-old]
       npm run devices:provision -- --out DIR --revoke ID [--delete-thing]

Onboards the devices of a fleet file onto AWS IoT Core: for each device a thing (attributes kind, siteId,
township), a certificate carrying the device policy and attached to the thing, and the device's files in
DIR/<deviceId>/:
  certificate.pem.crt   the device certificate
  private.pem.key       its private key, mode 0600 (only when IoT generated the key pair; with --csr-dir the
                        key never leaves the device)
  device.json           thingName (= MQTT client id), certificateId/Arn, endpoint (iot:Data-ATS), port 8883,
                        the topics the device may use; npm run sim -- --credentials-dir DIR reads it
The server's CA, Amazon Root CA 1, is in Node's and the OS's trust stores (Debian: ca-certificates).

Running it again is safe: devices already onboarded are only read (no change), and what an interrupted run
left half-done is finished (a certificate created but not attached, a rotation or revocation part-way). Keep
DIR: it is the record of which certificate belongs to which device, and the private keys are nowhere else.

Options:
  --out DIR            device folders (required)
  --policy NAME        the IoT policy to attach: the stack output DevicePolicyName (required but for --revoke)
  --fleet FILE         fleet file (default ${DEFAULT_FLEET_FILE}), as npm run fleet:load reads it
  --devices LIST       only these devices (comma-separated ids)
  --csr-dir DIR        sign DIR/<deviceId>.csr (made on the device) instead of having IoT generate keys
  --rotate ID|all      new certificate for these devices (comma-separated ids, or all): created, attached and
                       installed in DIR first, then the old one is detached and set INACTIVE. A device still
                       holding the old files can no longer connect: deliver the new ones first-thing
  --delete-old         with --rotate: also delete the old certificate
  --revoke ID          detach the device's certificates and set them REVOKED (comma-separated ids); its key
                       and certificate files are removed and later runs skip it until --rotate ID
  --delete-thing       with --revoke: also delete the thing
  --concurrency N      devices worked on at once (default 8); each IoT API is also kept under 80 % of its
                       default rate (e.g. 15/s AttachPolicy, 10/s CreateKeysAndCertificate)
  --dry-run            read IoT and DIR and print what would change; change nothing
  -h, --help

The policy name (PamirTelemetry-<stage>-device; the stack is PamirTelemetry-<stage>-Stateless, stage dev by default):
  aws cloudformation describe-stacks --stack-name PamirTelemetry-dev-Stateless \\
    --query "Stacks[0].Outputs[?OutputKey=='DevicePolicyName'].OutputValue" --output text

AWS credentials and region come from the usual chain (AWS_PROFILE, AWS_REGION, ...): the account and region the
stacks are deployed in. Throttled calls are retried by the SDK (adaptive mode, 8 attempts). The caller needs
iot:CreateThing, DescribeThing, UpdateThing, DeleteThing, CreateKeysAndCertificate, CreateCertificateFromCsr,
DescribeCertificate, UpdateCertificate, DeleteCertificate, AttachPolicy, DetachPolicy, ListAttachedPolicies,
GetPolicy, AttachThingPrincipal, DetachThingPrincipal, ListThingPrincipals and DescribeEndpoint.

Exit codes: 0 done, 1 a device failed or needs attention (the others are done; fix and run again), 2 bad option.
Step by step, with copying files to devices and rotation: docs/onboarding.md.
`;

class UsageError extends Error {}

const idList = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function pick(devices: readonly Device[], ids: readonly string[], option: string): Device[] {
  const unknown = ids.filter((id) => !devices.some((d) => d.id === id));
  if (unknown.length) throw new UsageError(`${option}: no device ${unknown.join(', ')} in the fleet file`);
  return devices.filter((d) => ids.includes(d.id));
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      policy: { type: 'string' },
      fleet: { type: 'string', default: DEFAULT_FLEET_FILE },
      devices: { type: 'string' },
      'csr-dir': { type: 'string' },
      rotate: { type: 'string' },
      'delete-old': { type: 'boolean' },
      revoke: { type: 'string' },
      'delete-thing': { type: 'boolean' },
      concurrency: { type: 'string', default: '8' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}

async function actionOf(values: ReturnType<typeof parse>): Promise<ProvisionAction> {
  if (values.rotate !== undefined && values.revoke !== undefined)
    throw new UsageError('give --rotate or --revoke, not both');
  if (values['delete-old'] && values.rotate === undefined)
    throw new UsageError('--delete-old goes with --rotate');
  if (values['delete-thing'] && values.revoke === undefined)
    throw new UsageError('--delete-thing goes with --revoke');
  if (values.revoke !== undefined) {
    const deviceIds = idList(values.revoke);
    if (deviceIds.length === 0 || deviceIds.includes('all'))
      throw new UsageError('--revoke takes device ids (revoking a whole fleet is not a one-word command)');
    return { kind: 'revoke', deviceIds, deleteThing: values['delete-thing'] ?? false };
  }
  const { file, fleet } = await readFleetFile(values.fleet);
  const all = fleetDevices(fleet);
  const selected = values.devices ? pick(all, idList(values.devices), '--devices') : all;
  if (selected.length === 0) throw new UsageError(`${file} has no devices`);
  if (values.rotate === undefined) return { kind: 'onboard', devices: selected };
  const ids = idList(values.rotate);
  const devices = ids.length === 1 && ids[0] === 'all' ? selected : pick(selected, ids, '--rotate');
  if (devices.length === 0) throw new UsageError('--rotate needs device ids or all');
  return { kind: 'rotate', devices, deleteOld: values['delete-old'] ?? false };
}

function printOutcome(o: DeviceOutcome, dryRun: boolean): void {
  const lines = [
    ...o.changes.map((c) => `  ${dryRun ? 'would ' : ''}${c}`),
    ...o.warnings.map((w) => `  note: ${w}`),
    ...(o.error ? [`  FAILED: ${o.error}`] : []),
  ];
  if (lines.length) console.log(`${o.deviceId}\n${lines.join('\n')}`);
}

/** A progress line on stderr: rewritten in place on a terminal, every tenth of the fleet otherwise. */
function progress(total: number): (done: number) => void {
  const tty = process.stderr.isTTY;
  const step = Math.max(1, Math.ceil(total / 10));
  return (done) => {
    if (total < 20) return;
    if (tty) process.stderr.write(`\r${done}/${total} devices${done === total ? '\n' : ''}`);
    else if (done % step === 0 || done === total) process.stderr.write(`${done}/${total} devices\n`);
  };
}

async function main(): Promise<number> {
  let values: ReturnType<typeof parse>;
  let action: ProvisionAction;
  try {
    values = parse(process.argv.slice(2));
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (!values.out) throw new UsageError('--out DIR is required (where the device folders go; see --help)');
    if (!values.policy && values.revoke === undefined)
      throw new UsageError('--policy NAME is required: the stack output DevicePolicyName (see --help)');
    action = await actionOf(values);
  } catch (err) {
    if (!(err instanceof UsageError) && !(err instanceof TypeError)) throw err;
    console.error(`error: ${err.message}`);
    return 2;
  }
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    console.error('error: --concurrency must be 1-64');
    return 2;
  }
  const dryRun = values['dry-run'] ?? false;
  const outDir = resolve(values.out);
  const show = progress(action.kind === 'revoke' ? action.deviceIds.length : action.devices.length);
  const registry = new IotRegistry(
    new IoTClient({ maxAttempts: 8, retryMode: 'adaptive' }),
    new RateLimiter(),
  );
  let outcomes: DeviceOutcome[];
  try {
    outcomes = await provisionDevices(action, {
      registry,
      outDir,
      policyName: values.policy ?? '',
      ...(values['csr-dir'] ? { csrDir: resolve(values['csr-dir']) } : {}),
      dryRun,
      concurrency,
      onDeviceDone: (outcome, done) => {
        printOutcome(outcome, dryRun);
        show(done);
      },
    });
  } catch (err) {
    throw new Error(explainAwsError(err), { cause: err });
  }
  const failed = outcomes.filter((o) => o.error);
  const changed = outcomes.filter((o) => !o.error && o.changes.length);
  console.log(
    `${outcomes.length} devices: ${changed.length} ${dryRun ? 'would change' : 'changed'}, ` +
      `${outcomes.length - changed.length - failed.length} unchanged, ${failed.length} failed; files in ${outDir}`,
  );
  if (failed.length) console.log(`failed: ${failed.map((o) => o.deviceId).join(', ')} (fix and run again)`);
  return failed.length ? 1 : 0;
}

runCommand(main);
