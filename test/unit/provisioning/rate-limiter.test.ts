import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../infra/provisioning/rate-limiter';
import { thingAttributes } from '../../../infra/provisioning/thing-attributes';

describe('RateLimiter', () => {
  it("spaces each API's calls at its share of the rate, independently of other APIs", async () => {
    let now = 1000;
    const waits: number[] = [];
    const limiter = new RateLimiter(
      0.8,
      { AttachPolicy: 15, DescribeThing: 350 },
      async (ms) => {
        waits.push(Math.round(ms));
      },
      () => now,
    );

    await Promise.all([
      limiter.take('AttachPolicy'),
      limiter.take('AttachPolicy'),
      limiter.take('AttachPolicy'),
    ]);
    await limiter.take('DescribeThing');
    // An API missing from the table gets 10/s: 125 ms apart at 80 %.
    await limiter.take('ListThingPrincipals');
    await limiter.take('ListThingPrincipals');
    now += 1000;
    await limiter.take('AttachPolicy');

    expect(waits).toEqual([83, 167, 125]);
  });
});

describe('thingAttributes', () => {
  it('keeps values within what IoT accepts and drops those left empty', () => {
    const base = { kind: 'water', siteId: 'plant-town' } as const;
    expect(thingAttributes({ ...base, township: 'Tashkurgan Town' } as never)).toEqual({
      kind: 'water',
      siteId: 'plant-town',
      township: 'Tashkurgan_Town',
    });
    expect(thingAttributes({ ...base, township: '塔什库尔干' } as never)).toEqual({
      kind: 'water',
      siteId: 'plant-town',
    });
  });
});
