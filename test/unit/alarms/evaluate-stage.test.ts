import { describe, expect, it } from 'vitest';
import type { AlarmStore } from '../../../functions/ports/alarm-store';
import { ALARM_SETTING_DEFAULTS, AlarmEngine } from '../../../functions/use-cases/alarm-engine';
import { evaluateAlarmsStage, heartbeatPeriodMs } from '../../../functions/use-cases/evaluate-alarms';
import { type IngestRecord, ingestTelemetry } from '../../../functions/use-cases/ingest-telemetry';
import { envelopeBody } from '../../helpers/aws-events';
import {
  fixedClock,
  InMemoryDeviceRegistry,
  InMemoryQuarantineStore,
  InMemoryReadingStore,
} from '../../helpers/fakes';
import { MINUTE, singlePayload, T0, waterDevice } from '../../helpers/telemetry';

/** An alarm store whose alarm reads fail, recording what the stage writes instead. */
function failingAlarmStore(options: { markerFails?: boolean } = {}) {
  const markers: { deviceId: string; range: { fromTs: number; toTs: number }; error: string }[] = [];
  const heartbeats: [string, number][] = [];
  const store: Partial<AlarmStore> = {
    openIndex: async () => {
      throw new Error('ThrottlingException: alarms table');
    },
    addPendingEvaluation: async (deviceId, range, _at, error) => {
      if (options.markerFails) throw new Error('alarms table unavailable');
      markers.push({ deviceId, range, error });
    },
    recordHeartbeats: async (beats) => {
      for (const b of beats) heartbeats.push([b.deviceId, b.lastSeenTs]);
      return [];
    },
  };
  return { store: store as AlarmStore, markers, heartbeats };
}

function setup(options: { markerFails?: boolean } = {}) {
  const readings = new InMemoryReadingStore();
  const device = waterDevice('wq-1');
  const clock = fixedClock(T0 + 5 * MINUTE);
  const alarms = failingAlarmStore(options);
  const engine = new AlarmEngine({
    alarms: alarms.store,
    readings,
    notifier: { send: async () => ({ recipients: 0, messageIds: [] }) },
    live: { alarmChanged: async () => undefined },
    clock,
    settings: ALARM_SETTING_DEFAULTS,
  });
  const deps = {
    registry: new InMemoryDeviceRegistry([device]),
    readings,
    quarantine: new InMemoryQuarantineStore(),
    retentionDays: 400,
    clock,
    afterStore: evaluateAlarmsStage({ engine, alarms: alarms.store, clock }),
  };
  const records: IngestRecord[] = [0, 1, 2].map((i) => ({
    messageId: `m${i}`,
    body: envelopeBody(
      'dt/water/wq-1',
      singlePayload(T0 + i * MINUTE, i, { m: { free_chlorine_mg_l: 0.1 } }),
      'wq-1',
      T0 + i * MINUTE + 1_000,
    ),
  }));
  return { readings, alarms, deps, records, device };
}

describe('alarm evaluation after storage', () => {
  it('keeps the samples and acknowledges the messages when evaluation fails, recording the range to retry', async () => {
    const { readings, alarms, deps, records } = setup();
    const result = await ingestTelemetry(records, deps);
    expect(result.failedMessageIds).toEqual([]);
    expect(result.storedSamples).toBe(3);
    expect(readings.items.size).toBe(3);
    expect(alarms.markers).toEqual([
      {
        deviceId: 'wq-1',
        range: { fromTs: T0, toTs: T0 + 2 * MINUTE },
        error: expect.stringMatching(/ThrottlingException/),
      },
    ]);
  });

  it('falls back to the queue retry only when the pending marker cannot be written either', async () => {
    const { readings, deps, records } = setup({ markerFails: true });
    const result = await ingestTelemetry(records, deps);
    expect(result.failedMessageIds).toEqual(['m0', 'm1', 'm2']);
    expect(readings.items.size).toBe(3);
  });

  it('writes a heartbeat once per offline threshold per device, not per sample', async () => {
    const { alarms, deps, records, device } = setup();
    expect(heartbeatPeriodMs(device)).toBe(3 * device.intervalS * 1000);
    const more = [3, 4, 5, 6].map((i) => ({
      messageId: `m${i}`,
      body: envelopeBody('dt/water/wq-1', singlePayload(T0 + i * MINUTE, i), 'wq-1', T0 + i * MINUTE + 1_000),
    }));
    for (const r of [...records, ...more]) await ingestTelemetry([r], deps);
    // Seven samples a minute apart, a 3-minute threshold: the first, the fourth and the seventh.
    expect(alarms.heartbeats).toEqual([
      ['wq-1', T0],
      ['wq-1', T0 + 3 * MINUTE],
      ['wq-1', T0 + 6 * MINUTE],
    ]);
  });
});
