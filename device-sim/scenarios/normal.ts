import { anyDevice } from './common';
import type { ScenarioDef } from './types';

/** The baseline every device runs when no other scenario touches it. */
export const normal: ScenarioDef = {
  name: 'normal',
  description: 'Undisturbed signals at every device: daily cycles, weather, collection rounds.',
  appliesTo: anyDevice,
  defaultTarget: 'all',
  defaultStartSamples: 0,
  expected: 'every sample the broker acknowledged is readable through the API, exactly once',
  outcomes: [{ check: 'readings' }],
};
