import { binSettingsFor } from '../../functions/core/bins';
import type { Device } from '../../functions/core/registry';
import { MINUTE_MS } from '../../functions/shared/time';
import type { OutcomeSpec, ScenarioInstance } from '../scenarios/types';
import { HOUR_MS } from '../time';
import { type BinView, type CollectionView, failed, type ServiceApi } from './api-client';
import {
  describeCount,
  isoOrDash,
  type PlanContext,
  type PlannedCheck,
  sentSince,
  windowStart,
  within,
} from './check';

const signedMinutes = (ms: number) => `${ms >= 0 ? '+' : '−'}${Math.round(Math.abs(ms) / MINUTE_MS)} min`;
/** The window `GET /bins` takes, in whole seconds (ISO 8601). */
const isoWindow = (ms: number) => `PT${Math.max(0, Math.round(ms / 1000))}S`;
const pct = (share: number) => `${Math.round(share * 100)} %`;

/** The forecast the service gave, judged against the true line: how far off, in words. */
interface ForecastJudgement {
  ok: boolean;
  text: string;
  trueAt: number;
  tolerance: number;
}

function judgeForecast(
  bin: BinView & { ratePctPerHour: number; thresholdAt: string },
  line: { fromPct: number; fromTs: number; ratePctPerHour: number },
  spec: Extract<OutcomeSpec, { check: 'forecast' }>,
  sent: readonly number[],
  lastAt: number,
): ForecastJudgement {
  const newest = sent.at(-1) ?? lastAt;
  const rateError = (bin.ratePctPerHour - line.ratePctPerHour) / line.ratePctPerHour;
  const trueAt = line.fromTs + ((bin.thresholdPct - line.fromPct) / line.ratePctPerHour) * HOUR_MS;
  const forecastAt = Date.parse(bin.thresholdAt);
  const interval = sent.length > 1 ? (newest - (sent[0] ?? newest)) / (sent.length - 1) : HOUR_MS;
  const remaining = trueAt - lastAt;
  const tolerance = Math.max(spec.maxErrorShare * remaining, 2 * interval);
  const error = forecastAt - trueAt;
  const share =
    remaining > 0
      ? ` = ${((Math.abs(error) / remaining) * 100).toFixed(1)} % of the ${(remaining / HOUR_MS).toFixed(1)} h that remained`
      : ' (crossed before the newest reading)';
  return {
    ok: Math.abs(rateError) <= spec.maxRateError && Math.abs(error) <= tolerance,
    text: `rate ${bin.ratePctPerHour} %/h (${rateError >= 0 ? '+' : '−'}${Math.abs(rateError * 100).toFixed(1)} %); ${bin.thresholdPct} % forecast at ${isoOrDash(forecastAt)}, true ${isoOrDash(trueAt)}, error ${signedMinutes(error)}${share}`,
    trueAt,
    tolerance,
  };
}

/**
 * The list judges `thresholdAt <= now + window`: a window ending past the tolerance must list the bin, one ending
 * before it must not (unless the bin is already above its threshold).
 */
async function judgeListing(
  api: ServiceApi,
  device: Device,
  bin: BinView,
  { trueAt, tolerance }: ForecastJudgement,
): Promise<{ ok: boolean; text: string }> {
  const listed = async (windowMs: number) => {
    const due = await api.binsDue(device.township, isoWindow(windowMs));
    return failed(due) ? due : due.includes(device.id);
  };
  const now = Date.now();
  const longWindow = trueAt + tolerance - now;
  const shortWindow = trueAt - tolerance - now;
  const inLong = await listed(longWindow);
  if (typeof inLong !== 'boolean') return { ok: false, text: inLong.error };
  const longText = `${inLong ? 'listed' : 'NOT listed'} within ${isoWindow(longWindow)}`;
  if (shortWindow <= 0 || bin.aboveThreshold)
    return {
      ok: inLong,
      text: `${longText}; the crossing is due now, so no shorter window can leave it out`,
    };
  const inShort = await listed(shortWindow);
  if (typeof inShort !== 'boolean') return { ok: false, text: inShort.error };
  return {
    ok: inLong && !inShort,
    text: `${longText}, ${inShort ? 'but also' : 'not'} within ${isoWindow(shortWindow)}`,
  };
}

