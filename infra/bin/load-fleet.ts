import { parseArgs } from 'node:util';
import { cloudService } from '../../functions/composition-cloud';
import { syncFleet } from '../../functions/use-cases/sync-fleet';
import { DEFAULT_FLEET_FILE, readFleetFile } from '../fleet/read-fleet';

const HELP = `Usage: npm run fleet:load -- [--file FLEET_FILE]

Loads a fleet file into the deployed registry and SMS subscriptions (devices put, maintenance flags kept,
fleet subscriptions synced with SNS). Reads the same environment as the functions: READINGS_TABLE,
DEVICES_TABLE, QUARANTINE_TABLE, ALARMS_TABLE, SUBSCRIPTIONS_TABLE, BIN_EVENTS_TABLE, ALARM_TOPIC_ARN,
IOT_DATA_ENDPOINT (the stack outputs), and AWS credentials from the usual chain.
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { file: { type: 'string', default: DEFAULT_FLEET_FILE }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const { file, fleet } = await readFleetFile(values.file);
  const service = cloudService();
  const result = await syncFleet(fleet, {
    registry: service.registry,
    subscriptions: service.subscriptions,
    channel: service.channels.subscriptionChannel,
    clock: service.clock,
  });
  console.log(
    `${file}: ${result.devices} devices, ${result.subscriptionsPut} subscriptions put, ${result.subscriptionsRemoved} removed`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  },
);
