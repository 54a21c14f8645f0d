import { describe, expect, it, vi } from 'vitest';
import { StorageRejectedError } from '../../../functions/core/errors';
import { readingSortKey } from '../../../functions/core/reading-item';
import {
  type IngestDeps,
  type IngestRecord,
  ingestTelemetry,
  type StoredMessage,
} from '../../../functions/use-cases/ingest-telemetry';
import { envelopeBody } from '../../helpers/aws-events';
import {
  fixedClock,
  InMemoryDeviceRegistry,
  InMemoryQuarantineStore,
  InMemoryReadingStore,
} from '../../helpers/fakes';
import { batchPayload, binDevice, MINUTE, singlePayload, T0, waterDevice } from '../../helpers/telemetry';

function setup() {
  const readings = new InMemoryReadingStore();
  const quarantine = new InMemoryQuarantineStore();
  const registry = new InMemoryDeviceRegistry([waterDevice('wq-1'), waterDevice('wq-2'), binDevice('bin-1')]);
  const deps: IngestDeps = {
    registry,
    readings,
    quarantine,
    retentionDays: 400,
    clock: fixedClock(T0 + 5_000),
  };
  return { readings, quarantine, registry, deps };
}

function record(
  messageId: string,
  topic: string,
  payload: Uint8Array,
  clientId: string | undefined = topic.split('/').at(-1),
): IngestRecord {
  return { messageId, body: envelopeBody(topic, payload, clientId, T0 + 1_000) };
}

const good = (id: string, device = 'wq-1', seq = 1) =>
  record(id, `dt/water/${device}`, singlePayload(T0, seq));

