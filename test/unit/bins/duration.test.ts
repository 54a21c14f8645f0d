import { describe, expect, it } from 'vitest';
import { parseIsoDuration } from '../../../functions/core/duration';

describe('ISO-8601 durations', () => {
  it.each([
    ['PT6H', 6 * 3_600_000],
    ['PT90M', 90 * 60_000],
    ['P1D', 86_400_000],
    ['P1DT12H', 36 * 3_600_000],
    ['PT0.5H', 1_800_000],
    ['P2W', 14 * 86_400_000],
    ['pt30s', 30_000],
    ['PT0S', 0],
  ])('reads %s', (text, ms) => {
    expect(parseIsoDuration(text)).toEqual({ ok: true, ms });
  });

  it.each(['6h', 'P', 'PT', 'P1DT', 'PT6', 'P-1D', 'PT6H30', ''])(
    'refuses %j with an example of the form',
    (text) => {
      expect(parseIsoDuration(text)).toEqual({ ok: false, message: expect.stringContaining('e.g. PT6H') });
    },
  );

  it('refuses years and months, which have no fixed length', () => {
    expect(parseIsoDuration('P1M')).toEqual({
      ok: false,
      message: expect.stringMatching(/no fixed length.*P30D/),
    });
    expect(parseIsoDuration('P1Y2M')).toMatchObject({ ok: false });
  });
});
