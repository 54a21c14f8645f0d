import { z } from 'zod';
import { DEVICE_ID_PATTERN, METRIC_NAME_PATTERN } from '../contract';
import { fleetSubscriptionIssues, fleetSubscriptionSchema } from './subscription';

/** Where along the supply a water sensor sits; limits depend on it (docs/limits.md). */
const MEASUREMENT_POINTS = ['source', 'plant_outlet', 'network', 'tap'] as const;
export type MeasurementPoint = (typeof MEASUREMENT_POINTS)[number];
const SUPPLY_CLASSES = ['standard', 'small'] as const;
export type SupplyClass = (typeof SUPPLY_CLASSES)[number];
const DISINFECTANTS = ['free_chlorine', 'chloramine', 'chlorine_dioxide', 'none'] as const;
export type Disinfectant = (typeof DISINFECTANTS)[number];
const SITE_TYPES = [
  'water_source',
  'water_plant',
  'water_network',
  'village',
  'market',
  'school',
  'town',
] as const;
export type SiteType = (typeof SITE_TYPES)[number];

const id = z.string().regex(DEVICE_ID_PATTERN, 'ids are [A-Za-z0-9_-]{1,64}');
const location = z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) });

const metricKey = z.string().regex(METRIC_NAME_PATTERN, 'metric names are lower_snake_case with their unit');

/** Per-site alarm settings: limit overrides, early-warning levels, on-delay; every field optional. */
const alarmSettingsSchema = z
  .object({
    /** Early warning at this fraction of a maximum (and limit / fraction for a minimum); default 0.8. */
    warningFraction: z.number().gt(0).lt(1).optional(),
    /** Overrides of catalogue limits and warning levels, per metric. */
    limits: z
      .record(
        metricKey,
        z
          .object({ min: z.number(), max: z.number(), warnMin: z.number(), warnMax: z.number() })
          .partial()
          .strict(),
      )
      .optional(),
    /** A breach must hold this many samples, or this many seconds, before it raises an alarm. */
    onDelay: z
      .record(
        metricKey,
        z.object({ samples: z.number().int().min(1).max(100), seconds: z.number().int().min(0) }).partial(),
      )
      .optional(),
    /** Identical consecutive values that make a channel "stuck"; default 10. */
    stuckSamples: z.number().int().min(3).max(1000).optional(),
    /** Reporting resolution per metric (values equal at it are one reading); defaults in core/quality.ts. */
    resolution: z.record(metricKey, z.number().positive().max(1000)).optional(),
    /** No sample for this many reporting intervals makes a device offline; default 3. */
    offlineIntervals: z.number().min(1.5).max(100).optional(),
    /** Battery below this percentage raises low battery; default 20. */
    lowBatteryPct: z.number().min(1).max(90).optional(),
  })
  .strict();
type AlarmSettings = z.infer<typeof alarmSettingsSchema>;

/**
 * Waste-bin settings (functions/core/bins.ts has the defaults): per site type in the fleet's `binSettings`, per bin in
 * the device's `binSettings`; a bin's own value wins. Every field optional.
 */
const binSettingsSchema = z
  .object({
    /** Fill at which a bin is due for collection (warning alarm, collection list); default 80. */
    collectionThresholdPct: z.number().min(10).max(99).optional(),
    /** A drop between consecutive readings from at least this fill… (default 50) */
    collectedFromPct: z.number().min(10).max(100).optional(),
    /** …to at most this fill is a collection (default 15). */
    collectedToPct: z.number().min(0).max(90).optional(),
    /** Temperature inside the bin that means fire; default 60 °C. */
    fireTemperatureC: z.number().min(30).max(120).optional(),
    /** A rise of this many °C within `fireRiseMinutes` also means fire; default 15 °C in 10 min. */
    fireRiseC: z.number().min(2).max(100).optional(),
    fireRiseMinutes: z.number().int().min(1).max(120).optional(),
    /** A forecast needs this many valid readings since the last collection (default 6)… */
    minReadings: z.number().int().min(3).max(100).optional(),
    /** …spanning at least this many hours (default 2). */
    minSpanHours: z.number().min(0.25).max(72).optional(),
  })
  .strict()
  .refine(
    (s) =>
      s.collectedFromPct === undefined ||
      s.collectedToPct === undefined ||
      s.collectedToPct < s.collectedFromPct,
    { message: 'collectedToPct must be below collectedFromPct', path: ['collectedToPct'] },
  );
export type BinSettings = z.infer<typeof binSettingsSchema>;

const siteSchema = z.object({
  id,
  name: z.string().min(1),
  nameZh: z.string().min(1).optional(),
  type: z.enum(SITE_TYPES),
  township: z.string().min(1),
  supplyClass: z.enum(SUPPLY_CLASSES).default('standard'),
  disinfectant: z.enum(DISINFECTANTS).default('free_chlorine'),
  /** Upstream site ids, so an event can be followed downstream (source → plant → network/tap). */
  upstream: z.array(id).default([]),
  alarmSettings: alarmSettingsSchema.optional(),
});
export type Site = z.infer<typeof siteSchema>;

const deviceBase = {
  id,
  siteId: id,
  location,
  /** Nominal reporting interval; offline detection and the simulator use it. */
  intervalS: z.number().int().min(1).max(86_400).default(60),
  description: z.string().optional(),
};

const waterDeviceSchema = z.object({
  ...deviceBase,
  kind: z.literal('water'),
  measurementPoint: z.enum(MEASUREMENT_POINTS),
});

