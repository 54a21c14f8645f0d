import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFleet, loadFleet, UsageError, writeFleet } from '../../../device-sim/fleet';
import { fleetDevices, parseFleet } from '../../../functions/core/registry';

describe('generated fleets', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pamir-sim-fleet-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('are valid fleet files with the requested counts, supply chains and bins per township', () => {
    const fleet = generateFleet({ water: 23, bins: 17, townships: 4, seed: 5 });
    const devices = fleetDevices(parseFleet(JSON.parse(JSON.stringify(fleet))));
    expect(devices.filter((d) => d.kind === 'water')).toHaveLength(23);
    expect(devices.filter((d) => d.kind === 'bin')).toHaveLength(17);
    expect(new Set(devices.map((d) => d.township)).size).toBe(4);
    const points = new Set(devices.flatMap((d) => (d.kind === 'water' ? [d.measurementPoint] : [])));
    expect(points).toEqual(new Set(['source', 'plant_outlet', 'network', 'tap']));
    const plant = fleet.sites.find((s) => s.id === 't001-plant');
    expect(plant?.upstream).toEqual(['t001-src']);
    expect(fleet.sites.every((s) => s.upstream.every((u) => fleet.sites.some((x) => x.id === u)))).toBe(true);
  });

  it('are the same for a seed and scale to thousands of devices', () => {
    expect(generateFleet({ water: 10, bins: 5, townships: 2, seed: 1 })).toEqual(
      generateFleet({ water: 10, bins: 5, townships: 2, seed: 1 }),
    );
    const big = generateFleet({ water: 1500, bins: 500, townships: 15, seed: 1, intervalS: 1 });
    expect(big.devices).toHaveLength(2000);
    expect(big.devices.every((d) => d.intervalS === 1 && d.id.length <= 64)).toBe(true);
  });

  it('round-trip through --write-fleet and load as the service loads them', async () => {
    const fleet = generateFleet({ water: 5, bins: 3, townships: 1, seed: 2 });
    const file = join(dir, 'fleet.json');
    await writeFleet(file, fleet);
    expect(await loadFleet(file)).toEqual(fleet);
  });

  it('fail to load with the file name and what is wrong', async () => {
    await expect(loadFleet(join(dir, 'missing.json'))).rejects.toThrow(
      /cannot read fleet file .*missing.json: no such file/,
    );
    const notJson = join(dir, 'bad.json');
    await writeFile(notJson, '{"county":');
    await expect(loadFleet(notJson)).rejects.toThrow(/bad.json is not JSON/);
    const invalid = join(dir, 'invalid.json');
    await writeFile(
      invalid,
      JSON.stringify({
        county: 'x',
        sites: [{ id: 's', name: 'S', type: 'village', township: 't' }],
        devices: [
          { id: 'd', kind: 'bin', siteId: 'nope', location: { lat: 0, lon: 0 }, depthMm: 1, capacityL: 1 },
        ],
      }),
    );
    await expect(loadFleet(invalid)).rejects.toThrow(UsageError);
    await expect(loadFleet(invalid)).rejects.toThrow(/devices.0.siteId: unknown site nope/);
  });
});
