import type {
  OverviewDevice,
  OverviewMetric,
  OverviewResponse,
  OverviewSite,
  OverviewSupply,
  OverviewTownship,
  SiteState,
} from '../api/console-types';
import type { Alarm } from '../core/alarm';
import { SEVERITIES, type Severity } from '../core/alarm-types';
import { type BinDevice, dueForCollection } from '../core/bins';
import { conditionsFor } from '../core/conditions/build';
import type { OfflineCondition } from '../core/conditions/types';
import { outOfRange } from '../core/quality';
import type { ReadingItem } from '../core/reading-item';
import { type Device, inMaintenance } from '../core/registry';
import { levelsFor } from '../core/rollup';
import type { AppliedLevels } from '../core/rollup-types';
import type { AlarmQueries } from '../ports/alarm-queries';
import type { BinEventStore } from '../ports/bin-event-store';
import type { DeviceRegistry } from '../ports/device-registry';
import type { ReadingStore } from '../ports/reading-store';
import { mapWithConcurrency } from '../shared/concurrency';
import { collectionList } from './bin-forecasts';

/** What the overview reads: the registry, the newest reading per device, open alarms and the bins' forecasts. */
export interface OverviewDeps {
  registry: Pick<DeviceRegistry, 'list'>;
  readings: ReadingStore;
  alarms: Pick<AlarmQueries, 'list'>;
  binEvents: BinEventStore;
}

/**
 * Newest-reading Queries under way at once. The bins' forecasts (bin-forecasts.ts) run beside them with their own
 * cap of 8, so one overview has at most 16 DynamoDB requests in flight: enough to answer 300 devices in well under a
 * second, few enough that a console left open never competes with ingest for the table's capacity.
 */
const LATEST_CONCURRENCY = 8;
/** Open alarms read per page of the status index (the route's own maximum page). */
const ALARM_PAGE = 500;

/** Worst first; `no_data` last, so a site with one silent new device still shows its reporting ones' state. */
const STATE_ORDER: readonly SiteState[] = [
  'unsafe',
  'warning',
  'sensor_fault',
  'offline',
  'maintenance',
  'safe',
  'no_data',
];

/** The worst of some states (`no_data` for none). */
export function worstState(states: Iterable<SiteState>): SiteState {
  let best = STATE_ORDER.length - 1;
  for (const s of states) best = Math.min(best, STATE_ORDER.indexOf(s));
  return STATE_ORDER[best] as SiteState;
}

/** Alarms whose condition still holds: a cleared alarm waiting for its acknowledgement no longer colours a site. */
const isActive = (a: Alarm) => a.state === 'active_unack' || a.state === 'active_ack';

/**
 * A device's state from its open alarms and newest sample time: the active alarms first (critical → unsafe, warning, sensor fault), then the sweep's offline rule
 * (no sample for the offline condition's `afterMs`, never while in maintenance; an offline alarm still open counts
 * too), then maintenance; `no_data` when it never reported.
 */
export function deviceState(
  device: Device,
  latestTs: number | undefined,
  open: readonly Alarm[],
  now: number,
): SiteState {
  const active = open.filter(isActive);
  const severities = new Set(active.map((a) => a.severity));
  if (severities.has('critical')) return 'unsafe';
  if (severities.has('warning')) return 'warning';
  if (severities.has('sensor_fault')) return 'sensor_fault';
  const maintenance = inMaintenance(device, now);
  if (!maintenance && active.some((a) => a.condition === 'offline')) return 'offline';
  const offline = conditionsFor(device).find((c): c is OfflineCondition => c.kind === 'offline');
  if (!maintenance && latestTs !== undefined && offline && now - latestTs > offline.afterMs) return 'offline';
  if (maintenance) return 'maintenance';
  return latestTs === undefined ? 'no_data' : 'safe';
}

/** A metric's latest value against its levels; `flagged` when the quality gate would reject it or a fault is open. */
export function metricStatus(
  value: number | undefined,
  levels: AppliedLevels | undefined,
  metric: string,
  faulted: boolean,
): OverviewMetric['status'] {
  if (value === undefined) return 'unknown';
  if (faulted || outOfRange(metric, value)) return 'flagged';
  const l = levels ?? {};
  if ((l.limitMin !== undefined && value < l.limitMin) || (l.limitMax !== undefined && value > l.limitMax))
    return 'breach';
  if ((l.warnMin !== undefined && value < l.warnMin) || (l.warnMax !== undefined && value > l.warnMax))
    return 'warning';
  return 'ok';
}

