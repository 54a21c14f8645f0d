import type { TableName } from '../../functions/contract';
import type { FunctionName } from '../wiring';

/** The DynamoDB item actions the functions' adapters (functions/adapters/dynamodb) send. */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'Scan'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem';

/** Actions that also apply to a table's global secondary indexes. */
export const INDEX_ACTIONS: readonly TableAction[] = ['Query', 'Scan'];

/**
 * Exactly the actions each function's code sends to each table, read from the adapters it reaches (an empty list
 * passes only the table's name, which the functions' configuration requires for every table). When a use case starts
 * calling another adapter method, its action is added here, and the infra test of the grants with it.
 * test/integration/grants-cover-calls.test.ts drives each real handler and checks both ways: every call it sends is
 * listed here, and every action listed here is sent.
 */
export const TABLE_GRANTS: Readonly<
  Record<FunctionName, Readonly<Record<TableName, readonly TableAction[]>>>
> = {
  ingest: {
    // putItems (BatchWriteItem); recent readings around new samples (Query).
    readings: ['Query', 'BatchWriteItem'],
    // registry.get (GetItem), cached per device; ingest never lists devices.
    devices: ['GetItem'],
    // put (BatchWriteItem); quarantined messages are read only by the API.
    quarantine: ['BatchWriteItem'],
    // The alarm engine: episode and open-index reads (GetItem, BatchGetItem), creating episodes and appending logs
    // and an invocation's heartbeat batch (PutItem), transitions, slots, flood windows and pending evaluations
    // (UpdateItem). No Query (status listings are the sweep's and the API's), no DeleteItem, no Scan.
    alarms: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'],
    // The SMS notifier counts the phones a notification should reach (list: Scan).
    subscriptions: ['Scan'],
    // putCollections (BatchWriteItem).
    binEvents: ['BatchWriteItem'],
    // An invocation's touched-hour mark (PutItem).
    rollups: ['PutItem'],
  },
  api: {
    readings: ['Query'],
    // get (GetItem), list with filters (Scan), maintenance (UpdateItem).
    devices: ['GetItem', 'Scan', 'UpdateItem'],
    quarantine: ['Query'],
    // list by status (Query on byStatus), detail with logs (GetItem, BatchGetItem), acknowledge and shelve.
    alarms: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'],
    // Subscriptions, the per-phone SNS handles (`phone#…`) and the audit log (`audit#…`) share the table: create,
    // change and audit (PutItem), get (GetItem), list and audit pages (Scan), delete (DeleteItem).
    subscriptions: ['GetItem', 'Scan', 'PutItem', 'DeleteItem'],
    // per bin and per township (Query on byTownship).
    binEvents: ['Query'],
    // The compliance report and the series route: a device's hourly and daily roll-ups and a township's month of days
    // (Query, also on byTownshipMonth), every device's windows (Query); recording a maintenance or outage window
    // (PutItem) and ending one early (UpdateItem).
    rollups: ['Query', 'PutItem', 'UpdateItem'],
  },
  alarmSweep: {
    // latest reading per device and the samples of pending evaluations.
    readings: ['Query'],
    // The registry snapshot (Scan) and, between full reads, each device whose heartbeat is due (GetItem).
    devices: ['GetItem', 'Scan'],
    quarantine: [],
    // open alarms, heartbeats, digests and pending evaluations by status (Query); the alarm engine's reads and writes;
    // clearing a pending evaluation (DeleteItem). No BatchGetItem: the sweep evaluates one device at a time (its open
    // index by GetItem) and never reads an alarm's logs.
    alarms: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem'],
    // The SMS notifier counts the phones a reminder or digest should reach (list: Scan).
    subscriptions: ['Scan'],
    binEvents: [],
    rollups: [],
  },
  rollups: {
    // The touched hours' samples and the few before them (Query).
    readings: ['Query'],
    // The device of each owed hour (GetItem, cached); all of them only for a recompute request (Scan).
    devices: ['GetItem', 'Scan'],
    quarantine: [],
    alarms: [],
    subscriptions: [],
    binEvents: [],
    // Marks and existing items (Query), its state (GetItem, PutItem), changed items (BatchWriteItem).
    rollups: ['GetItem', 'Query', 'PutItem', 'BatchWriteItem'],
  },
};
