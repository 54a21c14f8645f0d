import { parseArgs } from 'node:util';
import { DEFAULT_FLEET_FILE } from '../../infra/fleet/read-fleet';
import { SCENARIO_SYNTAX } from '../scenarios';

/** The help's headings, in the order it prints them. */
export const SECTIONS = ['Fleet', 'Target', 'Time', 'Scenarios', 'Expectations', 'Output'] as const;

/** An environment variable the CLI reads, and what for. */
export interface EnvSetting {
  name: string;
  help: string;
}

/** One command-line option: what `parseArgs` needs (type, short, multiple) and what the help says about it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  section: (typeof SECTIONS)[number];
  /** The value's placeholder in the help (FILE, N, URL). */
  arg?: string;
  help: string;
  /** The value without the option, in words (it is applied where the option is read). */
  fallback?: string;
  /** Environment variables that stand in for the option or shape its default. */
  env?: readonly EnvSetting[];
}

/**
 * Every option and setting of pamir-sim: `parseArgs` reads the option fields, `helpText` prints all of them, so the
 * help cannot leave one out.
 */
export const OPTIONS = {
  fleet: {
    type: 'string',
    section: 'Fleet',
    arg: 'FILE',
    help: 'fleet file, as npm start loads it',
    fallback: `$FLEET_FILE, else ${DEFAULT_FLEET_FILE}`,
    env: [{ name: 'FLEET_FILE', help: 'fleet file when --fleet is not given (as for npm start)' }],
  },
  water: {
    type: 'string',
    section: 'Fleet',
    arg: 'N',
    help: 'generate a county instead of reading a fleet file, with N water-quality devices',
  },
  bins: { type: 'string', section: 'Fleet', arg: 'M', help: '…and M waste bins' },
  townships: {
    type: 'string',
    section: 'Fleet',
    arg: 'K',
    help: 'townships of a generated county',
    fallback: '3',
  },
  'write-fleet': {
    type: 'string',
    section: 'Fleet',
    arg: 'FILE',
    help: 'write the fleet to FILE and exit (then: FLEET_FILE=FILE npm start)',
  },
  devices: {
    type: 'string',
    section: 'Fleet',
    arg: 'LIST',
    help: 'only these devices or sites (comma-separated ids)',
  },
  interval: {
    type: 'string',
    section: 'Fleet',
    arg: 'S',
    help: 'every device reports each S seconds instead of its intervalS',
  },
  broker: {
    type: 'string',
    section: 'Target',
    arg: 'URL',
    help: 'local broker',
    fallback: 'mqtt://127.0.0.1:$MQTT_PORT, 1883',
    env: [
      { name: 'MQTT_PORT', help: 'port of the default --broker (1883)' },
      {
        name: 'ALLOW_ANONYMOUS_DEVICES',
        help: '1: a device without a secret under the data folder connects without a password (the service must run with it too)',
      },
    ],
  },
  endpoint: {
    type: 'string',
    section: 'Target',
    arg: 'HOST',
    help: 'AWS IoT Core data endpoint (mqtts); needs --cert and --key, or --credentials-dir',
    fallback: 'the endpoint in --credentials-dir',
  },
  port: {
    type: 'string',
    section: 'Target',
    arg: 'P',
    help: 'port of --endpoint',
    fallback: "8883, or the one in --credentials-dir's device.json",
  },
  cert: {
    type: 'string',
    section: 'Target',
    arg: 'FILE',
    help: 'device certificate, PEM; {id} in the path stands for the device id',
  },
  key: {
    type: 'string',
    section: 'Target',
    arg: 'FILE',
    help: "the certificate's private key, PEM; {id} as for --cert",
  },
  'credentials-dir': {
    type: 'string',
    section: 'Target',
    arg: 'DIR',
    help: "AWS IoT Core with what npm run devices:provision wrote: DIR/<device id>/ holds each device's device.json (endpoint, port), certificate.pem.crt and private.pem.key; instead of --cert/--key",
  },
  ca: {
    type: 'string',
    section: 'Target',
    arg: 'FILE',
    help: 'CA certificate, Amazon Root CA 1',
    fallback: "Node's trust store",
  },
  'basic-ingest': {
    type: 'boolean',
    section: 'Target',
    help: 'publish to $aws/rules/<rule>/dt/<kind>/<id> (AWS Basic Ingest)',
  },
  'basic-ingest-stage': {
    type: 'string',
    section: 'Target',
    arg: 'STAGE',
    help: 'with --basic-ingest, the rules of this stage ($aws/rules/<stage>_<rule>/…): a stage deployed with -c accountSetup=false',
    fallback: "the contract's rule names (the account's primary stage)",
  },
  'dry-run': {
    type: 'boolean',
    section: 'Target',
    help: 'print the messages as JSON lines instead of publishing',
  },
  speed: {
    type: 'string',
    section: 'Time',
    arg: 'N',
    help: 'simulated seconds per real second',
    fallback: '1, real time',
  },
  from: {
    type: 'string',
    section: 'Time',
    arg: 'T',
    help: 'start of the simulated window (ISO time, epoch ms, now-6h)',
  },
  to: {
    type: 'string',
    section: 'Time',
    arg: 'T',
    help: 'end of the simulated window; --to without --speed backfills the window as sample batches, as fast as acknowledged',
  },
  duration: {
    type: 'string',
    section: 'Time',
    arg: 'D',
    help: 'real run time: 90s, 10m, 2h',
    fallback: 'until Ctrl-C or --to',
  },
  samples: { type: 'string', section: 'Time', arg: 'N', help: 'stop each device after N samples' },
  'batch-size': {
    type: 'string',
    section: 'Time',
    arg: 'N',
    help: 'samples per backfill message, at most 100',
    fallback: '100',
  },
  seed: {
    type: 'string',
    section: 'Time',
    arg: 'N',
    help: 'seed for signals, schedule and scenarios',
    fallback: 'random, printed',
  },
  scenario: {
    type: 'string',
    multiple: true,
    section: 'Scenarios',
    arg: 'SPEC',
    help: `repeatable or comma-separated: ${SCENARIO_SYNTAX}`,
  },
  'list-scenarios': {
    type: 'boolean',
    section: 'Scenarios',
    help: 'list scenarios, their parameters and expected outcomes',
  },
  expect: {
    type: 'boolean',
    section: 'Expectations',
    help: "at the end, check each scenario's expected outcome against the service's HTTP API and SMS outbox; exit 1 on any mismatch",
  },
  api: {
    type: 'string',
    section: 'Expectations',
    arg: 'URL',
    help: "the service's HTTP API",
    fallback: 'http://127.0.0.1:$HTTP_PORT, 3000',
    env: [{ name: 'HTTP_PORT', help: 'port of the default --api (3000)' }],
  },
  token: {
    type: 'string',
    section: 'Expectations',
    arg: 'T',
    help: 'API bearer token',
    fallback: '$API_TOKEN, else <data-dir>/api-token',
    env: [{ name: 'API_TOKEN', help: 'API bearer token when --token is not given' }],
  },
  'data-dir': {
    type: 'string',
    section: 'Expectations',
    arg: 'DIR',
    help: "the service's data folder: API token, device secrets, SMS outbox",
    fallback: '$DATA_DIR, else .data',
    env: [{ name: 'DATA_DIR', help: "the service's data folder when --data-dir is not given" }],
  },
  'expect-timeout': {
    type: 'string',
    section: 'Expectations',
    arg: 'D',
    help: 'how long to wait for the service to catch up',
    fallback: '30s',
  },
  json: { type: 'boolean', section: 'Output', help: 'machine-readable summary on stdout' },
  quiet: { type: 'boolean', section: 'Output', help: 'no progress line' },
  help: { type: 'boolean', short: 'h', section: 'Output', help: 'this help' },
} as const satisfies Record<string, OptionSpec>;

/** Parses the command line against {@link OPTIONS}; unknown options and missing values throw `ERR_PARSE_ARGS_*`. */
export function parseOptions(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
}

/** The options as parsed: strings as given, booleans when present, `scenario` as a list. */
export type CliValues = ReturnType<typeof parseOptions>['values'];
