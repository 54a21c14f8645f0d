import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { CachedDeviceRegistry } from './adapters/cached-device-registry';
import { DynamoAlarmStore } from './adapters/dynamodb/alarm-store';
import type { BatchWriteOptions } from './adapters/dynamodb/batch-write';
import { DynamoBinEventStore } from './adapters/dynamodb/bin-event-store';
import { DynamoDeviceRegistry } from './adapters/dynamodb/device-registry';
import { DynamoDeviceWindowStore } from './adapters/dynamodb/device-window-store';
import { DynamoPhoneRoutes } from './adapters/dynamodb/phone-route-store';
import { DynamoQuarantineStore } from './adapters/dynamodb/quarantine-store';
import { DynamoReadingStore } from './adapters/dynamodb/reading-store';
import { DynamoRollupStore } from './adapters/dynamodb/rollup-store';
import { DynamoSubscriptionAuditLog } from './adapters/dynamodb/subscription-audit-log';
import { DynamoSubscriptionStore } from './adapters/dynamodb/subscription-store';
import { InMemoryServiceMetrics } from './adapters/in-memory-metrics';
import type { AlarmApiDeps } from './api/alarm-routes';
import type { BinApiDeps } from './api/bin-routes';
import type { ConsoleApiDeps } from './api/console-routes';
import type { DeadLetterApiDeps } from './api/dead-letter-routes';
import type { ReportApiDeps } from './api/report-routes';
import type { ApiDeps as ReadingApiDeps } from './api/routes';
import type { SeriesApiDeps } from './api/series-routes';
import type { SubscriptionRouteDeps } from './api/subscription-routes';
import type { Device } from './core/registry';
import type { SmsGuards } from './core/sms-routing';
import type { AlarmHistory } from './ports/alarm-history';
import type { AlarmStore } from './ports/alarm-store';
import { type Clock, systemClock } from './ports/clock';
import type { DeadLetterQueue } from './ports/dead-letters';
import type { IngestRequeue } from './ports/ingest-requeue';
import type { LiveEvents } from './ports/live-events';
import type { ServiceMetrics } from './ports/metrics';
import type { NotificationPacing } from './ports/notification-pacing';
import type { Notifier } from './ports/notifier';
import type { ReadingStore } from './ports/reading-store';
import type { SubscriptionChannel } from './ports/subscription-store';
import { countryCodes, nonNegativeInt, positiveInt, readConfig, tableVars } from './shared/config';
import { HOUR_MS, MINUTE_MS } from './shared/time';
import {
  ALARM_SETTING_DEFAULTS,
  AlarmEngine,
  type AlarmSettings,
  alarmHistoryNeed,
} from './use-cases/alarm-engine';
import type { SweepDeps } from './use-cases/alarm-sweep';
import { EventDetection } from './use-cases/detect-events';
import { evaluateAlarmsStage } from './use-cases/evaluate-alarms';
import type { IngestDeps, StoredMessage } from './use-cases/ingest-telemetry';
import { markTouchedHoursStage } from './use-cases/mark-touched-hours';
import { type ReadingsNeed, RecentReadings } from './use-cases/recent-readings';
import { collectionsNeed, recordCollectionsStage } from './use-cases/record-collections';
import type { RollupJobDeps } from './use-cases/rollup-job';
import type { SubscriptionChangeDeps } from './use-cases/subscription-changes';

/** Settings every function reads; table names are required, the rest have documented defaults. */
export const serviceConfigShape = {
  ...tableVars('readings', 'devices', 'quarantine', 'alarms', 'subscriptions', 'binEvents', 'rollups'),
  RETENTION_DAYS: positiveInt(400),
  QUARANTINE_RETENTION_DAYS: positiveInt(90),
  FLOOD_MAX_ALARMS: positiveInt(ALARM_SETTING_DEFAULTS.floodMaxAlarms),
  FLOOD_WINDOW_MIN: positiveInt(ALARM_SETTING_DEFAULTS.floodWindowMs / MINUTE_MS),
  REMINDER_MIN: positiveInt(ALARM_SETTING_DEFAULTS.reminderMs / MINUTE_MS),
  REMINDER_MAX: nonNegativeInt(ALARM_SETTING_DEFAULTS.reminderMax),
  RAISE_SMS_MIN_INTERVAL_MIN: nonNegativeInt(ALARM_SETTING_DEFAULTS.raiseSmsMinIntervalMs / MINUTE_MS),
  ESCALATE_AFTER_MIN: positiveInt(ALARM_SETTING_DEFAULTS.escalateAfterMs / MINUTE_MS),
  SHELVE_MAX_HOURS: positiveInt(ALARM_SETTING_DEFAULTS.shelveMaxMs / HOUR_MS),
  SHELVE_MAX_PER_DAY: positiveInt(ALARM_SETTING_DEFAULTS.shelveMaxPerDay),
  SMS_ALLOWED_COUNTRY_CODES: countryCodes('86'),
  // SNS allows 200 filter policies per topic by default: one phone is one policy.
  SMS_MAX_PHONES: positiveInt(200),
  // The multivariate event detector in the ingest path (event alarms, drift faults); off for a bench or an operator
  // who must silence it, which holds its alarms as they are.
  EVENT_DETECTOR: z.enum(['on', 'off']).default('on'),
};