function presentMetrics(
  device: Device,
  latest: ReadingItem | undefined,
  active: readonly Alarm[],
): OverviewMetric[] {
  const levels = levelsFor(device);
  const numeric = Object.entries(latest?.m ?? {}).filter(
    (e): e is [string, number] => typeof e[1] === 'number',
  );
  // The metrics the device's limits watch first (in the catalogue's order), then whatever else it reports.
  const names = [...new Set([...Object.keys(levels), ...numeric.map(([k]) => k).sort()])];
  const values = new Map(numeric);
  const faulted = new Set(active.filter((a) => a.severity === 'sensor_fault').map((a) => a.metric));
  return names.map((metric) => {
    const value = values.get(metric);
    const l = levels[metric];
    return {
      metric,
      value: value ?? null,
      time: value === undefined || !latest ? null : new Date(latest.ts).toISOString(),
      ...(l?.limitMin !== undefined ? { limitMin: l.limitMin } : {}),
      ...(l?.limitMax !== undefined ? { limitMax: l.limitMax } : {}),
      ...(l?.warnMin !== undefined ? { warnMin: l.warnMin } : {}),
      ...(l?.warnMax !== undefined ? { warnMax: l.warnMax } : {}),
      status: metricStatus(value, l, metric, faulted.has(metric)),
    };
  });
}

/** Where a site type sits along a supply: ties in the flow order are broken by it, then by id. */
const FLOW_RANK: Readonly<Record<string, number>> = { water_source: 0, water_plant: 1, water_network: 2 };
const flowRank = (type: string) => FLOW_RANK[type] ?? 3;

interface SiteNode {
  siteId: string;
  type: string;
  upstream: readonly string[];
}

/**
 * The supply chains among `sites`: every group of sites joined by upstream links, each in flow order (a site after
 * all its upstream sites; ties by site type, source → plant → network → tap, then id). Links to sites not in `sites`
 * are ignored; a site with no link either way is on no chain. A cycle (a registry mistake) still yields every site
 * once: the sites left on it follow in type order.
 */
export function supplyChains(sites: readonly SiteNode[]): string[][] {
  const byId = new Map(sites.map((s) => [s.siteId, s]));
  const parent = new Map(sites.map((s) => [s.siteId, s.siteId]));
  const root = (id: string): string => {
    let r = id;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    return r;
  };
  const linked = new Set<string>();
  for (const s of sites)
    for (const up of s.upstream) {
      if (!byId.has(up) || up === s.siteId) continue;
      linked.add(s.siteId).add(up);
      parent.set(root(s.siteId), root(up));
    }
  const groups = new Map<string, SiteNode[]>();
  for (const s of sites) {
    if (!linked.has(s.siteId)) continue;
    const r = root(s.siteId);
    groups.set(r, [...(groups.get(r) ?? []), s]);
  }
  const order = (a: SiteNode, b: SiteNode) =>
    flowRank(a.type) - flowRank(b.type) || a.siteId.localeCompare(b.siteId);
  return [...groups.values()].map((group) => {
    const placed = new Set<string>();
    const out: string[] = [];
    let left = [...group].sort(order);
    while (left.length > 0) {
      const ready = left.filter((s) =>
        s.upstream.every((u) => !byId.has(u) || u === s.siteId || placed.has(u)),
      );
      const next = ready[0] ?? (left[0] as SiteNode);
      placed.add(next.siteId);
      out.push(next.siteId);
      left = left.filter((s) => s !== next);
    }
    return out;
  });
}

