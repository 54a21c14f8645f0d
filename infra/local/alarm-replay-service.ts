import { CountingNotifier } from '../../functions/adapters/counting-notifier';
import { documentClient } from '../../functions/adapters/dynamodb/client';
import { InMemoryAlarmStore } from '../../functions/adapters/memory/alarm-store';
import { InMemoryReadingStore } from '../../functions/adapters/memory/reading-store';
import { outboxSubscriptionChannel } from '../../functions/adapters/outbox-notifier';
import {
  createService,
  readServiceConfig,
  type Service,
  subscriptionChangeDeps,
  sweepDeps,
} from '../../functions/composition';
import type { Alarm } from '../../functions/core/alarm';
import { type Device, type Fleet, fleetDevices } from '../../functions/core/registry';
import { fleetFileActor } from '../../functions/core/subscription-audit';
import { MINUTE_MS } from '../../functions/shared/time';
import {
  type AlarmReplayOptions,
  AlarmStateTracker,
  type ReplaySample,
  replayAlarms,
  replayClock,
} from '../../functions/use-cases/alarm-replay';
import { syncFleet } from '../../functions/use-cases/sync-fleet';
import { SCHEDULES } from '../wiring';
import { LOCAL_AWS, startLocalDynamo } from './dynamo';

/** The sweep's period as deployed (EventBridge in the cloud, a timer locally). */
const SWEEP_EVERY_MS = (SCHEDULES.find((s) => s.function === 'alarmSweep')?.everyMinutes ?? 1) * MINUTE_MS;

/**
 * Where the replay keeps the alarms and readings tables: `memory` (default) in the in-memory adapters, `dynalite` in
 * the DynamoDB adapters over HTTP (over ten times slower; the two give the same counts, which a test checks).
 */
export type ReplayBacking = 'memory' | 'dynalite';

/**
 * Replays one device of `fleet` (with every subscription of the fleet, so each phone gets what its subscriptions
 * route to it) through the service's alarm engine and sweep, on an in-memory dynalite started here and stopped after,
 * and returns what the counting notifier saw and the device's alarms (open and closed). `env` overrides the service's settings (REMINDER_MAX, ...).
 */
export async function replayFleetDevice(
  fleet: Fleet,
  deviceId: string,
  samples: readonly ReplaySample[],
  options: Omit<AlarmReplayOptions, 'sweepEveryMs'> & {
    env?: Record<string, string>;
    backing?: ReplayBacking;
  },
): Promise<{ notifier: CountingNotifier; device: Device; sweeps: number; alarms: Alarm[] }> {
  const one: Fleet = { ...fleet, devices: fleet.devices.filter((d) => d.id === deviceId) };
  const device = fleetDevices(one)[0];
  if (!device) throw new Error(`device ${deviceId} is not in the fleet`);
  const dynamo = await startLocalDynamo({ prefix: 'replay-' });
  const doc = documentClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS });
  try {
    const clock = replayClock((samples[0]?.ts ?? 0) - MINUTE_MS);
    const states = new AlarmStateTracker(clock);
    const config = readServiceConfig({ ...options.env, ...dynamo.tableEnv });
    const subscriptions: { store?: Service['subscriptions'] } = {};
    const notifier = new CountingNotifier(
      { list: (filter) => (subscriptions.store as Service['subscriptions']).list(filter) },
      clock,
    );
    const service = createService(
      config,
      doc,
      {
        notifier,
        live: states,
        subscriptionChannel: outboxSubscriptionChannel,
      },
      {
        clock,
        ...(options.backing === 'dynalite'
          ? {}
          : { stores: { alarms: new InMemoryAlarmStore(), readings: new InMemoryReadingStore() } }),
      },
    );
    subscriptions.store = service.subscriptions;
    await syncFleet(one, {
      ...subscriptionChangeDeps(service),
      registry: service.registry,
      actor: fleetFileActor('eval'),
    });
    const { sweeps } = await replayAlarms(
      device,
      samples,
      {
        engine: service.engine,
        states,
        readings: service.readings,
        alarms: service.alarms,
        sweep: sweepDeps(service),
        clock,
      },
      { ...options, sweepEveryMs: SWEEP_EVERY_MS },
    );
    const alarms: Alarm[] = [];
    for (const status of ['open', 'closed'] as const) {
      let cursor: string | undefined;
      do {
        const page = await service.alarms.list({
          status,
          deviceId,
          limit: 100,
          ...(cursor ? { cursor } : {}),
        });
        alarms.push(...page.items);
        cursor = page.cursor;
      } while (cursor);
    }
    return { notifier, device, sweeps, alarms };
  } finally {
    doc.destroy();
    await dynamo.stop();
  }
}
