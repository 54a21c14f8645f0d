/**
 * Default AWS IoT Core control-plane rates (requests per second, per account and region) of the calls provisioning
 * makes. AttachPolicy, AttachThingPrincipal, CreateThing, DescribeCertificate, DescribeThing and GetPolicy are the
 * published defaults ("API throttling limits" on the AWS IoT Core endpoints and quotas page); CreateKeysAndCertificate
 * is 10 there too. The rest are not all listed, so they get 10, the lowest rate any of them has.
 */
const IOT_API_RATES: Readonly<Record<string, number>> = {
  AttachPolicy: 15,
  AttachThingPrincipal: 100,
  CreateThing: 100,
  UpdateThing: 100,
  DescribeThing: 350,
  DescribeCertificate: 10,
  GetPolicy: 10,
  CreateKeysAndCertificate: 10,
};

const FALLBACK_RATE = 10;

/**
 * Spaces the calls of each API so they stay under a share of its rate, whatever the number of workers: each call
 * takes the next free slot of its API and waits for it. Other tools in the account share the same limits, so it
 * aims at `share` of each (the SDK still retries a ThrottlingException with backoff when that is not enough).
 */
export class RateLimiter {
  private readonly next = new Map<string, number>();

  constructor(
    private readonly share = 0.8,
    private readonly rates: Readonly<Record<string, number>> = IOT_API_RATES,
    private readonly sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    private readonly now = () => Date.now(),
  ) {}

  /** Waits for the next slot of `api`. */
  async take(api: string): Promise<void> {
    const gapMs = 1000 / ((this.rates[api] ?? FALLBACK_RATE) * this.share);
    const now = this.now();
    const at = Math.max(now, this.next.get(api) ?? 0);
    this.next.set(api, at + gapMs);
    if (at > now) await this.sleep(at - now);
  }
}
