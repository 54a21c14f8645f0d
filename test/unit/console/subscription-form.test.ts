import { describe, expect, it } from 'vitest';
import { createBody, formOf, listOf, patchBody } from '../../../console/src/pages/subscription-form';
import type { Subscription } from '../../../functions/core/subscription';

const SUB: Subscription = {
  subscriptionId: 'sub-1',
  phone: '+8613800000001',
  audience: 'operators',
  siteIds: ['plant-a', 'tap-b'],
  minSeverity: 'warning',
  lang: 'zh',
  name: 'Li',
  createdAt: '2026-11-01T00:00:00.000Z',
};

describe('subscription form bodies', () => {
  it('splits typed lists on commas (also Chinese ones) and newlines', () => {
    expect(listOf(' a, b，c\n\n d ,')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('leaves empty scope lists and name out of a new subscription (the whole county)', () => {
    const form = { ...formOf(), phone: ' +8613800000002 ', audience: 'sanitation' as const };
    expect(createBody(form)).toEqual({
      phone: '+8613800000002',
      audience: 'sanitation',
      minSeverity: 'warning',
      lang: 'zh',
    });
  });

  it('patches only what changed, and removes an emptied list or name with null', () => {
    const form = {
      ...formOf(SUB),
      siteIds: '',
      townships: 'Tashkurgan Town',
      name: ' ',
      lang: 'en' as const,
    };
    expect(patchBody(SUB, form)).toEqual({
      siteIds: null,
      townships: ['Tashkurgan Town'],
      name: null,
      lang: 'en',
    });
    expect(patchBody(SUB, formOf(SUB))).toEqual({});
  });

  it('never sends the phone in a patch', () => {
    expect(patchBody(SUB, { ...formOf(SUB), phone: '+8613900000000' })).toEqual({});
  });
});