const binDeviceSchema = z.object({
  ...deviceBase,
  kind: z.literal('bin'),
  /** Distance from the ultrasonic sensor to the bin floor, mm: fill = 1 - distance / depth. */
  depthMm: z.number().positive().max(5000),
  capacityL: z.number().positive().max(40_000),
  wasteStream: z.enum(['residual', 'recyclable', 'kitchen', 'hazardous']).default('residual'),
  /** This bin's own settings; they override its site type's. */
  binSettings: binSettingsSchema.optional(),
});

const fleetDeviceSchema = z.discriminatedUnion('kind', [waterDeviceSchema, binDeviceSchema]);
export type FleetDevice = z.infer<typeof fleetDeviceSchema>;

const fleetSchema = z
  .object({
    county: z.string().min(1),
    sites: z.array(siteSchema).min(1),
    devices: z.array(fleetDeviceSchema),
    /** SMS subscriptions loaded at start (local runtime), e.g. the example county's fake numbers. */
    subscriptions: z.array(fleetSubscriptionSchema).default([]),
    /** Bin settings per site type (e.g. markets collect earlier); a bin's own `binSettings` override them. */
    binSettings: z.partialRecord(z.enum(SITE_TYPES), binSettingsSchema).optional(),
    /** Sections later features read (overrides) are kept as they are. */
  })
  .loose()
  .superRefine((fleet, ctx) => {
    const siteIds = new Set<string>();
    for (const [i, s] of fleet.sites.entries()) {
      if (siteIds.has(s.id))
        ctx.addIssue({ code: 'custom', path: ['sites', i, 'id'], message: `duplicate site id ${s.id}` });
      siteIds.add(s.id);
    }
    const deviceIds = new Set<string>();
    for (const [i, d] of fleet.devices.entries()) {
      if (deviceIds.has(d.id))
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `duplicate device id ${d.id}` });
      deviceIds.add(d.id);
      if (!siteIds.has(d.siteId))
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'siteId'], message: `unknown site ${d.siteId}` });
    }
    for (const issue of fleetSubscriptionIssues(fleet.subscriptions, fleet.sites))
      ctx.addIssue({ code: 'custom', path: ['subscriptions', ...issue.path], message: issue.message });
  });
export type Fleet = z.infer<typeof fleetSchema>;

/** A registered device as stored: the device joined with its site, so ingest needs one lookup. */
export type Device = FleetDevice & {
  siteName: string;
  siteNameZh?: string;
  siteType: SiteType;
  /** The site's upstream site ids (source → plant → network → tap); absent when it has none. */
  siteUpstream?: string[];
  township: string;
  supplyClass: SupplyClass;
  disinfectant: Disinfectant;
  alarmSettings?: AlarmSettings;
  /** Out of service: samples are stored, nothing is alarmed (until `maintenanceUntil`, see {@link inMaintenance}). */
  maintenance?: boolean;
  maintenanceReason?: string;
  /** When maintenance ends by itself, epoch ms. Devices put in maintenance before it existed have none. */
  maintenanceUntil?: number;
  /** Who put the device in maintenance (the token's name). */
  maintenanceBy?: string;
};

/** The longest maintenance the API accepts: a month's repair is renewed, not forgotten. */
export const MAINTENANCE_MAX_MS = 30 * 24 * 60 * 60 * 1000;
/** A maintenance turned on without an end time (an API client from before `until`) ends after this. */
export const MAINTENANCE_DEFAULT_MS = 24 * 60 * 60 * 1000;

/**
 * Whether a device is out of service at `now`: maintenance ends by itself at `maintenanceUntil`, with no write. A
 * device stored in maintenance without an end (set before ends existed) stays in it until turned off.
 */
export function inMaintenance(
  device: Pick<Device, 'maintenance' | 'maintenanceUntil'>,
  now: number,
): boolean {
  if (!device.maintenance) return false;
  return device.maintenanceUntil === undefined || now < device.maintenanceUntil;
}

/** Validates a fleet document; the error lists every problem with its path. */
export function parseFleet(doc: unknown): Fleet {
  const parsed = fleetSchema.safeParse(doc);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('\n');
    throw new Error(`fleet file is invalid:\n${problems}`);
  }
  return parsed.data;
}

/** Joins each device with its site. */
export function fleetDevices(fleet: Fleet): Device[] {
  const sites = new Map(fleet.sites.map((s) => [s.id, s]));
  return fleet.devices.map((d) => {
    const site = sites.get(d.siteId);
    if (!site) throw new Error(`device ${d.id}: unknown site ${d.siteId}`);
    const device: Device = {
      ...d,
      siteName: site.name,
      siteType: site.type,
      township: site.township,
      supplyClass: site.supplyClass,
      disinfectant: site.disinfectant,
    };
    if (site.nameZh !== undefined) device.siteNameZh = site.nameZh;
    // The registry holds devices only: the supply chain (the overview's flow order) travels with each device.
    if (site.upstream.length > 0) device.siteUpstream = site.upstream;
    if (site.alarmSettings !== undefined) device.alarmSettings = site.alarmSettings;
    if (device.kind === 'bin') {
      // The stored device carries its effective overrides, so ingest and the API need no fleet document.
      const merged = { ...fleet.binSettings?.[site.type], ...device.binSettings };
      if (Object.keys(merged).length > 0) device.binSettings = merged;
    }
    return device;
  });
}
