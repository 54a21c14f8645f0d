/**
 * Deployment concerns, declared once for the CDK stacks and the local runtime (`npm start`): function sizing and
 * schedules. What devices, functions and deployments share (topics, rules, queue, tables, routes, environment
 * variables) is the contract module, `functions/contract`.
 */

export const FUNCTIONS = {
  ingest: { entry: 'functions/handlers/ingest.ts', memoryMb: 512, timeoutS: 20 },
  api: { entry: 'functions/handlers/api.ts', memoryMb: 512, timeoutS: 10 },
  /** Reminders, escalation, offline detection, shelve expiry and flood digests. */
  alarmSweep: { entry: 'functions/handlers/alarm-sweep.ts', memoryMb: 512, timeoutS: 60 },
  /** Hourly and daily roll-ups of the hours ingest marked as touched (docs/rollups.md). */
  rollups: { entry: 'functions/handlers/rollups.ts', memoryMb: 1024, timeoutS: 300 },
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

export interface ScheduleSpec {
  readonly id: string;
  readonly function: FunctionName;
  readonly everyMinutes: number;
}

/** Scheduled jobs (EventBridge in the cloud, a timer locally). */
export const SCHEDULES: readonly ScheduleSpec[] = [
  { id: 'alarm-sweep', function: 'alarmSweep', everyMinutes: 1 },
  { id: 'rollups', function: 'rollups', everyMinutes: 15 },
];
