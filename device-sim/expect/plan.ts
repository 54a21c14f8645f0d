import type { Device } from '../../functions/core/registry';
import type { OutcomeSpec, ScenarioInstance } from '../scenarios/types';
import { alarmCheck, smsCheck } from './alarm-checks';
import { collectionsCheck, forecastCheck } from './bin-checks';
import type { PlanContext, PlannedCheck } from './check';
import { backfillCheck, quarantineChecks, readingsCheck } from './delivery-checks';

/** The checks one expected outcome makes for an instance: per device, or one for the whole instance. */
function checksFor(
  instance: ScenarioInstance,
  spec: OutcomeSpec,
  devices: readonly Device[],
  ctx: PlanContext,
): PlannedCheck[] {
  switch (spec.check) {
    case 'readings':
      return [readingsCheck(instance, devices, ctx)];
    case 'backfill-order':
      return devices.map((d) => backfillCheck(instance, d, ctx));
    case 'quarantine':
      return quarantineChecks(instance, ctx);
    case 'alarm':
      return devices
        .filter((d) => !(spec.treatedOnly && d.kind === 'water' && d.measurementPoint === 'source'))
        .map((d) => alarmCheck(instance, spec, d, ctx));
    case 'sms': {
      const [first, ...rest] = devices;
      if (!first) return [];
      return spec.per === 'scenario'
        ? [smsCheck(instance, spec, [first, ...rest], ctx)]
        : devices.map((d) => smsCheck(instance, spec, [d], ctx));
    }
    case 'forecast':
      return devices.map((d) => forecastCheck(instance, spec, d, ctx));
    case 'collections': {
      // One report window for the scenario (its start to its newest sample), so bins of a township share a query.
      const newest = Math.max(0, ...devices.map((d) => ctx.record.newestTs(d.id) ?? 0));
      return devices.map((d) => collectionsCheck(instance, spec, d, ctx, newest + 1));
    }
  }
}

/** Turns every instance's outcomes into concrete checks against this run's devices and deliveries. */
export function planChecks(instances: readonly ScenarioInstance[], ctx: PlanContext): PlannedCheck[] {
  return instances.flatMap((instance) => {
    const devices = instance.affected.map((a) => a.device);
    return instance.def.outcomes.flatMap((spec) => checksFor(instance, spec, devices, ctx));
  });
}
