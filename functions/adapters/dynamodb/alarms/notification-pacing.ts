import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Audience, Severity } from '../../../core/alarm-types';
import type {
  BackfillEpisode,
  BackfillSummary,
  NotificationPacing,
  RaiseTurnKey,
} from '../../../ports/notification-pacing';
import type { AlarmTable } from './alarm-table';
import { itemKey, STATUS } from './item-keys';

/** Episodes a summary keeps by name (a few KB); more are only counted. */
const BACKFILL_EPISODES_KEPT = 200;
const TTL_S = 7 * 86_400;
/** A claimed summary not finished within this was left by a sender that died. */
const STALE_CLAIM_MS = 5 * 60_000;

const SEP = '|';
/** One episode as a string-set member: adding it twice (a redelivered batch) keeps one. */
export const encodeBackfillEpisode = (e: BackfillEpisode) =>
  [e.startTs, e.endTs, e.severity, e.audience, e.condition, e.alarmId, e.metric ?? ''].join(SEP);

/** A string-set member back into its episode. */
export function decodeBackfillEpisode(s: string): BackfillEpisode {
  const [startTs, endTs, severity, audience, condition, alarmId, metric] = s.split(SEP);
  return {
    startTs: Number(startTs),
    endTs: Number(endTs),
    severity: severity as Severity,
    audience: audience as Audience,
    condition: condition as string,
    alarmId: alarmId as string,
    ...(metric ? { metric } : {}),
  };
}

const members = (set: unknown): string[] => (set instanceof Set ? [...set].map(String).sort() : []);

/**
 * Raise pacing items (`pace#<deviceId>#<condition>#<audience>`: the last raise that sent, and when) and one backfill
 * summary item per device (`bf#<deviceId>`: held alarm ids and finished episodes as string sets, listed under status
 * `backfill` by the time it last changed until it is claimed).
 */
export class DynamoNotificationPacing implements NotificationPacing {
  constructor(private readonly table: AlarmTable) {}

  async takeRaiseTurn(key: RaiseTurnKey, raiseId: string, at: number, periodMs: number): Promise<boolean> {
    const ok = await this.table.updateIf(itemKey.pace(key.deviceId, key.condition, key.audience), {
      UpdateExpression: 'SET #at = :at, #rid = :rid, #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(#at) OR #at <= :cutoff OR #rid = :rid',
      ExpressionAttributeNames: { '#at': 'lastAt', '#rid': 'raiseId', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':at': at,
        ':rid': raiseId,
        ':cutoff': at - periodMs,
        ':ttl': Math.floor((at + periodMs) / 1000) + TTL_S,
      },
    });
    return ok !== undefined;
  }

  async holdForBackfill(deviceId: string, alarmId: string, sampleTs: number, at: number): Promise<void> {
    await this.table.doc.send(
      this.touch(deviceId, sampleTs, at, 'ADD #held :id', { '#held': 'held' }, { ':id': new Set([alarmId]) }),
    );
  }

  async addBackfillEpisode(deviceId: string, episode: BackfillEpisode, at: number): Promise<void> {
    const kept = await this.table.updateIf(itemKey.backfill(deviceId), {
      UpdateExpression: `${this.touchSet} ADD #eps :ep DELETE #held :id`,
      ConditionExpression: 'attribute_not_exists(#eps) OR size(#eps) < :max',
      ExpressionAttributeNames: { ...this.touchNames, '#eps': 'eps', '#held': 'held' },
      ExpressionAttributeValues: {
        ...this.touchValues(deviceId, episode.startTs, episode.endTs, at),
        ':ep': new Set([encodeBackfillEpisode(episode)]),
        ':id': new Set([episode.alarmId]),
        ':max': BACKFILL_EPISODES_KEPT,
      },
    });
    if (kept) return;
    // Full: count it. A redelivered batch may count an episode twice here; the kept ones never double.
    await this.table.updateIf(itemKey.backfill(deviceId), {
      UpdateExpression: `${this.touchSet} ADD #more :one DELETE #held :id`,
      ExpressionAttributeNames: { ...this.touchNames, '#more': 'more', '#held': 'held' },
      ExpressionAttributeValues: {
        ...this.touchValues(deviceId, episode.startTs, episode.endTs, at),
        ':one': 1,
        ':id': new Set([episode.alarmId]),
      },
    });
  }

