import { randomBytes } from 'node:crypto';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CertificateStateException,
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeleteConflictException,
  DeleteThingCommand,
  DescribeCertificateCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListThingPrincipalsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateCertificateCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { IotRegistry } from '../../../infra/provisioning/iot-registry';
import { RateLimiter } from '../../../infra/provisioning/rate-limiter';

export const ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';
export const POLICY = 'PamirTelemetry-Stateless-DevicePolicy-ABC123';
const ACCOUNT_ARN = 'arn:aws:iot:eu-west-1:123456789012';

const $metadata = { httpStatusCode: 404 };
const notFound = (message: string) => new ResourceNotFoundException({ message, $metadata });

interface Cert {
  arn: string;
  status: string;
  pem: string;
}

/**
 * AWS IoT's registry in memory behind aws-sdk-client-mock: things, certificates, policy and thing attachments, with the
 * exceptions IoT answers (ResourceNotFoundException, ResourceAlreadyExistsException for a thing with other
 * attributes, DeleteConflictException for a certificate still attached, CertificateStateException for a revoked one).
 * `failNext` makes a command fail once, as a crash or a throttle would.
 */
export function fakeIot() {
  const iot = mockClient(IoTClient);
  const things = new Map<string, Record<string, string>>();
  const certs = new Map<string, Cert>();
  const thingPrincipals = new Map<string, Set<string>>();
  const policyTargets = new Map<string, Set<string>>();
  const policies = new Set([POLICY]);
  const failures = new Map<string, Error[]>();

  const idOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
  const failIfAsked = (name: string) => {
    const queued = failures.get(name)?.shift();
    if (queued) throw queued;
  };
  const thing = (name: string) => {
    const attrs = things.get(name);
    if (!attrs) throw notFound(`Thing ${name} cannot be found.`);
    return attrs;
  };
  const cert = (id: string) => {
    const c = certs.get(id);
    if (!c) throw notFound(`The certificate ${id} does not exist`);
    return c;
  };
  const issue = (active: boolean | undefined) => {
    const id = randomBytes(32).toString('hex');
    const c = {
      arn: `${ACCOUNT_ARN}:cert/${id}`,
      status: active ? 'ACTIVE' : 'INACTIVE',
      pem: `-----BEGIN CERTIFICATE-----\n${id}\n-----END CERTIFICATE-----\n`,
    };
    certs.set(id, c);
    return { certificateId: id, certificateArn: c.arn, certificatePem: c.pem };
  };
  // Each handler names the input fields it reads; the SDK's types mark every field optional.
  // biome-ignore lint/suspicious/noExplicitAny: one cast for all fourteen commands' inputs.
  type Input = any;
  const on = (command: object, name: string, fn: (input: Input) => unknown) =>
    iot.on(command as Input).callsFake((input: Input) => {
      failIfAsked(name);
      return fn(input);
    });

  const install = () => {
    on(DescribeEndpointCommand, 'DescribeEndpoint', () => ({ endpointAddress: ENDPOINT }));
    on(GetPolicyCommand, 'GetPolicy', (i: { policyName: string }) => {
      if (!policies.has(i.policyName)) throw notFound(`Policy not found: ${i.policyName}`);
      return { policyName: i.policyName };
    });
    on(DescribeThingCommand, 'DescribeThing', (i: { thingName: string }) => ({
      thingName: i.thingName,
      attributes: { ...thing(i.thingName) },
    }));
    on(
      CreateThingCommand,
      'CreateThing',
      (i: { thingName: string; attributePayload?: { attributes?: Record<string, string> } }) => {
        const wanted = i.attributePayload?.attributes ?? {};
        const existing = things.get(i.thingName);
        if (existing && JSON.stringify(existing) !== JSON.stringify(wanted))
          throw new ResourceAlreadyExistsException({
            message: `Thing ${i.thingName} already exists in account with different attributes`,
            resourceId: i.thingName,
            $metadata: { httpStatusCode: 409 },
          });
        things.set(i.thingName, { ...wanted });
        return { thingName: i.thingName };
      },
    );
    on(
      UpdateThingCommand,
      'UpdateThing',
      (i: { thingName: string; attributePayload?: { attributes?: Record<string, string> } }) => {
        Object.assign(thing(i.thingName), i.attributePayload?.attributes);
        return {};
      },
    );
    on(DeleteThingCommand, 'DeleteThing', (i: { thingName: string }) => {
      things.delete(i.thingName);
      thingPrincipals.delete(i.thingName);
      return {};
    });
    on(CreateKeysAndCertificateCommand, 'CreateKeysAndCertificate', (i: { setAsActive?: boolean }) => ({
      ...issue(i.setAsActive),
      keyPair: {
        PublicKey: 'PUBLIC',
        PrivateKey: '-----BEGIN RSA PRIVATE KEY-----\nSECRET\n-----END RSA PRIVATE KEY-----\n',
      },
    }));
    on(CreateCertificateFromCsrCommand, 'CreateCertificateFromCsr', (i: { setAsActive?: boolean }) =>
      issue(i.setAsActive),
    );
    on(DescribeCertificateCommand, 'DescribeCertificate', (i: { certificateId: string }) => {
      const c = cert(i.certificateId);
      return {
        certificateDescription: {
          certificateId: i.certificateId,
          certificateArn: c.arn,
          status: c.status,
          certificatePem: c.pem,
        },
      };
    });
    on(UpdateCertificateCommand, 'UpdateCertificate', (i: { certificateId: string; newStatus: string }) => {
      const c = cert(i.certificateId);
      if (c.status === 'REVOKED')
        throw new CertificateStateException({
          message: 'Certificate is revoked',
          $metadata: { httpStatusCode: 406 },
        });
      c.status = i.newStatus;
      return {};
    });
    on(DeleteCertificateCommand, 'DeleteCertificate', (i: { certificateId: string }) => {
      const c = cert(i.certificateId);
      const attached =
        [...thingPrincipals.values()].some((s) => s.has(c.arn)) || (policyTargets.get(c.arn)?.size ?? 0) > 0;
      if (c.status === 'ACTIVE' || attached)
        throw new DeleteConflictException({
          message: 'Certificate policies must be detached before deletion',
          $metadata: { httpStatusCode: 409 },
        });
      certs.delete(i.certificateId);
      return {};
    });
    on(AttachPolicyCommand, 'AttachPolicy', (i: { policyName: string; target: string }) => {
      if (!policies.has(i.policyName)) throw notFound(`Policy not found: ${i.policyName}`);
      cert(idOf(i.target));
      policyTargets.set(i.target, new Set([...(policyTargets.get(i.target) ?? []), i.policyName]));
      return {};
    });
    on(DetachPolicyCommand, 'DetachPolicy', (i: { policyName: string; target: string }) => {
      policyTargets.get(i.target)?.delete(i.policyName);
      return {};
    });
    on(ListAttachedPoliciesCommand, 'ListAttachedPolicies', (i: { target: string }) => ({
      policies: [...(policyTargets.get(i.target) ?? [])].map((policyName) => ({ policyName })),
    }));
    on(AttachThingPrincipalCommand, 'AttachThingPrincipal', (i: { thingName: string; principal: string }) => {
      thing(i.thingName);
      cert(idOf(i.principal));
      thingPrincipals.set(i.thingName, new Set([...(thingPrincipals.get(i.thingName) ?? []), i.principal]));
      return {};
    });
    on(DetachThingPrincipalCommand, 'DetachThingPrincipal', (i: { thingName: string; principal: string }) => {
      thing(i.thingName);
      thingPrincipals.get(i.thingName)?.delete(i.principal);
      return {};
    });
    on(ListThingPrincipalsCommand, 'ListThingPrincipals', (i: { thingName: string }) => {
      thing(i.thingName);
      return { principals: [...(thingPrincipals.get(i.thingName) ?? [])] };
    });
  };
  install();

  return {
    iot,
    things,
    certs,
    thingPrincipals,
    policyTargets,
    policies,
    /** A registry on the mocked client that never waits (no rate spacing, no detach propagation). */
    registry: () =>
      new IotRegistry(
        new IoTClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
        new RateLimiter(1, {}, async () => {}),
        async () => {},
      ),
    failNext(command: string, error: Error) {
      failures.set(command, [...(failures.get(command) ?? []), error]);
    },
    /** The names of the commands sent, in order, since the last `clearCalls`. */
    commands: () => iot.calls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, '')),
    /** The inputs of one command's calls. */
    inputs: (command: string) =>
      iot
        .calls()
        .filter((c) => (c.args[0] as object).constructor.name === `${command}Command`)
        .map((c) => c.args[0].input as Record<string, unknown>),
    clearCalls: () => iot.resetHistory(),
    restore: () => iot.restore(),
  };
}
