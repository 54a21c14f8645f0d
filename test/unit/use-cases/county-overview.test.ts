import { describe, expect, it } from 'vitest';
import type { Alarm } from '../../../functions/core/alarm';
import {
  deviceState,
  metricStatus,
  supplyChains,
  worstState,
} from '../../../functions/use-cases/county-overview';
import { MINUTE, waterDevice } from '../../helpers/telemetry';

const NOW = Date.UTC(2026, 10, 28, 2, 0, 0);
const site = (siteId: string, type: string, upstream: string[] = []) => ({ siteId, type, upstream });
const alarm = (
  severity: Alarm['severity'],
  condition = 'limit:ph:max',
  state: Alarm['state'] = 'active_unack',
) => ({ severity, condition, state }) as Alarm;

describe('supplyChains', () => {
  it('orders each chain by flow, whatever order the registry lists the sites in', () => {
    const chains = supplyChains([
      site('tap-a', 'school', ['net-a']),
      site('net-a', 'water_network', ['plant-a']),
      site('plant-a', 'water_plant', ['src-a', 'src-b']),
      site('src-b', 'water_source'),
      site('src-a', 'water_source'),
      site('market', 'market'),
    ]);
    expect(chains).toEqual([['src-a', 'src-b', 'plant-a', 'net-a', 'tap-a']]);
  });

  it('keeps separate supplies apart, ignores links to unknown sites and survives a cycle', () => {
    const chains = supplyChains([
      site('plant-x', 'water_plant', ['gone']),
      site('tap-x', 'village', ['plant-x']),
      site('plant-y', 'water_plant', ['tap-y']),
      site('tap-y', 'village', ['plant-y']),
      site('lonely', 'village', ['gone']),
    ]);
    expect(chains).toEqual([
      ['plant-x', 'tap-x'],
      ['plant-y', 'tap-y'],
    ]);
  });
});

describe('deviceState and worstState', () => {
  const device = waterDevice('wq-1', { intervalS: 60 });

  it('ranks active alarms first, then the offline rule, then maintenance; no data when never heard from', () => {
    const fresh = NOW - MINUTE;
    expect(deviceState(device, fresh, [alarm('warning'), alarm('critical')], NOW)).toBe('unsafe');
    expect(deviceState(device, fresh, [alarm('sensor_fault'), alarm('warning')], NOW)).toBe('warning');
    expect(deviceState(device, fresh, [alarm('sensor_fault', 'stuck:ph')], NOW)).toBe('sensor_fault');
    // A cleared alarm waiting for its acknowledgement no longer colours the device.
    expect(deviceState(device, fresh, [alarm('critical', 'limit:ph:max', 'cleared_unack')], NOW)).toBe(
      'safe',
    );
    // Offline after 3 intervals without a sample (the sweep's rule), or while its offline alarm is open.
    expect(deviceState(device, NOW - 3 * MINUTE, [], NOW)).toBe('safe');
    expect(deviceState(device, NOW - 3 * MINUTE - 1, [], NOW)).toBe('offline');
    expect(deviceState(device, fresh, [alarm('device', 'offline')], NOW)).toBe('offline');
    const serviced = { ...device, maintenance: true, maintenanceUntil: NOW + MINUTE };
    expect(deviceState(serviced, NOW - 60 * MINUTE, [], NOW)).toBe('maintenance');
    expect(deviceState(serviced, undefined, [], NOW)).toBe('maintenance');
    // An ended maintenance is over without a write.
    expect(deviceState({ ...serviced, maintenanceUntil: NOW }, fresh, [], NOW)).toBe('safe');
    expect(deviceState(device, undefined, [], NOW)).toBe('no_data');
  });

  it('gives a site the worst state of its devices; no data only when none reported', () => {
    expect(worstState(['safe', 'offline', 'maintenance'])).toBe('offline');
    expect(worstState(['no_data', 'safe'])).toBe('safe');
    expect(worstState(['no_data'])).toBe('no_data');
    expect(worstState([])).toBe('no_data');
  });
});

describe('metricStatus', () => {
  const chlorine = { limitMin: 0.3, limitMax: 2, warnMin: 0.375, warnMax: 1.6 };

  it('judges a value against its limits and warning levels, at the edges as the alarms do', () => {
    expect(metricStatus(0.3, chlorine, 'free_chlorine_mg_l', false)).toBe('warning');
    expect(metricStatus(0.29, chlorine, 'free_chlorine_mg_l', false)).toBe('breach');
    expect(metricStatus(0.375, chlorine, 'free_chlorine_mg_l', false)).toBe('ok');
    expect(metricStatus(1.7, chlorine, 'free_chlorine_mg_l', false)).toBe('warning');
    expect(metricStatus(2.01, chlorine, 'free_chlorine_mg_l', false)).toBe('breach');
    expect(metricStatus(undefined, chlorine, 'free_chlorine_mg_l', false)).toBe('unknown');
  });

  it('flags a value the quality gate rejects or whose channel has an open sensor fault', () => {
    expect(metricStatus(25, chlorine, 'free_chlorine_mg_l', false)).toBe('flagged');
    expect(metricStatus(0.6, chlorine, 'free_chlorine_mg_l', true)).toBe('flagged');
    expect(metricStatus(412, undefined, 'conductivity_us_cm', false)).toBe('ok');
  });
});