  async claimBackfillSummary(deviceId: string, at: number): Promise<BackfillSummary | undefined> {
    const out = await this.table.updateIf(itemKey.backfill(deviceId), {
      UpdateExpression: 'SET #sent = :now REMOVE #status',
      // A claim older than a sweep's quiet time belongs to a sender that died before finishing: take it over.
      ConditionExpression: 'attribute_exists(#dev) AND (attribute_not_exists(#sent) OR #sent < :stale)',
      ExpressionAttributeNames: { '#sent': 'sentAt', '#status': 'status', '#dev': 'deviceId' },
      ExpressionAttributeValues: { ':now': at, ':stale': at - STALE_CLAIM_MS },
      ReturnValues: 'ALL_NEW',
    });
    const item = out?.Attributes;
    if (!item) return undefined;
    return {
      deviceId,
      fromTs: Number(item.fromTs),
      toTs: Number(item.toTs),
      episodes: members(item.eps).map(decodeBackfillEpisode),
      more: Number(item.more ?? 0),
      held: members(item.held),
    };
  }

  async finishBackfillSummary(deviceId: string): Promise<void> {
    // Emptied rather than deleted (ingest is granted no DeleteItem); the next backfill starts it afresh, and its TTL
    // removes it for good.
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: { alarmId: itemKey.backfill(deviceId) },
        UpdateExpression: 'REMOVE #dev, #held, #eps, #more, #sent, #from, #to, #status',
        ExpressionAttributeNames: {
          '#dev': 'deviceId',
          '#held': 'held',
          '#eps': 'eps',
          '#more': 'more',
          '#sent': 'sentAt',
          '#from': 'fromTs',
          '#to': 'toTs',
          '#status': 'status',
        },
      }),
    );
  }

  async dueBackfills(before: number): Promise<string[]> {
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: 'byStatus',
        KeyConditionExpression: '#status = :bf AND #raisedAt < :before',
        ExpressionAttributeNames: { '#status': 'status', '#raisedAt': 'raisedAt' },
        ExpressionAttributeValues: { ':bf': STATUS.backfill, ':before': before },
      }),
    );
    return (out.Items ?? []).map((i) => String(i.deviceId));
  }

  /** Listed under `backfill` by its last change; the first and last sample times it covers. */
  private readonly touchSet =
    'SET #dev = :dev, #status = :bf, #raisedAt = :now, #from = if_not_exists(#from, :from), #to = :to, #ttl = :ttl';
  private readonly touchNames = {
    '#dev': 'deviceId',
    '#status': 'status',
    '#raisedAt': 'raisedAt',
    '#from': 'fromTs',
    '#to': 'toTs',
    '#ttl': 'ttl',
  };
  private touchValues(deviceId: string, fromTs: number, toTs: number, at: number) {
    return {
      ':dev': deviceId,
      ':bf': STATUS.backfill,
      ':now': at,
      ':from': fromTs,
      ':to': toTs,
      ':ttl': Math.floor(at / 1000) + TTL_S,
    };
  }
  private touch(
    deviceId: string,
    sampleTs: number,
    at: number,
    clause: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ) {
    return new UpdateCommand({
      TableName: this.table.name,
      Key: { alarmId: itemKey.backfill(deviceId) },
      UpdateExpression: `${this.touchSet} ${clause}`,
      ExpressionAttributeNames: { ...this.touchNames, ...names },
      ExpressionAttributeValues: { ...this.touchValues(deviceId, sampleTs, sampleTs, at), ...values },
    });
  }
}
