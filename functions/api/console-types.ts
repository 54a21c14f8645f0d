import type { Audience, Severity } from '../core/alarm-types';
import type { Permission, Role } from '../core/roles';

// Bodies of the routes the operator console needs beyond the existing API (GET /me, GET /overview). The console
// imports these types (and functions/api/types.ts) so it reads exactly what the service sends.

/** `GET /me`: who the bearer token is, and what the console may offer them. */
export interface WhoAmI {
  /** The actor name the API records (the `by` an acknowledgement must carry). */
  name: string;
  role: Role;
  permissions: Permission[];
  /** Audiences whose alarms this caller may acknowledge or shelve. */
  ackAudiences: Audience[];
}

/** A site's state at a glance, worst first: unsafe > warning > sensor_fault > offline > maintenance > safe; no_data when nothing was ever received. */
export type SiteState =
  | 'unsafe'
  | 'warning'
  | 'sensor_fault'
  | 'offline'
  | 'maintenance'
  | 'safe'
  | 'no_data';

/** A metric's latest value against its limits. */
export interface OverviewMetric {
  metric: string;
  value: number | null;
  /** Sample time, ISO; null when never received. */
  time: string | null;
  limitMin?: number;
  limitMax?: number;
  warnMin?: number;
  warnMax?: number;
  /** `breach`: outside a limit; `warning`: outside a warning level; `flagged`: sensor-fault flagged; `unknown`: no value. */
  status: 'ok' | 'warning' | 'breach' | 'flagged' | 'unknown';
}

export interface OverviewDevice {
  deviceId: string;
  kind: 'water' | 'bin';
  state: SiteState;
  /** Newest sample time, ISO (newest timestamp, not last received); null when never. */
  lastSampleAt: string | null;
  /** Age of the newest sample at `OverviewResponse.at`, ms. */
  ageMs: number | null;
  /** Expected reporting interval, seconds (offline after the service's offline rule). */
  intervalSec: number | null;
  batteryPct: number | null;
  maintenanceUntil: string | null;
  metrics: OverviewMetric[];
}

export interface OverviewSite {
  siteId: string;
  name: string;
  nameZh?: string;
  /** The registry's site type (water_source, water_plant, water_network, school, village, waste_point, ...). */
  type: string;
  township: string;
  supplyClass?: string;
  upstream: string[];
  state: SiteState;
  openAlarms: Record<Severity, number>;
  devices: OverviewDevice[];
}

/** One supply chain: its sites in flow order (source → plant outlet → network → taps). */
export interface OverviewSupply {
  /** The id of its plant site (or first site when it has no plant). */
  id: string;
  name: string;
  nameZh?: string;
  siteIds: string[];
}

export interface OverviewTownship {
  township: string;
  supplies: OverviewSupply[];
  /** Waste and other sites not on a supply chain. */
  otherSiteIds: string[];
  bins: { total: number; needsCollection: number; overflowing: number; onFire: number };
}

/** `GET /overview`: the county at a glance (any role). */
export interface OverviewResponse {
  at: string;
  townships: OverviewTownship[];
  sites: OverviewSite[];
}
