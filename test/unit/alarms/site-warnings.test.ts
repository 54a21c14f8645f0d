import { describe, expect, it } from 'vitest';
import { conditionsFor } from '../../../functions/core/conditions/build';
import { evaluateConditions } from '../../../functions/core/conditions/evaluate';
import { toReadingItem } from '../../../functions/core/reading-item';
import { warningLevelText } from '../../../functions/core/site-warnings';
import { checkSiteWarningLevels, RECENT_MEDIAN } from '../../../functions/use-cases/site-warning-check';
import { InMemoryReadingStore } from '../../helpers/fakes';
import { series, waterDevice } from './fixtures';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const MIN = 60_000;

/** A week of one-minute readings of one device, pH about `ph` with a small daily wobble. */
function week(store: InMemoryReadingStore, deviceId: string, ph: number) {
  const items = [];
  for (let t = NOW - 7 * 24 * 60 * MIN; t < NOW; t += MIN) {
    const i = (t - NOW) / MIN;
    const m = { ph: ph + Math.sin(i / 229) * 0.04, free_chlorine_mg_l: 0.5 };
    items.push(toReadingItem(deviceId, { ts: t, seq: i, m }, t + 500, 400));
  }
  return store.putItems(items);
}

describe('warning levels relative to the site', () => {
  it('warns at start when a site normally sits above its pH warning level, naming site, metric, median and level', async () => {
    const store = new InMemoryReadingStore();
    const high = waterDevice({ id: 'wq-high', siteId: 'plant-high', siteName: 'High pH plant' });
    const fine = waterDevice({ id: 'wq-fine', siteId: 'plant-fine', siteName: 'Fine plant' });
    await week(store, 'wq-high', 8.3);
    await week(store, 'wq-fine', 7.4);
    let reads = 0;
    const counting = {
      query: (q: Parameters<InMemoryReadingStore['query']>[0]) => {
        reads++;
        return store.query(q);
      },
    };
    const found = await checkSiteWarningLevels([high, fine], counting, NOW);
    expect(found).toEqual([
      expect.objectContaining({ deviceId: 'wq-high', siteId: 'plant-high', metric: 'ph', direction: 'max' }),
    ]);
    const [f] = found;
    expect(f?.median).toBeGreaterThan(8.25);
    expect(f?.level).toBeCloseTo(8.2, 6);
    expect(f?.samples).toBe(RECENT_MEDIAN.slices * RECENT_MEDIAN.perSlice);
    // Bounded: a few small reads per device, whatever its history.
    expect(reads).toBe(2 * RECENT_MEDIAN.slices);
    const text = warningLevelText(f as NonNullable<typeof f>, RECENT_MEDIAN.days);
    expect(text).toContain('High pH plant (plant-high)');
    expect(text).toMatch(/ph median 8\.\d+ .* above its warning level 8\.2/);
    expect(text).toContain('alarmSettings.limits.ph.warnMax');
  });

  it('is quiet once the site has its own warning level, and for a device with too little history', async () => {
    const store = new InMemoryReadingStore();
    const own = waterDevice({ id: 'wq-own', alarmSettings: { limits: { ph: { warnMax: 8.45 } } } });
    await week(store, 'wq-own', 8.3);
    const fresh = waterDevice({ id: 'wq-fresh' });
    await store.putItems([toReadingItem('wq-fresh', { ts: NOW - MIN, seq: 1, m: { ph: 8.4 } }, NOW, 400)]);
    expect(await checkSiteWarningLevels([own, fresh], store, NOW)).toEqual([]);
  });

  it('skips a device whose readings cannot be read rather than failing the start', async () => {
    const failing = { query: async () => Promise.reject(new Error('throttled')) };
    expect(await checkSiteWarningLevels([waterDevice()], failing, NOW)).toEqual([]);
  });
});

describe('an alarm on one condition never silences another for good', () => {
  const device = waterDevice();
  const conditions = conditionsFor(device);
  const statusAt = (values: Record<string, number>[], key: string, open: string[]) =>
    evaluateConditions(conditions, series(values), new Set(open)).get(key);
  const limit = 'limit:ph:max';
  const warn = 'warn:ph:max';

  it('holds the pH warning while the limit is breached now, alarmed or not', () => {
    const high = [{ ph: 8.7 }, { ph: 8.7 }];
    expect(statusAt(high, warn, [])).toBe('hold');
    expect(statusAt(high, warn, [limit])).toBe('hold');
  });

  it('holds it while the limit alarm is active and the value not yet back inside its deadband', () => {
    // 8.45 is inside the limit (8.5) but not by its deadband (0.1): the limit alarm has not cleared.
    expect(statusAt([{ ph: 8.45 }, { ph: 8.45 }], limit, [limit])).toBe('hold');
    expect(statusAt([{ ph: 8.45 }, { ph: 8.45 }], warn, [limit])).toBe('hold');
  });

  it('raises the warning once the limit is back to normal, though its alarm is still open and unacknowledged', () => {
    // Back inside by the deadband: the limit reads normal (its alarm clears) and the warning band (above 8.2) counts.
    const back = [{ ph: 8.3 }, { ph: 8.3 }];
    expect(statusAt(back, limit, [limit])).toBe('normal');
    expect(statusAt(back, warn, [limit])).toBe('breach');
  });
});