describe('ingest telemetry use case', () => {
  it('stores the good messages of a batch and quarantines the bad one without failing anything', async () => {
    const { deps, readings, quarantine } = setup();

    const result = await ingestTelemetry(
      [good('m1', 'wq-1'), record('m2', 'dt/water/wq-1', Buffer.from('not json')), good('m3', 'wq-2')],
      deps,
    );

    expect(result.failedMessageIds).toEqual([]);
    expect(result.storedSamples).toBe(2);
    expect([...readings.items.keys()].sort()).toEqual([
      `wq-1|${readingSortKey(T0, 1)}`,
      `wq-2|${readingSortKey(T0, 1)}`,
    ]);
    expect(quarantine.entries.map((e) => [e.reason, e.deviceId, e.topic])).toEqual([
      ['not_json', 'wq-1', 'dt/water/wq-1'],
    ]);
  });

  it('stores one item per sample of a batch, with the broker receive time and the TTL', async () => {
    const { deps, readings } = setup();

    await ingestTelemetry([record('m1', 'dt/water/wq-1', batchPayload(T0, 3))], deps);

    const items = [...readings.items.values()];
    expect(items.map((i) => i.ts)).toEqual([T0, T0 + MINUTE, T0 + 2 * MINUTE]);
    expect(items[0]).toMatchObject({ rcv: T0 + 1_000, ttl: T0 / 1000 + 400 * 86_400 });
  });

  it('keeps the raw payload bytes, topic and client id of a quarantined message', async () => {
    const { deps, quarantine } = setup();
    const raw = Buffer.from([0x7b, 0xff, 0x00]);

    await ingestTelemetry([record('m1', 'dt/water/wq-1', raw)], deps);

    expect(quarantine.entries[0]).toMatchObject({
      topic: 'dt/water/wq-1',
      clientId: 'wq-1',
      receivedAt: T0 + 1_000,
      reason: 'not_json',
    });
    expect(Buffer.from(quarantine.entries[0]?.payload ?? []).equals(raw)).toBe(true);
  });

  it('quarantines a device missing from the registry as unknown_device', async () => {
    const { deps, quarantine, readings } = setup();

    await ingestTelemetry([good('m1', 'wq-ghost')], deps);

    expect(quarantine.entries.map((e) => [e.reason, e.deviceId])).toEqual([['unknown_device', 'wq-ghost']]);
    expect(readings.items.size).toBe(0);
  });

  it('quarantines a water device publishing on a bin topic as wrong_kind, naming the right topic', async () => {
    const { deps, quarantine } = setup();

    await ingestTelemetry([record('m1', 'dt/bin/wq-1', singlePayload(T0, 1))], deps);

    expect(quarantine.entries[0]?.reason).toBe('wrong_kind');
    expect(quarantine.entries[0]?.message).toContain('dt/water/wq-1');
  });

  it('quarantines a queue message that is not the rule envelope as bad_envelope', async () => {
    const { deps, quarantine } = setup();

    const result = await ingestTelemetry([{ messageId: 'm1', body: '{"hello":"world"}' }], deps);

    expect(result.failedMessageIds).toEqual([]);
    expect(quarantine.entries.map((e) => e.reason)).toEqual(['bad_envelope']);
  });

  it('treats an empty client id (publish over HTTPS) as unknown, not as a topic mismatch', async () => {
    const { deps, readings } = setup();

    await ingestTelemetry([record('m1', 'dt/water/wq-1', singlePayload(T0, 1), '')], deps);

    expect(readings.items.size).toBe(1);
  });

  it('reports for retry exactly the messages whose items stayed unwritten', async () => {
    const { deps, readings } = setup();
    readings.unwritable.add(`wq-1|${readingSortKey(T0 + MINUTE, 1)}`);

    const result = await ingestTelemetry(
      [
        record('m1', 'dt/water/wq-1', singlePayload(T0, 1)),
        record('m2', 'dt/water/wq-1', batchPayload(T0, 3)),
        record('m3', 'dt/water/wq-2', singlePayload(T0, 1)),
      ],
      deps,
    );

    expect(result.failedMessageIds).toEqual(['m2']);
    expect(result.stored.map((s) => s.messageId)).toEqual(['m1', 'm3']);
  });

  it('reports every accepted message for retry when the reading store fails, but no quarantined one', async () => {
    const { deps, readings, quarantine } = setup();
    readings.failWith = new Error('ProvisionedThroughputExceededException');

    const result = await ingestTelemetry(
      [good('m1'), record('m2', 'dt/water/wq-1', Buffer.from('x')), good('m3', 'wq-2')],
      deps,
    );

    expect(result.failedMessageIds).toEqual(['m1', 'm3']);
    expect(quarantine.entries).toHaveLength(1);
  });

  it('retries only the bad messages when the quarantine write fails', async () => {
    const { deps, quarantine, readings } = setup();
    quarantine.failWith = new Error('throttled');

    const result = await ingestTelemetry(
      [good('m1'), record('m2', 'dt/water/wq-1', Buffer.from('x')), good('m3', 'wq-ghost')],
      deps,
    );

    expect(result.failedMessageIds).toEqual(['m2', 'm3']);
    expect(readings.items.size).toBe(1);
  });

  it('derives the same quarantine id for a redelivered message, so a retry adds no second entry', async () => {
    const { deps, quarantine } = setup();
    const bad = record('m1', 'dt/water/wq-1', Buffer.from('x'));

    await ingestTelemetry([bad], deps);
    await ingestTelemetry([{ ...bad, messageId: 'm1-redelivered' }], deps);

    expect(quarantine.entries).toHaveLength(1);
  });

  it('stores a redelivered message under the same keys', async () => {
    const { deps, readings } = setup();

    await ingestTelemetry([good('m1')], deps);
    await ingestTelemetry([good('m1-again')], deps);

    expect(readings.items.size).toBe(1);
  });

  it('hands stored messages to the after-store stage and retries the ids it returns', async () => {
    const { deps } = setup();
    const afterStore = vi.fn(async (_stored: StoredMessage[]) => new Set(['m3']));

    const result = await ingestTelemetry(
      [good('m1'), record('m2', 'dt/water/wq-1', Buffer.from('x')), good('m3', 'wq-2')],
      {
        ...deps,
        afterStore,
      },
    );

    expect(afterStore).toHaveBeenCalledTimes(1);
    expect(afterStore.mock.calls[0]?.[0]?.map((s) => s.messageId)).toEqual(['m1', 'm3']);
    expect(result.failedMessageIds).toEqual(['m3']);
  });

  describe('one message never costs another at write time', () => {
    const validation = () =>
      new StorageRejectedError('ValidationException: Item size has exceeded the maximum allowed size');
    const throttled = () =>
      Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
        name: 'ProvisionedThroughputExceededException',
      });

    it('stores the good messages in the same invocation and quarantines the one storage refuses', async () => {
      const { deps, readings, quarantine } = setup();
      readings.refuse = (i) => (i.deviceId === 'wq-2' ? validation() : undefined);

      const result = await ingestTelemetry([good('m1'), good('m2', 'wq-2'), good('m3', 'wq-1', 2)], deps);

      expect(result.failedMessageIds).toEqual([]);
      expect([...readings.items.keys()].sort()).toEqual([
        `wq-1|${readingSortKey(T0, 1)}`,
        `wq-1|${readingSortKey(T0, 2)}`,
      ]);
      expect(quarantine.entries.map((e) => [e.reason, e.deviceId, e.topic])).toEqual([
        ['storage_rejected', 'wq-2', 'dt/water/wq-2'],
      ]);
      expect(quarantine.entries[0]?.message).toContain('Item size has exceeded');
      expect(Buffer.from(quarantine.entries[0]?.payload ?? []).toString()).toBe(
        singlePayload(T0, 1).toString(),
      );
      expect(result.outcomes.map((o) => [o.messageId, o.status])).toEqual([
        ['m1', 'stored'],
        ['m2', 'quarantined'],
        ['m3', 'stored'],
      ]);
    });

    it('writes each message alone after the shared write fails: one shared call, then one per message', async () => {
      const { deps, readings } = setup();
      readings.refuse = (i) => (i.deviceId === 'wq-2' ? validation() : undefined);

      await ingestTelemetry([good('m1'), good('m2', 'wq-2'), good('m3', 'wq-1', 2)], deps);

      expect(readings.putCalls).toBe(4);
    });

    it('reports for retry only the message whose own write fails for a passing reason', async () => {
      const { deps, readings, quarantine } = setup();
      readings.refuse = (i) => (i.deviceId === 'wq-2' ? throttled() : undefined);

      const result = await ingestTelemetry([good('m1'), good('m2', 'wq-2')], deps);

      expect(result.failedMessageIds).toEqual(['m2']);
      expect(readings.items.size).toBe(1);
      expect(quarantine.entries).toEqual([]);
      expect(result.outcomes[1]).toMatchObject({
        status: 'retry',
        deviceId: 'wq-2',
        attempt: 1,
        lastAttempt: false,
      });
      expect(result.outcomes[1]?.status === 'retry' && result.outcomes[1].error).toContain(
        'ProvisionedThroughputExceededException',
      );
    });

    it('records a message failing on its last delivery as dead_lettered, with the error, and still reports it', async () => {
      const { deps, readings, quarantine } = setup();
      readings.refuse = (i) => (i.deviceId === 'wq-2' ? throttled() : undefined);

      const result = await ingestTelemetry(
        [
          { ...good('m1'), attempt: 5 },
          { ...good('m2', 'wq-2'), attempt: 5 },
        ],
        { ...deps, maxReceiveCount: 5 },
      );

      expect(result.failedMessageIds).toEqual(['m2']);
      expect(readings.items.size).toBe(1);
      expect(quarantine.entries.map((e) => [e.reason, e.deviceId])).toEqual([['dead_lettered', 'wq-2']]);
      expect(quarantine.entries[0]?.message).toContain('delivery 5 of 5');
      expect(quarantine.entries[0]?.message).toContain('Rate of requests exceeds');
      expect(result.outcomes[1]).toMatchObject({ status: 'retry', lastAttempt: true });
    });

    it('adds no dead_lettered entry before the last delivery', async () => {
      const { deps, readings, quarantine } = setup();
      readings.failWith = throttled();

      const result = await ingestTelemetry([{ ...good('m1'), attempt: 4 }], { ...deps, maxReceiveCount: 5 });

      expect(result.failedMessageIds).toEqual(['m1']);
      expect(quarantine.entries).toEqual([]);
    });

    it('retries a message storage refused when its quarantine entry cannot be written, losing nothing', async () => {
      const { deps, readings, quarantine } = setup();
      readings.refuse = (i) => (i.deviceId === 'wq-2' ? validation() : undefined);
      const put = quarantine.put.bind(quarantine);
      quarantine.put = async (entries) => {
        if (entries.some((e) => e.reason === 'storage_rejected')) throw new Error('throttled');
        return put(entries);
      };

      const result = await ingestTelemetry([good('m1'), good('m2', 'wq-2')], deps);

      expect(result.failedMessageIds).toEqual(['m2']);
      expect(readings.items.size).toBe(1);
    });

    it('retries only the message whose device lookup failed', async () => {
      const { deps, registry, readings } = setup();
      const get = registry.get.bind(registry);
      registry.get = async (id) => {
        if (id === 'wq-2') throw new Error('socket hang up');
        return get(id);
      };

      const result = await ingestTelemetry([good('m1'), good('m2', 'wq-2')], deps);

      expect(result.failedMessageIds).toEqual(['m2']);
      expect(readings.items.size).toBe(1);
    });
  });
});
