import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeviceWindow, DeviceWindows, WindowKind } from '../../ports/device-windows';
import { WINDOW_MAX_MS } from '../../ports/device-windows';

/** Every window of every device in one partition: they are few (a handful per device and month), read by time. */
const WINDOWS_PK = 'win';
const startKey = (ts: number) => String(ts).padStart(13, '0');
const skOf = (w: Pick<DeviceWindow, 'from' | 'deviceId' | 'kind'>) =>
  `${startKey(w.from)}#${w.deviceId}#${w.kind}`;

function toWindow(item: Record<string, unknown>): DeviceWindow {
  const w: DeviceWindow = {
    deviceId: item.deviceId as string,
    kind: item.kind as WindowKind,
    from: item.from as number,
    to: item.to as number,
    recordedAt: item.recordedAt as number,
  };
  if (typeof item.reason === 'string') w.reason = item.reason;
  if (typeof item.by === 'string') w.by = item.by;
  return w;
}

/**
 * Windows in the rollups table: partition `win`, sort `<from, 13 digits>#<deviceId>#<kind>`. A window lasts at most
 * {@link WINDOW_MAX_MS}, so those overlapping a range start within it or at most that long before: one Query with a
 * bounded key range answers a whole county's report (not one per device), however long the history.
 */
export class DynamoDeviceWindowStore implements DeviceWindows {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(w: DeviceWindow): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: WINDOWS_PK, sk: skOf(w), ...w },
      }),
    );
  }

  async endMaintenance(deviceId: string, at: number): Promise<number> {
    const running = (await this.list(deviceId, at, at + 1)).filter(
      (w) => w.kind === 'maintenance' && w.from <= at && at < w.to,
    );
    for (const w of running) {
      await this.doc
        .send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: WINDOWS_PK, sk: skOf(w) },
            // Only shortens: a concurrent renewal that moved the end earlier still wins.
            UpdateExpression: 'SET #to = :at',
            ConditionExpression: 'attribute_exists(pk) AND #to > :at',
            ExpressionAttributeNames: { '#to': 'to' },
            ExpressionAttributeValues: { ':at': Math.max(at, w.from) },
          }),
        )
        .catch((err: unknown) => {
          if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
        });
    }
    return running.length;
  }

  async list(deviceId: string, from: number, to: number): Promise<DeviceWindow[]> {
    return (await this.listAll(from, to)).filter((w) => w.deviceId === deviceId);
  }

  async listAll(from: number, to: number): Promise<DeviceWindow[]> {
    const windows: DeviceWindow[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
          ExpressionAttributeValues: {
            ':pk': WINDOWS_PK,
            ':lo': startKey(Math.max(0, from - WINDOW_MAX_MS)),
            // Every sort key starting before `to`: `<to>` itself sorts before `<to>#…`.
            ':hi': startKey(to),
          },
          ExclusiveStartKey: start,
        }),
      );
      windows.push(...(out.Items ?? []).map(toWindow));
      start = out.LastEvaluatedKey;
    } while (start);
    return windows
      .filter((w) => w.to > from && w.from < to)
      .sort((a, b) => a.from - b.from || a.deviceId.localeCompare(b.deviceId));
  }
}
