import { describe, expect, it } from 'vitest';
import type { AlarmStore } from '../../../functions/ports/alarm-store';
import { ALARM_SETTING_DEFAULTS, AlarmEngine } from '../../../functions/use-cases/alarm-engine';
import { evaluateAlarmsStage } from '../../../functions/use-cases/evaluate-alarms';
import { ingestTelemetry } from '../../../functions/use-cases/ingest-telemetry';
import { envelopeBody } from '../../helpers/aws-events';
import {
  fixedClock,
  InMemoryDeviceRegistry,
  InMemoryQuarantineStore,
  InMemoryReadingStore,
} from '../../helpers/fakes';
import { MINUTE, singlePayload, T0, waterDevice } from '../../helpers/telemetry';

/** A store with no open alarms that records how the stage read indexes and wrote heartbeats. */
function store(options: { batchedReadFails?: boolean }) {
  const calls = { openIndex: [] as string[], openIndexes: [] as string[][], heartbeats: [] as string[][] };
  const markers: string[] = [];
  const alarms: Partial<AlarmStore> = {
    openIndex: async (deviceId) => {
      calls.openIndex.push(deviceId);
      return {};
    },
    openIndexes: async (ids) => {
      calls.openIndexes.push([...ids]);
      if (options.batchedReadFails) throw new Error('ThrottlingException: alarms table');
      return new Map(ids.map((id) => [id, {}]));
    },
    recordHeartbeats: async (beats) => {
      calls.heartbeats.push(beats.map((b) => b.deviceId));
      return [];
    },
    addPendingEvaluation: async (deviceId) => void markers.push(deviceId),
  };
  return { alarms: alarms as AlarmStore, calls, markers };
}

async function ingestThree(options: { batchedReadFails?: boolean }) {
  const devices = ['wq-1', 'wq-2', 'wq-3'].map((id) => waterDevice(id));
  const clock = fixedClock(T0 + 5 * MINUTE);
  const readings = new InMemoryReadingStore();
  const { alarms, calls, markers } = store(options);
  const engine = new AlarmEngine({
    alarms,
    readings,
    notifier: { send: async () => ({ recipients: 0, messageIds: [] }) },
    live: { alarmChanged: async () => undefined },
    clock,
    settings: ALARM_SETTING_DEFAULTS,
  });
  const records = devices.map((d, i) => ({
    messageId: `m${i}`,
    body: envelopeBody(`dt/water/${d.id}`, singlePayload(T0, 0), d.id, T0 + 1_000),
  }));
  const result = await ingestTelemetry(records, {
    registry: new InMemoryDeviceRegistry(devices),
    readings,
    quarantine: new InMemoryQuarantineStore(),
    retentionDays: 400,
    clock,
    afterStore: evaluateAlarmsStage({ engine, alarms, clock }),
  });
  return { result, calls, markers };
}

describe('alarm evaluation of a batch of several devices', () => {
  it('reads every index in one batched read and writes the due heartbeats together', async () => {
    const { result, calls, markers } = await ingestThree({});
    expect(result.failedMessageIds).toEqual([]);
    expect(calls.openIndexes).toEqual([['wq-1', 'wq-2', 'wq-3']]);
    expect(calls.openIndex).toEqual([]);
    expect(calls.heartbeats).toEqual([['wq-1', 'wq-2', 'wq-3']]);
    expect(markers).toEqual([]);
  });

  it('falls back to one index read per device when the batched read fails, and still evaluates them all', async () => {
    const { result, calls, markers } = await ingestThree({ batchedReadFails: true });
    expect(result.failedMessageIds).toEqual([]);
    expect(calls.openIndex.sort()).toEqual(['wq-1', 'wq-2', 'wq-3']);
    expect(markers).toEqual([]);
  });
});
