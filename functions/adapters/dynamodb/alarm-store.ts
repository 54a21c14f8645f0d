import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AlarmEpisodes } from '../../ports/alarm-episodes';
import type { AlarmHistory } from '../../ports/alarm-history';
import type { AlarmNotifications } from '../../ports/alarm-notifications';
import type { AlarmQueries } from '../../ports/alarm-queries';
import type { AlarmStore } from '../../ports/alarm-store';
import type { DetectorStates } from '../../ports/detector-states';
import type { FloodWindows } from '../../ports/flood-windows';
import type { Heartbeats } from '../../ports/heartbeats';
import type { NotificationPacing } from '../../ports/notification-pacing';
import type { OpenAlarmIndex } from '../../ports/open-alarm-index';
import type { PendingEvaluations } from '../../ports/pending-evaluations';
import { AlarmLog } from './alarms/alarm-log';
import { AlarmTable } from './alarms/alarm-table';
import { DynamoDetectorStates } from './alarms/detector-states';
import { DynamoAlarmEpisodes } from './alarms/episodes';
import { DynamoFloodWindows } from './alarms/flood-windows';
import { DynamoHeartbeats } from './alarms/heartbeats';
import { DynamoNotificationPacing } from './alarms/notification-pacing';
import { DynamoAlarmNotifications } from './alarms/notifications';
import { DynamoOpenAlarmIndex } from './alarms/open-index';
import { DynamoPendingEvaluations } from './alarms/pending-evaluations';
import { DynamoAlarmQueries } from './alarms/queries';

/**
 * The alarms table as one store, for the composition root: each call goes to the module of the item kind it reads or
 * writes (see `alarms/item-keys.ts` for the kinds and their keys).
 */
export class DynamoAlarmStore implements AlarmStore, NotificationPacing, AlarmHistory {
  private readonly episodes: AlarmEpisodes;
  private readonly queries: DynamoAlarmQueries;
  private readonly notifications: AlarmNotifications;
  private readonly index: OpenAlarmIndex;
  private readonly flood: FloodWindows;
  private readonly beats: Heartbeats;
  private readonly pending: PendingEvaluations;
  private readonly pacing: NotificationPacing;
  private readonly detector: DetectorStates;

  constructor(doc: DynamoDBDocumentClient, tableName: string) {
    const table = new AlarmTable(doc, tableName);
    const log = new AlarmLog(table);
    this.episodes = new DynamoAlarmEpisodes(table, log);
    this.queries = new DynamoAlarmQueries(table, log);
    this.notifications = new DynamoAlarmNotifications(table, log);
    this.index = new DynamoOpenAlarmIndex(table);
    this.flood = new DynamoFloodWindows(table);
    this.beats = new DynamoHeartbeats(table);
    this.pending = new DynamoPendingEvaluations(table);
    this.pacing = new DynamoNotificationPacing(table);
    this.detector = new DynamoDetectorStates(table);
  }

  create: AlarmEpisodes['create'] = (...a) => this.episodes.create(...a);
  head: AlarmEpisodes['head'] = (...a) => this.episodes.head(...a);
  transition: AlarmEpisodes['transition'] = (...a) => this.episodes.transition(...a);
  update: AlarmEpisodes['update'] = (...a) => this.episodes.update(...a);
  list: AlarmQueries['list'] = (...a) => this.queries.list(...a);
  get: AlarmQueries['get'] = (...a) => this.queries.get(...a);
  raisedBetween: AlarmHistory['raisedBetween'] = (...a) => this.queries.raisedBetween(...a);
  claimNotification: AlarmNotifications['claimNotification'] = (...a) =>
    this.notifications.claimNotification(...a);
  recordNotification: AlarmNotifications['recordNotification'] = (...a) =>
    this.notifications.recordNotification(...a);
  releaseNotification: AlarmNotifications['releaseNotification'] = (...a) =>
    this.notifications.releaseNotification(...a);
  openIndex: OpenAlarmIndex['openIndex'] = (...a) => this.index.openIndex(...a);
  openIndexes: OpenAlarmIndex['openIndexes'] = (...a) => this.index.openIndexes(...a);
  acquire: OpenAlarmIndex['acquire'] = (...a) => this.index.acquire(...a);
  release: OpenAlarmIndex['release'] = (...a) => this.index.release(...a);
  addToFloodWindow: FloodWindows['addToFloodWindow'] = (...a) => this.flood.addToFloodWindow(...a);
  foldIntoDigest: FloodWindows['foldIntoDigest'] = (...a) => this.flood.foldIntoDigest(...a);
  dueDigests: FloodWindows['dueDigests'] = (...a) => this.flood.dueDigests(...a);
  markDigestSent: FloodWindows['markDigestSent'] = (...a) => this.flood.markDigestSent(...a);
  recordHeartbeat: Heartbeats['recordHeartbeat'] = (...a) => this.beats.recordHeartbeat(...a);
  recordHeartbeats: Heartbeats['recordHeartbeats'] = (...a) => this.beats.recordHeartbeats(...a);
  heartbeats: Heartbeats['heartbeats'] = (...a) => this.beats.heartbeats(...a);
  markOffline: Heartbeats['markOffline'] = (...a) => this.beats.markOffline(...a);
  addPendingEvaluation: PendingEvaluations['addPendingEvaluation'] = (...a) =>
    this.pending.addPendingEvaluation(...a);
  pendingEvaluations: PendingEvaluations['pendingEvaluations'] = () => this.pending.pendingEvaluations();
  clearPendingEvaluation: PendingEvaluations['clearPendingEvaluation'] = (...a) =>
    this.pending.clearPendingEvaluation(...a);
  failPendingEvaluation: PendingEvaluations['failPendingEvaluation'] = (...a) =>
    this.pending.failPendingEvaluation(...a);
  takeRaiseTurn: NotificationPacing['takeRaiseTurn'] = (...a) => this.pacing.takeRaiseTurn(...a);
  holdForBackfill: NotificationPacing['holdForBackfill'] = (...a) => this.pacing.holdForBackfill(...a);
  addBackfillEpisode: NotificationPacing['addBackfillEpisode'] = (...a) =>
    this.pacing.addBackfillEpisode(...a);
  claimBackfillSummary: NotificationPacing['claimBackfillSummary'] = (...a) =>
    this.pacing.claimBackfillSummary(...a);
  finishBackfillSummary: NotificationPacing['finishBackfillSummary'] = (...a) =>
    this.pacing.finishBackfillSummary(...a);
  dueBackfills: NotificationPacing['dueBackfills'] = (...a) => this.pacing.dueBackfills(...a);
  detectorStates: DetectorStates['detectorStates'] = (...a) => this.detector.detectorStates(...a);
  saveDetectorState: DetectorStates['saveDetectorState'] = (...a) => this.detector.saveDetectorState(...a);
}
