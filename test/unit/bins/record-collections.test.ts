import '../../helpers/quiet-logs';
import { describe, expect, it } from 'vitest';
import { toReadingItem } from '../../../functions/core/reading-item';
import type { Sample } from '../../../functions/core/telemetry';
import type { StoredMessage } from '../../../functions/use-cases/ingest-telemetry';
import { recordCollectionsStage } from '../../../functions/use-cases/record-collections';
import { InMemoryReadingStore } from '../../helpers/fakes';
import { binDevice, T0, waterDevice } from '../../helpers/telemetry';
import { InMemoryBinEventStore } from './fakes';

const Q = 15 * 60_000;
const bin = binDevice('bin-1');
const sample = (i: number, fill: number): Sample => ({ ts: T0 + i * Q, seq: i, m: { fill_pct: fill } });

/** Stores the samples as ingest would, and returns the stored message the stage receives. */
async function stored(
  readings: InMemoryReadingStore,
  messageId: string,
  samples: Sample[],
): Promise<StoredMessage> {
  await readings.putItems(samples.map((s) => toReadingItem(bin.id, s, s.ts + 1000, 400)));
  return { messageId, device: bin, message: { deviceId: bin.id, kind: 'bin', samples }, receivedAt: T0 };
}

describe('collection stage', () => {
  it('finds the drop against the reading stored before the batch', async () => {
    const readings = new InMemoryReadingStore();
    const binEvents = new InMemoryBinEventStore();
    await stored(readings, 'm0', [sample(0, 70), sample(1, 82)]);
    const batch = await stored(readings, 'm1', [sample(2, 6)]);

    const failed = await recordCollectionsStage({ readings, binEvents })([batch]);

    expect(failed).toEqual(new Set());
    expect([...binEvents.items.values()]).toEqual([
      expect.objectContaining({ binId: 'bin-1', ts: T0 + 2 * Q, fromPct: 82, toPct: 6, fromTs: T0 + Q }),
    ]);
  });

  it("has a bin's messages retried when its events cannot be written", async () => {
    const readings = new InMemoryReadingStore();
    const binEvents = new InMemoryBinEventStore();
    binEvents.unwritable = true;
    const batch = await stored(readings, 'm1', [sample(0, 90), sample(1, 3)]);
    const water: StoredMessage = {
      messageId: 'w1',
      device: waterDevice('wq-1'),
      message: { deviceId: 'wq-1', kind: 'water', samples: [] },
      receivedAt: T0,
    };

    const failed = await recordCollectionsStage({ readings, binEvents })([batch, water]);

    expect(failed).toEqual(new Set(['m1']));
  });
});