export function readServiceConfig(env: NodeJS.ProcessEnv = process.env) {
  return readConfig(serviceConfigShape, env);
}
export type ServiceConfig = ReturnType<typeof readServiceConfig>;

function alarmSettings(config: ServiceConfig): AlarmSettings {
  return {
    floodMaxAlarms: config.FLOOD_MAX_ALARMS,
    floodWindowMs: config.FLOOD_WINDOW_MIN * MINUTE_MS,
    reminderMs: config.REMINDER_MIN * MINUTE_MS,
    reminderMax: config.REMINDER_MAX,
    raiseSmsMinIntervalMs: config.RAISE_SMS_MIN_INTERVAL_MIN * MINUTE_MS,
    escalateAfterMs: config.ESCALATE_AFTER_MIN * MINUTE_MS,
    shelveMaxMs: config.SHELVE_MAX_HOURS * HOUR_MS,
    shelveMaxPerDay: config.SHELVE_MAX_PER_DAY,
  };
}

/** Where alarms go: SNS + IoT Data Plane in the cloud, the outbox file + embedded broker locally. */
export interface Channels {
  notifier: Notifier;
  live: LiveEvents;
  subscriptionChannel: SubscriptionChannel;
}

/** Everything the service keeps in the alarms table. */
export type ServiceAlarms = AlarmStore & NotificationPacing & AlarmHistory;

export interface Service {
  registry: CachedDeviceRegistry;
  readings: ReadingStore;
  quarantine: DynamoQuarantineStore;
  alarms: ServiceAlarms;
  subscriptions: DynamoSubscriptionStore;
  phoneRoutes: DynamoPhoneRoutes;
  subscriptionAudit: DynamoSubscriptionAuditLog;
  binEvents: DynamoBinEventStore;
  /** Roll-ups, ingest's touched-hour marks and the roll-up job's state. */
  rollups: DynamoRollupStore;
  /** Maintenance and outage windows (completeness of the compliance report). */
  windows: DynamoDeviceWindowStore;
  engine: AlarmEngine;
  channels: Channels;
  clock: Clock;
  config: ServiceConfig;
  /** The service's own counters: CloudWatch (EMF) in the cloud, in memory locally. */
  metrics: ServiceMetrics;
}

/** Builds the adapters and use cases once per process (cold start) over one document client. */
export function createService(
  config: ServiceConfig,
  doc: DynamoDBDocumentClient,
  channels: Channels,
  options: {
    clock?: Clock;
    writeOptions?: BatchWriteOptions;
    metrics?: ServiceMetrics;
    /** Stores used instead of the DynamoDB tables (the alarm replay of `npm run eval:events` keeps them in memory). */
    stores?: { alarms?: ServiceAlarms; readings?: ReadingStore };
  } = {},
): Service {
  const clock = options.clock ?? systemClock;
  const metrics = options.metrics ?? new InMemoryServiceMetrics();
  const readings =
    options.stores?.readings ?? new DynamoReadingStore(doc, config.READINGS_TABLE, options.writeOptions);
  const alarms = options.stores?.alarms ?? new DynamoAlarmStore(doc, config.ALARMS_TABLE);
  return {
    registry: new CachedDeviceRegistry(new DynamoDeviceRegistry(doc, config.DEVICES_TABLE), clock),
    readings,
    quarantine: new DynamoQuarantineStore(doc, config.QUARANTINE_TABLE, config.QUARANTINE_RETENTION_DAYS),
    alarms,
    subscriptions: new DynamoSubscriptionStore(doc, config.SUBSCRIPTIONS_TABLE),
    phoneRoutes: new DynamoPhoneRoutes(doc, config.SUBSCRIPTIONS_TABLE),
    subscriptionAudit: new DynamoSubscriptionAuditLog(doc, config.SUBSCRIPTIONS_TABLE),
    binEvents: new DynamoBinEventStore(doc, config.BIN_EVENTS_TABLE, options.writeOptions),
    rollups: new DynamoRollupStore(doc, config.ROLLUPS_TABLE),
    windows: new DynamoDeviceWindowStore(doc, config.ROLLUPS_TABLE),
    engine: new AlarmEngine({
      alarms,
      readings,
      notifier: channels.notifier,
      live: channels.live,
      clock,
      settings: alarmSettings(config),
      metrics,
      pacing: alarms,
    }),
    channels,
    clock,
    config,
    metrics,
  };
}

