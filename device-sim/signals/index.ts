import type { Device } from '../../functions/core/registry';
import { binSignal } from './bin';
import type { SignalSample } from './types';
import { waterSignal } from './water';

export type { SignalSample } from './types';

/** The device's undisturbed reading at simulated time ts. Pure: the same (device, ts, seed) gives the same reading. */
export function baseSignal(device: Device, ts: number, seed: number): SignalSample {
  return device.kind === 'water' ? waterSignal(device, ts, seed) : binSignal(device, ts, seed);
}
