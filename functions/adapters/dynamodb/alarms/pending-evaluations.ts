import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PendingEvaluation, PendingEvaluations } from '../../../ports/pending-evaluations';
import { type AlarmTable, conditional } from './alarm-table';
import { itemKey, STATUS } from './item-keys';

const MAX_ERROR_CHARS = 300;

/**
 * One marker per device (`eval#<deviceId>`) with the sample range still to evaluate, listed under its own `byStatus`
 * value with the first failure as sort key (`raisedAt`).
 */
export class DynamoPendingEvaluations implements PendingEvaluations {
  constructor(private readonly table: AlarmTable) {}

  async addPendingEvaluation(
    deviceId: string,
    range: { fromTs: number; toTs: number },
    at: number,
    error: string,
  ): Promise<void> {
    const key = itemKey.pendingEvaluation(deviceId);
    const out = await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: { alarmId: key },
        UpdateExpression:
          'SET #status = :pe, #first = if_not_exists(#first, :at), #dev = :dev, #err = :err, ' +
          '#from = if_not_exists(#from, :from), #to = if_not_exists(#to, :to) ADD #failures :one',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#first': 'raisedAt',
          '#dev': 'deviceId',
          '#err': 'lastError',
          '#from': 'fromTs',
          '#to': 'toTs',
          '#failures': 'failures',
        },
        ExpressionAttributeValues: {
          ':pe': STATUS.pendingEvaluation,
          ':at': at,
          ':dev': deviceId,
          ':err': error.slice(0, MAX_ERROR_CHARS),
          ':from': range.fromTs,
          ':to': range.toTs,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    await this.widen(
      key,
      { fromTs: Number(out.Attributes?.fromTs), toTs: Number(out.Attributes?.toTs) },
      range,
    );
  }

  /** Widens an existing marker to cover `range`; each bound only ever moves outwards, so racing writers agree. */
  private async widen(
    key: string,
    stored: { fromTs: number; toTs: number },
    range: { fromTs: number; toTs: number },
  ): Promise<void> {
    for (const [attr, value, op] of [
      ['fromTs', range.fromTs, '>'],
      ['toTs', range.toTs, '<'],
    ] as const) {
      if (op === '>' ? stored[attr] <= value : stored[attr] >= value) continue;
      await this.table.updateIf(key, {
        UpdateExpression: 'SET #a = :v',
        ConditionExpression: `#a ${op} :v`,
        ExpressionAttributeNames: { '#a': attr },
        ExpressionAttributeValues: { ':v': value },
      });
    }
  }

  async pendingEvaluations(): Promise<PendingEvaluation[]> {
    const items = await this.table.queryStatus(STATUS.pendingEvaluation);
    return items.map((i) => ({
      deviceId: String(i.deviceId),
      fromTs: Number(i.fromTs),
      toTs: Number(i.toTs),
      failures: Number(i.failures),
      firstFailedAt: Number(i.raisedAt),
      lastError: String(i.lastError),
    }));
  }

  async clearPendingEvaluation(pending: PendingEvaluation): Promise<boolean> {
    const ok = await conditional(() =>
      this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: { alarmId: itemKey.pendingEvaluation(pending.deviceId) },
          ConditionExpression: '#failures = :n AND #from = :from AND #to = :to',
          ExpressionAttributeNames: { '#failures': 'failures', '#from': 'fromTs', '#to': 'toTs' },
          ExpressionAttributeValues: { ':n': pending.failures, ':from': pending.fromTs, ':to': pending.toTs },
        }),
      ),
    );
    return ok !== undefined;
  }

  async failPendingEvaluation(deviceId: string, error: string): Promise<void> {
    await this.table.updateIf(itemKey.pendingEvaluation(deviceId), {
      UpdateExpression: 'SET #err = :err ADD #failures :one',
      ConditionExpression: 'attribute_exists(alarmId)',
      ExpressionAttributeNames: { '#err': 'lastError', '#failures': 'failures' },
      ExpressionAttributeValues: { ':err': error.slice(0, MAX_ERROR_CHARS), ':one': 1 },
    });
  }
}