async function openAlarms(alarms: OverviewDeps['alarms']): Promise<Alarm[]> {
  const all: Alarm[] = [];
  let cursor: string | undefined;
  do {
    const page = await alarms.list({ status: 'open', limit: ALARM_PAGE, ...(cursor ? { cursor } : {}) });
    all.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return all;
}

const emptyCounts = (): Record<Severity, number> =>
  Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;

const byKey = <T>(items: readonly T[], key: (t: T) => string) => {
  const map = new Map<string, T[]>();
  for (const item of items) map.set(key(item), [...(map.get(key(item)) ?? []), item]);
  return map;
};

/**
 * The county at a glance at `now`. DynamoDB requests: one registry Scan (a page per MB of devices), one Query per page
 * of 500 open alarms, one newest-reading Query per device, and per bin the two Queries of its forecast (newest
 * collection event, readings since); 18 devices with 8 bins: 1 + 1 + 18 + 16 = 36 requests; 300 devices with 200 bins:
 * about 1 + 1 + 300 + 400 = 702 (docs/console-cloud.md).
 */
export async function countyOverview(deps: OverviewDeps, now: number): Promise<OverviewResponse> {
  const [devices, open] = await Promise.all([deps.registry.list(), openAlarms(deps.alarms)]);
  const bins = devices.filter((d): d is BinDevice => d.kind === 'bin');
  const [latest, binStatuses] = await Promise.all([
    mapWithConcurrency(devices, LATEST_CONCURRENCY, (d) => deps.readings.latest(d.id)),
    collectionList(bins, deps, now),
  ]);
  const latestById = new Map(devices.map((d, i) => [d.id, latest[i]]));
  const activeByDevice = byKey(open.filter(isActive), (a) => a.deviceId);
  const openBySite = byKey(open, (a) => a.siteId);

  const presentDevice = (d: Device): OverviewDevice => {
    const item = latestById.get(d.id);
    const active = activeByDevice.get(d.id) ?? [];
    return {
      deviceId: d.id,
      kind: d.kind,
      state: deviceState(d, item?.ts, active, now),
      lastSampleAt: item ? new Date(item.ts).toISOString() : null,
      ageMs: item ? Math.max(0, now - item.ts) : null,
      intervalSec: d.intervalS,
      batteryPct: item?.bat ?? null,
      maintenanceUntil:
        inMaintenance(d, now) && d.maintenanceUntil !== undefined
          ? new Date(d.maintenanceUntil).toISOString()
          : null,
      metrics: presentMetrics(d, item, active),
    };
  };

  const sites: OverviewSite[] = [...byKey(devices, (d) => d.siteId)].map(([siteId, members]) => {
    const first = members[0] as Device;
    const present = members.map(presentDevice);
    const openAlarms = emptyCounts();
    for (const a of openBySite.get(siteId) ?? []) openAlarms[a.severity]++;
    return {
      siteId,
      name: first.siteName,
      ...(first.siteNameZh !== undefined ? { nameZh: first.siteNameZh } : {}),
      type: first.siteType,
      township: first.township,
      supplyClass: first.supplyClass,
      upstream: first.siteUpstream ?? [],
      state: worstState(present.map((p) => p.state)),
      openAlarms,
      devices: present,
    };
  });
  const siteById = new Map(sites.map((s) => [s.siteId, s]));
  const chains = supplyChains(sites);
  const onChain = new Set(chains.flat());

  const fireBins = new Set(open.filter((a) => isActive(a) && a.condition === 'fire').map((a) => a.deviceId));
  const townships = [...new Set(sites.map((s) => s.township))].sort((a, b) => a.localeCompare(b));
  const out: OverviewTownship[] = townships.map((township) => {
    const supplies: OverviewSupply[] = chains
      .map((ids) => ids.map((id) => siteById.get(id) as OverviewSite))
      .filter((chain) => {
        const head = chain.find((s) => s.type === 'water_plant') ?? (chain[0] as OverviewSite);
        return head.township === township;
      })
      .map((chain) => {
        const head = chain.find((s) => s.type === 'water_plant') ?? (chain[0] as OverviewSite);
        return {
          id: head.siteId,
          name: head.name,
          ...(head.nameZh !== undefined ? { nameZh: head.nameZh } : {}),
          siteIds: chain.map((s) => s.siteId),
        };
      })
      .sort((a, b) => a.id.localeCompare(b.id));
    const statuses = binStatuses.filter((s) => s.device.township === township);
    return {
      township,
      supplies,
      otherSiteIds: sites
        .filter((s) => s.township === township && !onChain.has(s.siteId))
        .map((s) => s.siteId)
        .sort(),
      bins: {
        total: statuses.length,
        // Due now: at or above its threshold, or forecast to be by now (the collection list with no look-ahead).
        needsCollection: statuses.filter((s) => dueForCollection(s.forecast, now, 0)).length,
        overflowing: statuses.filter((s) => s.forecast.overflowing).length,
        onFire: statuses.filter((s) => fireBins.has(s.device.id)).length,
      },
    };
  });

  const flowOrder = new Map(chains.flat().map((id, i) => [id, i]));
  sites.sort(
    (a, b) =>
      a.township.localeCompare(b.township) ||
      (flowOrder.get(a.siteId) ?? Number.MAX_SAFE_INTEGER) -
        (flowOrder.get(b.siteId) ?? Number.MAX_SAFE_INTEGER) ||
      a.siteId.localeCompare(b.siteId),
  );
  return { at: new Date(now).toISOString(), townships: out, sites };
}
