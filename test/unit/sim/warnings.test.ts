import { describe, expect, it } from 'vitest';
import { scenarioWarnings } from '../../../device-sim/run';
import { parseScenarioSpecs, resolveScenarios } from '../../../device-sim/scenarios';
import { exampleDevices, exampleFleet, SUMMER } from './fixtures';

const HOUR = 3_600_000;

function warningsFor(specs: string[], hours: number, samples?: number): string[] {
  const instances = resolveScenarios(
    parseScenarioSpecs(specs),
    { fleet: exampleFleet, devices: exampleDevices },
    (d) => d.intervalS * 1000,
  );
  const interval = (id: string) => exampleDevices.find((d) => d.id === id)?.intervalS ?? 0;
  return scenarioWarnings(instances, (id) => interval(id) * 1000, SUMMER, SUMMER + hours * HOUR, samples);
}

describe('scenario warnings before a run', () => {
  it('none for scenarios on their own devices, or one after the other on the same device', () => {
    expect(
      warningsFor(
        ['bin-steady-fill@bin-bazaar-01', 'bin-collection-round@village-dabudar', 'bin-fire@bin-tiznap-01'],
        8,
      ),
    ).toEqual([]);
    expect(warningsFor(['bin-fire@bin-bazaar-01+0m~1h', 'bin-tilt@bin-bazaar-01+2h'], 4)).toEqual([]);
  });

  it('name two value scenarios that change one device at the same time, and where they start to overlap', () => {
    expect(warningsFor(['bin-steady-fill@bin-bazaar-01', 'bin-collection-round'], 8)).toEqual([
      'bin-collection-round and bin-steady-fill@bin-bazaar-01 both change the values of bin-bazaar-01 from the start: bin-collection-round acts on what bin-steady-fill@bin-bazaar-01 made, so their expected outcomes may not hold; give each its own device (@id) or time (+start~duration)',
    ]);
    expect(warningsFor(['bin-fire@bin-bazaar-01+0m~2h', 'bin-tilt@bin-bazaar-01+1h'], 4)).toEqual([
      expect.stringMatching(
        /^bin-tilt@bin-bazaar-01\+1h and bin-fire@bin-bazaar-01\+0m~2h both change the values of bin-bazaar-01 from \+1h:/,
      ),
    ]);
  });

  it('leave stream scenarios (offline, duplicates) alone: they combine with value changes by design', () => {
    expect(warningsFor(['chlorine-loss@wq-town-outlet', 'offline-backfill@wq-town-outlet'], 3)).toEqual([]);
  });

  it('say when a scenario starts after the run ends, by time or by --samples', () => {
    expect(warningsFor(['bin-fire@bin-bazaar-01+3h'], 2)).toEqual([
      'bin-fire@bin-bazaar-01+3h: starts at +3h on bin-bazaar-01, after the run ends; lengthen the run or start it earlier with +offset',
    ]);
    expect(warningsFor(['bin-fire@bin-bazaar-01+1h'], 24, 3)).toHaveLength(1);
  });
});