/** The event detector over the service's stores, or nothing when EVENT_DETECTOR=off. */
function detection(service: Service): { detection?: EventDetection } {
  if (service.config.EVENT_DETECTOR !== 'on') return {};
  return { detection: new EventDetection({ states: service.alarms, readings: service.readings }) };
}

/** The ingest function's dependencies; `requeue` takes back what one invocation defers (see INGEST_BUDGET). */
export function ingestDeps(service: Service, options: { requeue?: IngestRequeue } = {}): IngestDeps {
  return {
    ...(options.requeue ? { requeue: options.requeue } : {}),
    metrics: service.metrics,
    registry: service.registry,
    readings: service.readings,
    quarantine: service.quarantine,
    clock: service.clock,
    retentionDays: service.config.RETENTION_DAYS,
    afterStore: allStages(
      service.readings,
      readingsNeed,
      evaluateAlarmsStage({
        engine: service.engine,
        alarms: service.alarms,
        clock: service.clock,
        ...detection(service),
      }),
      recordCollectionsStage({ readings: service.readings, binEvents: service.binEvents }),
      markTouchedHoursStage({ marks: service.rollups, clock: service.clock }),
    ),
  };
}

type Stage = (stored: StoredMessage[], recent: RecentReadings) => Promise<Set<string>>;

/**
 * What every after-store stage together reads around a device's new samples. The event detector is not in it: it
 * reads first among a water device's stages and sizes the shared read itself (`RecentReadings.before`), to what its
 * state asks for in this batch (nothing while the device commissions, more in a batch where it learns).
 */
function readingsNeed(device: Device, newSamples: number): ReadingsNeed {
  const bins = collectionsNeed(device, newSamples);
  return {
    before: Math.max(alarmHistoryNeed(device, newSamples), bins.before),
    after: bins.after,
  };
}

/**
 * Runs independent after-store stages side by side; a message failed by any of them is retried (all are idempotent).
 * Alarm evaluation fails a message only when it cannot even record its own retry (see evaluate-alarms); bin
 * collection recording keeps the queue's retry: its only failure is a write to its own small items, transient by
 * nature, and the queue is the one place its input (the new samples between the stored ones) is still at hand.
 */
function allStages(
  readings: ReadingStore,
  need: (device: Device, newSamples: number) => ReadingsNeed,
  ...stages: Stage[]
): NonNullable<IngestDeps['afterStore']> {
  return async (stored: StoredMessage[]) => {
    // One read of each device's recent readings per batch, shared by the stages.
    const recent = new RecentReadings(readings, need);
    const failed = await Promise.all(stages.map((stage) => stage(stored, recent)));
    return new Set(failed.flatMap((ids) => [...ids]));
  };
}

/** The SMS toll-fraud guards as configured. */
function smsGuards(config: ServiceConfig): SmsGuards {
  return { allowedCountryCodes: config.SMS_ALLOWED_COUNTRY_CODES, maxPhones: config.SMS_MAX_PHONES };
}

/** What changing SMS subscriptions needs (the API and fleet loading). */
export function subscriptionChangeDeps(service: Service): SubscriptionChangeDeps {
  return {
    subscriptions: service.subscriptions,
    phoneRoutes: service.phoneRoutes,
    channel: service.channels.subscriptionChannel,
    audit: service.subscriptionAudit,
    clock: service.clock,
    guards: smsGuards(service.config),
  };
}

export type ApiDeps = ReadingApiDeps &
  AlarmApiDeps &
  SubscriptionRouteDeps &
  BinApiDeps &
  DeadLetterApiDeps &
  ReportApiDeps &
  SeriesApiDeps &
  ConsoleApiDeps;

/** The API's dependencies; the dead-letter queue is the SQS DLQ in the cloud and the router's file locally. */
export function apiDeps(service: Service, deadLetters: DeadLetterQueue): ApiDeps {
  return {
    deadLetters,
    registry: service.registry,
    readings: service.readings,
    quarantine: service.quarantine,
    alarms: service.alarms,
    engine: service.engine,
    ...subscriptionChangeDeps(service),
    binEvents: service.binEvents,
    rollups: service.rollups,
    windows: service.windows,
    alarmHistory: service.alarms,
  };
}

/** The roll-up job's dependencies (scheduled function `rollups`). */
export function rollupJobDeps(service: Service): RollupJobDeps {
  return {
    rollups: service.rollups,
    jobStore: service.rollups,
    readings: service.readings,
    registry: service.registry,
    clock: service.clock,
  };
}

export function sweepDeps(service: Service): SweepDeps {
  return {
    engine: service.engine,
    alarms: service.alarms,
    registry: service.registry,
    readings: service.readings,
    notifier: service.channels.notifier,
    clock: service.clock,
    settings: alarmSettings(service.config),
    metrics: service.metrics,
    pacing: service.alarms,
    ...detection(service),
  };
}
