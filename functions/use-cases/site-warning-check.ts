import { numericValue } from '../core/quality';
import { fromReadingItem } from '../core/reading-item';
import type { Device } from '../core/registry';
import { type WarningLevelFinding, warningLevelsBeyondMedian } from '../core/site-warnings';
import type { ReadingStore } from '../ports/reading-store';
import { mapWithConcurrency } from '../shared/concurrency';
import { median } from '../shared/stats';
import { DAY_MS } from '../shared/time';

/**
 * How a site's recent median is read, cheaply: `slices` Queries per device spread evenly over the last `days` days,
 * each of at most `perSlice` readings, so a device costs the same few small reads however long its history (and the
 * slices fall at different hours of the day, so a daily cycle does not bias the median).
 */
export const RECENT_MEDIAN = { days: 7, slices: 8, perSlice: 30 } as const;

const DEVICE_CONCURRENCY = 8;

/** The median of each metric over a device's sampled recent readings, with how many readings each had. */
async function recentMedians(
  readings: Pick<ReadingStore, 'query'>,
  device: Device,
  now: number,
): Promise<Map<string, { median: number; samples: number }>> {
  const from = now - RECENT_MEDIAN.days * DAY_MS;
  const step = (RECENT_MEDIAN.days * DAY_MS) / RECENT_MEDIAN.slices;
  const pages = await Promise.all(
    Array.from({ length: RECENT_MEDIAN.slices }, (_, k) =>
      readings.query({
        deviceId: device.id,
        from: Math.floor(from + k * step),
        to: Math.floor(from + (k + 1) * step) - 1,
        limit: RECENT_MEDIAN.perSlice,
      }),
    ),
  );
  const values = new Map<string, number[]>();
  for (const item of pages.flatMap((p) => p.items)) {
    const sample = fromReadingItem(item);
    for (const metric of Object.keys(sample.m)) {
      const v = numericValue(sample, metric);
      if (v === undefined) continue;
      const list = values.get(metric);
      if (list) list.push(v);
      else values.set(metric, [v]);
    }
  }
  return new Map([...values].map(([metric, vs]) => [metric, { median: median(vs), samples: vs.length }]));
}

/**
 * Water devices whose recent median lies beyond one of their early-warning levels: checked at start (local runtime,
 * fleet load) so a warning level that a site's normal operation sits on is found before it sends reminders all day.
 * A device whose readings cannot be read is skipped, never a reason to stop a start.
 */
export async function checkSiteWarningLevels(
  devices: readonly Device[],
  readings: Pick<ReadingStore, 'query'>,
  now: number,
): Promise<WarningLevelFinding[]> {
  const water = devices.filter((d) => d.kind === 'water');
  const found = await mapWithConcurrency(water, DEVICE_CONCURRENCY, async (device) => {
    try {
      return warningLevelsBeyondMedian(device, await recentMedians(readings, device, now));
    } catch {
      return [];
    }
  });
  return found.flat();
}
