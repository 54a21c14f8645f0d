/**
 * The DynamoDB tables as data: the CDK stacks and the local runtime create them from here, and the functions read
 * their names from the environment variable each one declares.
 */

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface TableSpec {
  /** Environment variable through which functions receive the table name. */
  readonly envVar: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly ttlAttribute?: string;
  readonly globalIndexes?: readonly { name: string; partitionKey: KeyAttribute; sortKey?: KeyAttribute }[];
}

export const TABLES = {
  readings: {
    envVar: 'READINGS_TABLE',
    partitionKey: { name: 'deviceId', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'ttl',
  },
  devices: {
    envVar: 'DEVICES_TABLE',
    partitionKey: { name: 'deviceId', type: 'S' },
  },
  quarantine: {
    envVar: 'QUARANTINE_TABLE',
    partitionKey: { name: 'day', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'ttl',
  },
  /**
   * Alarm episodes (key `alarmId`), plus per-device index items (`dev#<deviceId>`: which alarm is open per condition),
   * flood-control windows (`flood#…`), history and notification log items (`hist#<alarmId>#<n>`, `note#…`),
   * the sweep's heartbeats (`hb#<deviceId>`), ingest's heartbeat batches (`hbb#<uuid>`, expiring by `ttl`) and pending
   * evaluations (`eval#<deviceId>`). Episodes are indexed under `open` and `closed`; heartbeats, heartbeat batches,
   * pending evaluations and undigested windows under their own `status` values.
   */
  alarms: {
    envVar: 'ALARMS_TABLE',
    partitionKey: { name: 'alarmId', type: 'S' },
    ttlAttribute: 'ttl',
    globalIndexes: [
      {
        name: 'byStatus',
        partitionKey: { name: 'status', type: 'S' },
        sortKey: { name: 'raisedAt', type: 'N' },
      },
    ],
  },
  subscriptions: {
    envVar: 'SUBSCRIPTIONS_TABLE',
    partitionKey: { name: 'subscriptionId', type: 'S' },
  },
  /** Bin collection events (one item per detected collection), listed per township for the monthly report. */
  binEvents: {
    envVar: 'BIN_EVENTS_TABLE',
    partitionKey: { name: 'binId', type: 'S' },
    sortKey: { name: 'ts', type: 'N' },
    globalIndexes: [
      {
        name: 'byTownship',
        partitionKey: { name: 'township', type: 'S' },
        sortKey: { name: 'ts', type: 'N' },
      },
    ],
  },
  /**
   * Roll-ups and what reports need beside them. Item kinds by partition key:
   * - `<deviceId>`: hourly (`h#<start>`) and daily (`d#<start>`) roll-ups ({@link RollupItem}); daily items also carry
   *   `tm`/`sdd` for the sparse `byTownshipMonth` index (a township's month without a scan);
   * - `touch#<hour the marks were written, 13-digit epoch ms>`: ingest's touched-hour marks, one item per invocation
   *   that stored samples in hours it had not marked yet (`<writtenAt>#<uuid>`), expiring by `ttl`;
   * - `job#rollups`: the roll-up job's cursor and the hours it still owes;
   * - `win#<deviceId>`: maintenance and declared outage windows (`<from, 13 digits>#<kind>`), for completeness.
   */
  rollups: {
    envVar: 'ROLLUPS_TABLE',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'ttl',
    globalIndexes: [
      {
        name: 'byTownshipMonth',
        partitionKey: { name: 'tm', type: 'S' },
        sortKey: { name: 'sdd', type: 'S' },
      },
    ],
  },
} as const satisfies Record<string, TableSpec>;
export type TableName = keyof typeof TABLES;
