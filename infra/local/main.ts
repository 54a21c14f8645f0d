import { parseArgs } from 'node:util';
import type { SettingLine } from '../settings-help';

/** The local runtime's own settings; the functions' settings are added from their configuration shape. */
const LOCAL_SETTINGS = (maxBacklog: number): SettingLine[] => [
  ['MQTT_PORT', 'MQTT broker port on 127.0.0.1 (default 1883)'],
  ['HTTP_PORT', 'HTTP API port on 127.0.0.1 (default 3000)'],
  ['DYNAMODB_PORT', 'dynalite port on 127.0.0.1 (default 8000; 0 = any free port)'],
  ['DATA_DIR', 'where tables, token, device secrets, outbox, spool and dead letters live (default .data)'],
  ['FLEET_FILE', 'device registry to load at start (default infra/fleet/example-county.json)'],
  [
    'API_TOKEN',
    'bearer token for the API and the console MQTT login (default: generated into $DATA_DIR/api-token)',
  ],
  ['LOG_LEVEL', "the functions' log level (default WARN locally; POWERTOOLS_LOG_LEVEL, when set, wins)"],
  [
    'LOCAL_MAX_BACKLOG',
    `messages the router holds (queued, in flight, awaiting retry) before the broker stops acknowledging publishes until it drains (default ${maxBacklog})`,
  ],
  [
    'ALLOW_ANONYMOUS_DEVICES',
    '1 lets devices connect without their secret (quick experiments only; off by default)',
  ],
];

/**
 * The help text. Imported only here: the functions' configuration pulls in their logger, which must not load before
 * the log level is set.
 */
