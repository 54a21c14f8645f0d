import { writeFile } from 'node:fs/promises';
import { type Fleet, type FleetDevice, parseFleet, type Site } from '../functions/core/registry';
import { FleetFileError, readFleetFile } from '../infra/fleet/read-fleet';
import { mulberry32, type Rng } from './random';

/** A problem with the user's input (fleet file, certificate, option): exit code 2, message shown as is. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Reads and validates a fleet file as the service does; every error names the file and what is wrong with it. */
export async function loadFleet(file: string): Promise<Fleet> {
  try {
    return (await readFleetFile(file)).fleet;
  } catch (err) {
    if (err instanceof FleetFileError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

export interface GenerateFleetOptions {
  water: number;
  bins: number;
  townships: number;
  seed: number;
  /** Overrides every device's reporting interval (s); else water 60 s (sources 300 s), bins 900 s. */
  intervalS?: number;
  county?: string;
}

const TOWNSHIP_NAMES = [
  'Tashkurgan',
  'Dabudar',
  'Tiznap',
  'Mazar',
  'Taghdumbash',
  'Wacha',
  'Kukyar',
  'Bandir',
  'Tagharma',
  'Khunjerab',
  'Karasu',
  'Shindi',
];

function townshipName(i: number): string {
  const base = TOWNSHIP_NAMES[i % TOWNSHIP_NAMES.length] ?? 'Township';
  return i < TOWNSHIP_NAMES.length ? base : `${base} ${Math.floor(i / TOWNSHIP_NAMES.length) + 1}`;
}

const pad = (n: number, width = 3) => String(n).padStart(width, '0');

function location(rng: Rng, centre: { lat: number; lon: number }, spread: number) {
  const round = (v: number) => Math.round(v * 10_000) / 10_000;
  return {
    lat: round(centre.lat + (rng() - 0.5) * spread),
    lon: round(centre.lon + (rng() - 0.5) * spread),
  };
}

/** Splits `total` over `parts` as evenly as possible, earlier parts taking the remainder. */
function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

/**
 * Generates a county: per township a supply chain (source → plant → network → taps at schools and villages) and
 * bins at a market, a school and villages. The first township is the town (standard supply, free chlorine); the
 * others are small supplies. Deterministic for a seed, and valid for `parseFleet`.
 */
export function generateFleet(options: GenerateFleetOptions): Fleet {
  const { water, bins, seed } = options;
  const townships = Math.max(1, options.townships);
  const rng = mulberry32(seed ^ 0x5eed);
  const sites: Site[] = [];
  const devices: FleetDevice[] = [];
  const addSite = (site: Omit<Site, 'upstream' | 'supplyClass' | 'disinfectant'> & Partial<Site>) => {
    const full: Site = { supplyClass: 'standard', disinfectant: 'none', upstream: [], ...site };
    sites.push(full);
    return full;
  };

  for (let t = 0; t < townships; t++) {
    const tid = `t${pad(t + 1)}`;
    const township = townshipName(t);
    const centre = {
      lat: 37.78 - 0.35 * (t % 4) + (rng() - 0.5) * 0.2,
      lon: 75.23 + 0.3 * Math.floor(t / 4),
    };
    const supplyClass = t === 0 ? 'standard' : 'small';
    const disinfectant = t === 0 ? 'free_chlorine' : rng() < 0.3 ? 'chlorine_dioxide' : 'free_chlorine';
    const nWater = share(water, townships, t);
    const nBins = share(bins, townships, t);

    if (nWater > 0) {
      const chain = [
        { suffix: 'src', type: 'water_source', point: 'source', name: 'intake', upstream: [] as string[] },
        {
          suffix: 'plant',
          type: 'water_plant',
          point: 'plant_outlet',
          name: 'water plant',
          upstream: ['src'],
        },
        { suffix: 'net', type: 'water_network', point: 'network', name: 'network end', upstream: ['plant'] },
      ] as const;
      for (const [i, link] of chain.entries()) {
        if (i >= nWater) break;
        const site = addSite({
          id: `${tid}-${link.suffix}`,
          name: `${township} ${link.name}`,
          type: link.type,
          township,
          supplyClass,
          disinfectant: link.point === 'source' ? 'none' : disinfectant,
          upstream: link.upstream.map((u) => `${tid}-${u}`),
        });
        devices.push({
          id: `wq-${tid}-${link.suffix}`,
          kind: 'water',
          siteId: site.id,
          measurementPoint: link.point,
          intervalS: options.intervalS ?? (link.point === 'source' ? 300 : 60),
          location: location(rng, centre, 0.05),
        });
      }
      for (let i = 0; i < nWater - chain.length; i++) {
        const type = i % 2 === 0 ? 'school' : 'village';
        const site = addSite({
          id: `${tid}-tap-${pad(i + 1)}`,
          name: `${township} ${type} tap ${i + 1}`,
          type,
          township,
          supplyClass,
          disinfectant,
          upstream: [`${tid}-net`],
        });
        devices.push({
          id: `wq-${tid}-tap-${pad(i + 1)}`,
          kind: 'water',
          siteId: site.id,
          measurementPoint: 'tap',
          intervalS: options.intervalS ?? 60,
          location: location(rng, centre, 0.08),
        });
      }
    }

    if (nBins > 0) {
      const binSites = [
        addSite({ id: `${tid}-market`, name: `${township} bazaar`, type: 'market', township }),
        addSite({ id: `${tid}-school`, name: `${township} school`, type: 'school', township }),
        addSite({ id: `${tid}-village`, name: `${township} village`, type: 'village', township }),
      ];
      const streams = ['residual', 'kitchen', 'recyclable', 'residual'] as const;
      for (let i = 0; i < nBins; i++) {
        const site = binSites[i % binSites.length] as Site;
        const small = site.type === 'school';
        devices.push({
          id: `bin-${tid}-${site.type}-${pad(Math.floor(i / binSites.length) + 1)}`,
          kind: 'bin',
          siteId: site.id,
          depthMm: small ? 950 : 1100,
          capacityL: small ? 240 : 660,
          wasteStream: streams[Math.floor(i / binSites.length) % streams.length] ?? 'residual',
          intervalS: options.intervalS ?? 900,
          location: location(rng, centre, 0.06),
        });
      }
    }
  }
  return parseFleet({
    county:
      options.county ??
      `Generated county (${water} water, ${bins} bins, ${townships} townships, seed ${seed})`,
    sites,
    devices,
  });
}

/** Writes a fleet the service can load (`FLEET_FILE=... npm start`). */
export async function writeFleet(file: string, fleet: Fleet): Promise<void> {
  await writeFile(file, `${JSON.stringify(fleet, null, 2)}\n`, 'utf8');
}
