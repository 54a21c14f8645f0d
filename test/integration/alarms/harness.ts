import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createService, ingestDeps, readServiceConfig, type Service } from '../../../functions/composition';
import { alarmEventTopic } from '../../../functions/contract';
import type { Notification } from '../../../functions/core/alarm-types';
import type { Device } from '../../../functions/core/registry';
import type { Clock } from '../../../functions/ports/clock';
import { type IngestRecord, ingestTelemetry } from '../../../functions/use-cases/ingest-telemetry';
import { LOCAL_AWS, type LocalDynamo, startLocalDynamo } from '../../../infra/local/dynamo';

class ManualClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Device `n` of a generated fleet of one-minute plant-outlet sondes over 50 sites, for fleet-scale tests. */
export const fleetDevice = (n: number): Device => ({
  id: `wq-${String(n).padStart(4, '0')}`,
  kind: 'water',
  siteId: `plant-${n % 50}`,
  siteName: 'Plant',
  siteType: 'water_plant',
  township: 'Town',
  supplyClass: 'standard',
  disinfectant: 'free_chlorine',
  measurementPoint: 'plant_outlet',
  intervalS: 60,
  location: { lat: 37.7, lon: 75.2 },
});

export interface Harness {
  dynamo: LocalDynamo;
  /** The document client every adapter uses (count calls with a middleware). */
  doc: DynamoDBDocumentClient;
  service: Service;
  clock: ManualClock;
  sent: Notification[];
  live: { topic: string; payload: unknown }[];
  ingest(
    deviceId: string,
    kind: 'water' | 'bin',
    payloads: unknown[],
    receivedAt?: number,
  ): Promise<string[]>;
  /** One ingest batch holding one water message per entry (several devices at once). */
  ingestMany(messages: { deviceId: string; payload: unknown }[], receivedAt?: number): Promise<string[]>;
  stop(): Promise<void>;
}

let counter = 0;

/** The real service over dynalite and the real SDK, with recording notification channels and a manual clock. */
export async function startHarness(
  devices: Device[],
  start: number,
  env: NodeJS.ProcessEnv = {},
): Promise<Harness> {
  const dynamo = await startLocalDynamo({ prefix: `t${++counter}-` });
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const clock = new ManualClock(start);
  const sent: Notification[] = [];
  const live: { topic: string; payload: unknown }[] = [];
  const service = createService(
    readServiceConfig({ ...env, ...dynamo.tableEnv }),
    doc,
    {
      notifier: {
        send: async (n) => {
          sent.push(n);
          return { recipients: 1, messageIds: [`m${sent.length}`] };
        },
      },
      live: {
        alarmChanged: async (siteId, event) =>
          void live.push({ topic: alarmEventTopic(siteId), payload: event }),
      },
      subscriptionChannel: { route: async () => undefined, unroute: async () => undefined },
    },
    { clock },
  );
  await service.registry.putMany(devices);
  const deps = ingestDeps(service);
  const record = (
    deviceId: string,
    kind: 'water' | 'bin',
    p: unknown,
    i: number,
    receivedAt: number,
  ): IngestRecord => ({
    messageId: `msg-${deviceId}-${JSON.stringify(p).length}-${i}-${clock.now()}`,
    body: JSON.stringify({
      payload: Buffer.from(JSON.stringify(p)).toString('base64'),
      topic: `dt/${kind}/${deviceId}`,
      clientId: deviceId,
      receivedAt,
    }),
  });
  return {
    dynamo,
    doc,
    service,
    clock,
    sent,
    live,
    ingest: async (deviceId, kind, payloads, receivedAt) => {
      const records = payloads.map((p, i) => record(deviceId, kind, p, i, receivedAt ?? clock.now()));
      const result = await ingestTelemetry(records, deps);
      return result.failedMessageIds;
    },
    ingestMany: async (messages, receivedAt) => {
      const records = messages.map((m, i) =>
        record(m.deviceId, 'water', m.payload, i, receivedAt ?? clock.now()),
      );
      return (await ingestTelemetry(records, deps)).failedMessageIds;
    },
    stop: async () => {
      doc.destroy();
      await dynamo.stop();
    },
  };
}