async function help(): Promise<string> {
  const { DEFAULT_MAX_BACKLOG } = await import('./router');
  const { formatSettings, serviceSettingLines } = await import('../settings-help');
  const local = LOCAL_SETTINGS(DEFAULT_MAX_BACKLOG);
  const functions = serviceSettingLines();
  const width = Math.max(...[...local, ...functions].map(([name]) => name.length));
  return `Usage: npm start [-- --help]

Runs Pamir Telemetry locally in one process: MQTT broker, DynamoDB-API server (dynalite),
ingest router, HTTP API and SMS outbox, running the same handlers as the cloud.

Environment, local runtime:
${formatSettings(local, width)}

Environment, the functions (the same variables as in the cloud; table names are set by the runtime):
${formatSettings(functions, width)}

Every 10 s while there is traffic a progress line shows messages received, ingested, retried and
dead-lettered, the backlog against its bound and the drain rate (msg/s). Local functions have the
timeouts of infra/wiring.ts (ingest 20 s, alarm sweep 60 s). Dead letters: npm run dlq -- --help.

MQTT credentials (the broker is as strict as the cloud policy):
  device   client id = username = device id, password = $DATA_DIR/devices/<id>.secret
           (generated at start for every registered device); publishes dt/water/<id> or dt/bin/<id>,
           subscribes under cmd/<id>/ only
  console  any client id that is not a device id, username console, password = the API token;
           subscribes to evt/... only, publishes nothing
  Publishes over 128 KB (AWS IoT Core's limit) are refused and quarantined as oversize.

Settings, per-site alarm and bin settings in the fleet file, and runbooks: docs/operations.md.
`;
}

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new Error(`${name}=${raw} is not a port number (0-65535)`);
  }
  return value;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`${name}=${raw} is not a positive whole number`);
  return value;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    process.stdout.write(await help());
    return 0;
  }
  // The functions' logger reads its level at import; keep the console readable unless asked otherwise.
  process.env.POWERTOOLS_LOG_LEVEL ??= process.env.LOG_LEVEL ?? 'WARN';
  const { startLocalRuntime } = await import('./runtime');
  const { DEFAULT_MAX_BACKLOG } = await import('./router');
  const maxBacklog = positive('LOCAL_MAX_BACKLOG', DEFAULT_MAX_BACKLOG);
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

  const runtime = await startLocalRuntime({
    dataDir: process.env.DATA_DIR || '.data',
    mqttPort: port('MQTT_PORT', 1883),
    httpPort: port('HTTP_PORT', 3000),
    dynamoPort: port('DYNAMODB_PORT', 8000),
    fleetFile: process.env.FLEET_FILE || undefined,
    apiToken: process.env.API_TOKEN || undefined,
    router: { maxBacklog },
    log,
  });
  const water = runtime.devices.filter((d) => d.kind === 'water').length;
  const { consoleBuilt } = await import('./console-static');
  const consoleLine = (await consoleBuilt())
    ? `http://127.0.0.1:${runtime.httpPort}/   sign in with an API token (below)`
    : 'not built: npm run console:build (npm start builds it first)';
  console.log(`Pamir Telemetry, local runtime
  MQTT broker   mqtt://127.0.0.1:${runtime.mqttPort}   devices publish to dt/water/<id> and dt/bin/<id>, client id = device id
  MQTT login    device: -u <id> -P "$(cat ${runtime.deviceSecretFile('<id>')})"   console: -u console -P <API token>${runtime.allowAnonymousDevices ? '\n  WARNING       ALLOW_ANONYMOUS_DEVICES=1: devices may connect without their secret' : ''}
  Console       ${consoleLine}
  HTTP API      http://127.0.0.1:${runtime.httpPort}   header: Authorization: Bearer <token>
  API token     ${runtime.apiToken}   (from ${runtime.tokenSource}; role admin)${runtime.namedTokens.length ? `\n  API tokens    ${runtime.namedTokens.map((t) => `${t.name} (${t.role})`).join(', ')}   (from ${runtime.dataDir}/api-tokens.json)` : ''}
  DynamoDB API  ${runtime.dynamoEndpoint}   dynalite, data in ${runtime.dataDir}/dynamodb
  Fleet         ${runtime.fleetFile}   ${water} water and ${runtime.devices.length - water} bin devices registered
  SMS outbox    ${runtime.outboxFile}
  Dead letters  ${runtime.dlqFile}   npm run dlq -- list | GET /dead-letters
  Backlog bound ${maxBacklog} messages (LOCAL_MAX_BACKLOG); above it the broker holds acknowledgements${runtime.recovered ? `\n  Recovered     ${runtime.recovered} messages accepted before the last stop, re-queued` : ''}
Try:  curl -H "Authorization: Bearer ${runtime.apiToken}" http://127.0.0.1:${runtime.httpPort}/devices
      npx mqtt sub -h 127.0.0.1 -p ${runtime.mqttPort} -u console -P ${runtime.apiToken} -t 'evt/#'
      npm run sim -- --help
Ctrl-C stops.`);

  let last = runtime.router.stats;
  const status = setInterval(() => {
    const s = runtime.router.stats;
    const moved =
      s.received !== last.received || s.delivered !== last.delivered || s.deadLettered !== last.deadLettered;
    if (!moved && s.backlog === 0) return;
    log(
      `ingest: ${s.received - last.received} received, ${s.delivered - last.delivered} ingested, ` +
        `${s.retried - last.retried} retried, ${s.deadLettered - last.deadLettered} dead-lettered; ` +
        `backlog ${s.backlog}/${s.maxBacklog}, draining ${s.drainRatePerS.toFixed(1)} msg/s` +
        (s.waitingAccepts > 0 ? `, ${s.waitingAccepts} publishes held unacknowledged` : '') +
        (s.refusedDiskFull > last.refusedDiskFull
          ? `, ${s.refusedDiskFull - last.refusedDiskFull} refused (disk full)`
          : ''),
    );
    last = s;
  }, 10_000);

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log(`${signal}: stopping`);
      resolve();
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
  clearInterval(status);
  await runtime.stop();
  log(`stopped cleanly; data kept in ${runtime.dataDir}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') {
      console.error(
        `error: port ${(err as { port?: number }).port ?? ''} is already in use; stop the other process or set MQTT_PORT / HTTP_PORT / DYNAMODB_PORT`,
      );
    } else {
      console.error(`error: ${err.message}`);
    }
    process.exit(1);
  },
);
