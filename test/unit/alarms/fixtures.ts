import type { EvalSample } from '../../../functions/core/conditions/types';
import type { Device } from '../../../functions/core/registry';

export function waterDevice(overrides: Partial<Extract<Device, { kind: 'water' }>> = {}): Device {
  return {
    id: 'wq-1',
    kind: 'water',
    siteId: 'plant-a',
    siteName: 'Plant A',
    siteType: 'water_plant',
    township: 'Town',
    supplyClass: 'standard',
    disinfectant: 'free_chlorine',
    measurementPoint: 'plant_outlet',
    intervalS: 60,
    location: { lat: 37.7, lon: 75.2 },
    ...overrides,
  } as Device;
}

const T0 = Date.UTC(2026, 10, 28, 0, 0, 0);

/** Samples one interval apart, each with the given metrics. */
export function series(
  values: Record<string, number | boolean>[],
  start = T0,
  stepMs = 60_000,
): EvalSample[] {
  return values.map((m, i) => ({ ts: start + i * stepMs, seq: i, m, receivedAt: start + i * stepMs + 500 }));
}
