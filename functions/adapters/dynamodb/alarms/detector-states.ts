import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DetectorState } from '../../../core/event-detector';
import type { DetectorStates, StoredDetectorState } from '../../../ports/detector-states';
import { type AlarmTable, conditional } from './alarm-table';
import { decodeDetectorState, encodeDetectorState } from './detector-state-codec';
import { itemKey } from './item-keys';

/**
 * One item per device (`det#<deviceId>`): the detector's state as JSON (opaque here but for its packed ring of hourly
 * maxima, `detector-state-codec.ts`; versioned inside) and a revision
 * counter that every write checks and increments, so two concurrent invocations cannot overwrite each other's update.
 * No `status`: the item stays out of the `byStatus` index.
 */
export class DynamoDetectorStates implements DetectorStates {
  constructor(private readonly table: AlarmTable) {}

  async detectorStates(deviceIds: readonly string[]): Promise<Map<string, StoredDetectorState>> {
    const out = new Map<string, StoredDetectorState>();
    if (deviceIds.length === 0) return out;
    const keys = deviceIds.map((id) => itemKey.detectorState(id));
    // One device (the sweep re-evaluating, a re-read after a lost write) is a plain consistent read. A batch's read
    // may be eventually consistent (half the read units): a stale state only makes the conditional write lose, and
    // the loser reads again consistently.
    const items =
      keys.length === 1
        ? new Map([[keys[0] as string, await this.getOne(keys[0] as string)]])
        : await this.table.batchGetTogether(keys);
    for (const id of deviceIds) {
      const item = items.get(itemKey.detectorState(id));
      if (!item || typeof item.state !== 'string') continue;
      out.set(id, { state: decodeDetectorState(item.state), rev: Number(item.rev) });
    }
    return out;
  }

  private async getOne(key: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: { alarmId: key }, ConsistentRead: true }),
    );
    return out.Item;
  }

  async saveDetectorState(deviceId: string, state: DetectorState, rev: number | undefined): Promise<boolean> {
    const written = await conditional(() =>
      this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            alarmId: itemKey.detectorState(deviceId),
            deviceId,
            rev: (rev ?? 0) + 1,
            state: encodeDetectorState(state),
          },
          ConditionExpression: rev === undefined ? 'attribute_not_exists(alarmId)' : '#rev = :rev',
          ...(rev === undefined
            ? {}
            : { ExpressionAttributeNames: { '#rev': 'rev' }, ExpressionAttributeValues: { ':rev': rev } }),
        }),
      ),
    );
    return written !== undefined;
  }
}
