import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fleetDevices, parseFleet } from '../../../functions/core/registry';
import { DEFAULT_FLEET_FILE } from '../../../infra/fleet/read-fleet';

const site = (id: string) => ({ id, name: `Site ${id}`, type: 'water_plant', township: 'Town' });
const device = (id: string, siteId: string) => ({
  id,
  siteId,
  kind: 'water',
  measurementPoint: 'plant_outlet',
  location: { lat: 37.7, lon: 75.2 },
});

describe('fleet registry', () => {
  it('parses the example county fleet shipped with the repo and joins every device to its site', () => {
    const doc: unknown = JSON.parse(readFileSync(DEFAULT_FLEET_FILE, 'utf8'));

    const devices = fleetDevices(parseFleet(doc));

    expect(devices.length).toBeGreaterThan(0);
    expect(new Set(devices.map((d) => d.kind))).toEqual(new Set(['water', 'bin']));
    for (const d of devices) expect(d.township, d.id).not.toBe('');
  });

  it('fills documented defaults (interval, supply class, disinfectant)', () => {
    const [joined] = fleetDevices(
      parseFleet({ county: 'C', sites: [site('p1')], devices: [device('d1', 'p1')] }),
    );

    expect(joined).toMatchObject({ intervalS: 60, supplyClass: 'standard', disinfectant: 'free_chlorine' });
  });

  it('rejects duplicate device ids and names the path of the second one', () => {
    const doc = { county: 'C', sites: [site('p1')], devices: [device('d1', 'p1'), device('d1', 'p1')] };

    expect(() => parseFleet(doc)).toThrow('devices.1.id: duplicate device id d1');
  });

  it('rejects duplicate site ids', () => {
    const doc = { county: 'C', sites: [site('p1'), site('p1')], devices: [] };

    expect(() => parseFleet(doc)).toThrow('sites.1.id: duplicate site id p1');
  });

  it('rejects a device whose site is not declared', () => {
    const doc = { county: 'C', sites: [site('p1')], devices: [device('d1', 'nowhere')] };

    expect(() => parseFleet(doc)).toThrow('devices.0.siteId: unknown site nowhere');
  });

  it('lists every shape problem at once', () => {
    const doc = {
      county: 'C',
      sites: [site('p1')],
      devices: [
        { ...device('d1', 'p1'), location: { lat: 91, lon: 0 } },
        { ...device('d2', 'p1'), measurementPoint: 'kitchen' },
      ],
    };

    expect(() => parseFleet(doc)).toThrow(/devices\.0\.location\.lat[\s\S]*devices\.1\.measurementPoint/);
  });
});