/** Checks a bin's fill rate and threshold forecast against the line the scenario drew, and its collection listing. */
export function forecastCheck(
  instance: ScenarioInstance,
  spec: Extract<OutcomeSpec, { check: 'forecast' }>,
  device: Device,
  ctx: PlanContext,
): PlannedCheck {
  const start = windowStart(instance, device.id, ctx.simStart);
  const line = spec.truth({ device, params: instance.params, start, seed: ctx.seed });
  return {
    scenario: instance.label,
    check: 'forecast',
    subject: device.id,
    expected: `fill rate ${line.ratePctPerHour} %/h ± ${pct(spec.maxRateError)}; threshold crossing within ${pct(spec.maxErrorShare)} of the time that remained (at least two reporting intervals); listed by GET /bins for a window just past the true crossing, not for one just short of it`,
    async evaluate(api) {
      const sent = sentSince(ctx, device.id, start);
      const newest = sent.at(-1);
      if (newest === undefined)
        return { ok: false, found: `the scenario never reached ${device.id}: no sample after its start` };
      const bin = await api.bin(device.id);
      if (failed(bin)) return { ok: false, found: bin.error };
      const lastAt = bin.lastReadingAt === null ? undefined : Date.parse(bin.lastReadingAt);
      if (lastAt === undefined || lastAt < newest)
        return {
          ok: false,
          found: `the service's newest reading is ${isoOrDash(lastAt)}; the run sent up to ${isoOrDash(newest)} (ingest still catching up?)`,
        };
      const { ratePctPerHour, thresholdAt } = bin;
      if (bin.forecast !== 'ok' || ratePctPerHour === null || thresholdAt === null)
        return { ok: false, found: `no forecast: ${bin.forecast}${bin.reason ? ` (${bin.reason})` : ''}` };
      if (line.fromPct >= bin.thresholdPct)
        return {
          ok: false,
          found: `the scenario starts at ${line.fromPct} %, at or above the bin's threshold of ${bin.thresholdPct} %: nothing to forecast`,
        };
      const forecast = judgeForecast({ ...bin, ratePctPerHour, thresholdAt }, line, spec, sent, lastAt);
      const listing = await judgeListing(api, device, bin, forecast);
      return { ok: forecast.ok && listing.ok, found: `${forecast.text}; ${listing.text}` };
    },
  };
}

/** Checks the collection events the service recorded for a bin: when, and from what fill to what. */
export function collectionsCheck(
  instance: ScenarioInstance,
  spec: Extract<OutcomeSpec, { check: 'collections' }>,
  device: Device,
  ctx: PlanContext,
  reportTo: number,
): PlannedCheck {
  const start = windowStart(instance, device.id, ctx.simStart);
  const round = spec.roundAt({ device, params: instance.params, start, seed: ctx.seed });
  const { collectedFromPct: fromPct, collectedToPct: toPct } = binSettingsFor(
    device.kind === 'bin' ? device : {},
  );
  const describe = (e: CollectionView) => `${e.at} ${e.fromPct} % → ${e.toPct} %`;
  return {
    scenario: instance.label,
    check: 'collections',
    subject: device.id,
    expected: `${describeCount(spec.count, 'collection event')} in GET /bins/collections, at its first sample on or after the round (${isoOrDash(round)}), from ≥ ${fromPct} % to ≤ ${toPct} %`,
    async evaluate(api) {
      const emptied = sentSince(ctx, device.id, start).find((ts) => ts >= round);
      if (emptied === undefined)
        return {
          ok: false,
          found: `the run ended before the round reached ${device.id} (${isoOrDash(round)}): lengthen the run or set :round_after=`,
        };
      const reported = await api.collections(device.township, start, reportTo);
      if (failed(reported)) return { ok: false, found: reported.error };
      const events = reported.filter((e) => e.binId === device.id);
      const wrong = events.filter(
        (e) => Date.parse(e.at ?? '') !== emptied || e.fromPct < fromPct || e.toPct > toPct,
      );
      return {
        ok: within(events.length, spec.count) && wrong.length === 0,
        found: `${events.length} event${events.length === 1 ? '' : 's'}${events.length ? ` (${events.map(describe).join(', ')})` : ''}${wrong.length ? `; expected the emptying at ${isoOrDash(emptied)}` : ''}`,
      };
    },
  };
}
