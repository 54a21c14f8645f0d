import { serviceConfigShape } from '../functions/composition';
import { CHANNEL_ENV, TABLES } from '../functions/contract';

type TableEnvVar = (typeof TABLES)[keyof typeof TABLES]['envVar'];

/** The functions' settings that have a default; every other variable they read names a resource. */
type ServiceSettingName = Exclude<keyof typeof serviceConfigShape, TableEnvVar>;

/**
 * What each service setting means. Keyed by the configuration shape itself, so a setting added there without a line
 * here (or described here but gone there) fails the typecheck: the `--help` texts cannot drift from what the
 * functions read. The defaults are read from the shape, not repeated.
 */
const SERVICE_SETTING_HELP: Readonly<Record<ServiceSettingName, string>> = {
  RETENTION_DAYS: 'days a stored sample is kept: its DynamoDB TTL, which dynalite does not apply',
  QUARANTINE_RETENTION_DAYS: 'days a quarantine entry is kept: its DynamoDB TTL',
  FLOOD_MAX_ALARMS:
    'alarms raised per audience and site within FLOOD_WINDOW_MIN before further ones are folded into one digest SMS',
  FLOOD_WINDOW_MIN: 'flood-control window, minutes',
  REMINDER_MIN: 'minutes between reminder SMS while a critical or warning alarm is unacknowledged',
  REMINDER_MAX: 'reminder SMS per alarm episode, then no more (escalation still happens once); 0 = none',
  RAISE_SMS_MIN_INTERVAL_MIN:
    'at most one raise SMS per device, condition and audience within this many minutes; re-raises inside it are recorded, their SMS folded (0 = off)',
  ESCALATE_AFTER_MIN: 'minutes before an unacknowledged critical alarm is escalated to supervisors',
  SHELVE_MAX_HOURS: 'longest shelving of an alarm, hours',
  SHELVE_MAX_PER_DAY: 'shelves allowed per alarm in a rolling 24 h; more are answered 429',
  SMS_ALLOWED_COUNTRY_CODES:
    'country calling codes SMS subscriptions may have, comma-separated (toll-fraud guard); others are answered 400',
  SMS_MAX_PHONES:
    'distinct phones that may have SMS subscriptions (one SNS filter policy each; SNS allows 200 per topic by default)',
  EVENT_DETECTOR:
    'on|off: the multivariate event detector in ingest (event alarms for operators, drift faults for engineers); off holds its alarms as they are',
};

/** A setting as `--help` shows it: its name and what it does, default included. */
export type SettingLine = readonly [name: string, text: string];

/** The functions' settings with their defaults, in the order the configuration declares them. */
export function serviceSettingLines(): SettingLine[] {
  return (Object.keys(serviceConfigShape) as (keyof typeof serviceConfigShape)[])
    .filter((name): name is ServiceSettingName => Object.hasOwn(SERVICE_SETTING_HELP, name))
    .map((name) => [
      name,
      `${SERVICE_SETTING_HELP[name]} (default ${serviceConfigShape[name].parse(undefined)})`,
    ]);
}

/** The variables naming the tables: required by every function, set by the stacks (or by `npm start`). */
export function tableSettingLines(): SettingLine[] {
  return Object.entries(TABLES).map(([name, table]) => [table.envVar, `name of the ${name} table`]);
}

/** The variables naming the alarm channels, required in the cloud (locally the outbox and the broker stand in). */
export function channelSettingLines(): SettingLine[] {
  return [
    [CHANNEL_ENV.alarmTopicArn, 'ARN of the SNS topic alarm SMS are published to'],
    [CHANNEL_ENV.iotDataEndpoint, "the account's IoT data endpoint (iot:Data-ATS), for live alarm events"],
  ];
}

const HELP_WIDTH = 100;

/**
 * Settings as aligned help lines, each description wrapped under itself. Pass `nameWidth` to align several blocks
 * with one another.
 */
export function formatSettings(
  lines: readonly SettingLine[],
  nameWidth = Math.max(...lines.map(([name]) => name.length)),
  indent = '  ',
): string {
  const pad = ' '.repeat(indent.length + nameWidth + 2);
  return lines
    .map(([name, text]) => {
      const rows: string[] = [];
      let row = '';
      for (const word of text.split(' ')) {
        if (row && pad.length + row.length + 1 + word.length > HELP_WIDTH) {
          rows.push(row);
          row = word;
        } else row = row ? `${row} ${word}` : word;
      }
      rows.push(row);
      return `${indent}${name.padEnd(nameWidth)}  ${rows.join(`\n${pad}`)}`;
    })
    .join('\n');
}
