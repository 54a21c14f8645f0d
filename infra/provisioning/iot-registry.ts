import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  type CertificateStatus,
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeleteThingCommand,
  DescribeCertificateCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  type IoTClient,
  ListAttachedPoliciesCommand,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';
import { awsErrorName, isNotFound } from './iot-errors';
import type { RateLimiter } from './rate-limiter';

/** A certificate IoT issued: its id and ARN, the PEM, and the private key when IoT generated the pair. */
export interface IssuedCertificate {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  privateKey?: string;
}

/** A certificate as the registry describes it. */
export interface CertificateState {
  status: CertificateStatus | string;
  certificatePem: string;
}

/** Deletions that wait on a detach: IoT detaches asynchronously ("might take several seconds to propagate"). */
const DETACH_PROPAGATION = { attempts: 6, delayMs: 2000 };

/**
 * The AWS IoT registry calls provisioning makes, each spaced by the rate limiter. Reads answer `undefined` for a thing
 * or certificate that does not exist; writes are the plain API calls, which IoT makes idempotent where it matters
 * (attaching what is attached succeeds).
 */
export class IotRegistry {
  constructor(
    private readonly client: IoTClient,
    private readonly limiter: RateLimiter,
    private readonly sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  ) {}

  private async call<T>(api: string, fn: () => Promise<T>): Promise<T> {
    await this.limiter.take(api);
    return fn();
  }

  /** The account's ATS data endpoint, where devices connect. */
  async dataEndpoint(): Promise<string> {
    const out = await this.call('DescribeEndpoint', () =>
      this.client.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' })),
    );
    if (!out.endpointAddress) throw new Error('DescribeEndpoint returned no iot:Data-ATS address');
    return out.endpointAddress;
  }

  /** Throws ResourceNotFoundException when the policy does not exist. */
  async getPolicy(policyName: string): Promise<void> {
    await this.call('GetPolicy', () => this.client.send(new GetPolicyCommand({ policyName })));
  }

  async describeThing(thingName: string): Promise<{ attributes: Record<string, string> } | undefined> {
    try {
      const out = await this.call('DescribeThing', () =>
        this.client.send(new DescribeThingCommand({ thingName })),
      );
      return { attributes: out.attributes ?? {} };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async createThing(thingName: string, attributes: Record<string, string>): Promise<void> {
    await this.call('CreateThing', () =>
      this.client.send(new CreateThingCommand({ thingName, attributePayload: { attributes } })),
    );
  }

  async updateThingAttributes(thingName: string, attributes: Record<string, string>): Promise<void> {
    await this.call('UpdateThing', () =>
      this.client.send(new UpdateThingCommand({ thingName, attributePayload: { attributes, merge: true } })),
    );
  }

  /** Deletes the thing, waiting out detachments that have not propagated yet. */
  async deleteThing(thingName: string): Promise<void> {
    await this.afterDetach(() =>
      this.call('DeleteThing', () => this.client.send(new DeleteThingCommand({ thingName }))),
    );
  }

  /**
   * A new certificate, INACTIVE until everything is attached: a crash before its record reaches the disk leaves a
   * certificate no device can connect with, never an active one nobody knows of. With a CSR the key pair is the
   * device's own; without, IoT generates it and returns the private key this once.
   */
  async createCertificate(csrPem?: string): Promise<IssuedCertificate> {
    if (csrPem !== undefined) {
      const out = await this.call('CreateCertificateFromCsr', () =>
        this.client.send(
          new CreateCertificateFromCsrCommand({ certificateSigningRequest: csrPem, setAsActive: false }),
        ),
      );
      return issued(out.certificateId, out.certificateArn, out.certificatePem);
    }
    const out = await this.call('CreateKeysAndCertificate', () =>
      this.client.send(new CreateKeysAndCertificateCommand({ setAsActive: false })),
    );
    const cert = issued(out.certificateId, out.certificateArn, out.certificatePem);
    if (!out.keyPair?.PrivateKey) throw new Error('CreateKeysAndCertificate returned no private key');
    return { ...cert, privateKey: out.keyPair.PrivateKey };
  }

  async describeCertificate(certificateId: string): Promise<CertificateState | undefined> {
    try {
      const out = await this.call('DescribeCertificate', () =>
        this.client.send(new DescribeCertificateCommand({ certificateId })),
      );
      return {
        status: out.certificateDescription?.status ?? 'UNKNOWN',
        certificatePem: out.certificateDescription?.certificatePem ?? '',
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async setCertificateStatus(
    certificateId: string,
    newStatus: 'ACTIVE' | 'INACTIVE' | 'REVOKED',
  ): Promise<void> {
    await this.call('UpdateCertificate', () =>
      this.client.send(new UpdateCertificateCommand({ certificateId, newStatus })),
    );
  }

  /** Deletes an INACTIVE or REVOKED certificate with nothing attached, waiting out detachments. */
  async deleteCertificate(certificateId: string): Promise<void> {
    await this.afterDetach(() =>
      this.call('DeleteCertificate', () =>
        this.client.send(new DeleteCertificateCommand({ certificateId, forceDelete: false })),
      ),
    );
  }

  async thingPrincipals(thingName: string): Promise<string[]> {
    const principals: string[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const out = await this.call('ListThingPrincipals', () =>
        this.client.send(
          new ListThingPrincipalsCommand({ thingName, ...(token ? { nextToken: token } : {}) }),
        ),
      );
      principals.push(...(out.principals ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
    return principals;
  }

  async attachedPolicies(certificateArn: string): Promise<string[]> {
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = marker;
      const out = await this.call('ListAttachedPolicies', () =>
        this.client.send(
          new ListAttachedPoliciesCommand({ target: certificateArn, ...(page ? { marker: page } : {}) }),
        ),
      );
      names.push(...(out.policies ?? []).flatMap((p) => (p.policyName ? [p.policyName] : [])));
      marker = out.nextMarker;
    } while (marker);
    return names;
  }

  async attachPolicy(policyName: string, certificateArn: string): Promise<void> {
    await this.call('AttachPolicy', () =>
      this.client.send(new AttachPolicyCommand({ policyName, target: certificateArn })),
    );
  }

  async detachPolicy(policyName: string, certificateArn: string): Promise<void> {
    await this.call('DetachPolicy', () =>
      this.client.send(new DetachPolicyCommand({ policyName, target: certificateArn })),
    );
  }

  async attachThingPrincipal(thingName: string, certificateArn: string): Promise<void> {
    await this.call('AttachThingPrincipal', () =>
      this.client.send(new AttachThingPrincipalCommand({ thingName, principal: certificateArn })),
    );
  }

  /** Detaches; a thing or attachment that is already gone counts as done. */
  async detachThingPrincipal(thingName: string, certificateArn: string): Promise<void> {
    try {
      await this.call('DetachThingPrincipal', () =>
        this.client.send(new DetachThingPrincipalCommand({ thingName, principal: certificateArn })),
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async afterDetach(fn: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await fn();
        return;
      } catch (err) {
        const waiting =
          awsErrorName(err) === 'DeleteConflictException' ||
          (awsErrorName(err) === 'InvalidRequestException' && /attached|principal/i.test(String(err)));
        if (!waiting || attempt >= DETACH_PROPAGATION.attempts) throw err;
        await this.sleep(DETACH_PROPAGATION.delayMs);
      }
    }
  }
}

function issued(id: string | undefined, arn: string | undefined, pem: string | undefined): IssuedCertificate {
  if (!id || !arn || !pem) throw new Error('IoT returned a certificate without its id, ARN or PEM');
  return { certificateId: id, certificateArn: arn, certificatePem: pem };
}
