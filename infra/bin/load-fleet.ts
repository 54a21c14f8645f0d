import { parseArgs } from 'node:util';
import { subscriptionChangeDeps } from '../../functions/composition';
import { cloudService } from '../../functions/composition-cloud';
import { CHANNEL_ENV } from '../../functions/contract';
import { warningLevelText } from '../../functions/core/site-warnings';
import { fleetFileActor } from '../../functions/core/subscription-audit';
import { checkSiteWarningLevels, RECENT_MEDIAN } from '../../functions/use-cases/site-warning-check';
import { syncFleet } from '../../functions/use-cases/sync-fleet';
import { DEFAULT_FLEET_FILE, readFleetFile } from '../fleet/read-fleet';
import {
  channelSettingLines,
  formatSettings,
  serviceSettingLines,
  tableSettingLines,
} from '../settings-help';
import { runCommand } from './run-command';

const SETTING_WIDTH = Math.max(
  ...[...tableSettingLines(), ...channelSettingLines(), ...serviceSettingLines()].map(
    ([name]) => name.length,
  ),
);

const HELP = `Usage: npm run fleet:load -- [--file PATH]

Loads a fleet file (default ${DEFAULT_FLEET_FILE}) into the deployed registry and SMS subscriptions:
devices are put, maintenance flags kept, and the fleet's subscriptions synced with SNS: each phone gets one
SNS subscription whose filter policy is the union of its subscriptions (API ones included), set in place, so
running it again converges and adopts subscriptions made before the union. Numbers outside
SMS_ALLOWED_COUNTRY_CODES, or more phones than SMS_MAX_PHONES, refuse the whole file. It is the sync
npm start runs at start, and it builds the service as the functions do, so it needs their environment.

Environment, required:
${formatSettings([...tableSettingLines(), ...channelSettingLines()], SETTING_WIDTH)}

Environment, optional (checked like the functions do; loading does not use them):
${formatSettings(serviceSettingLines(), SETTING_WIDTH)}

Where the values come from. CloudFormation names the tables, and none of these is a stack output except
the topic; every deployed function carries them all in its environment:
  aws cloudformation describe-stack-resources --stack-name PamirTelemetry-<stage>-Stateless \\
    --query "StackResources[?ResourceType=='AWS::Lambda::Function'].[LogicalResourceId,PhysicalResourceId]"
  aws lambda get-function-configuration --function-name <the AlarmSweepFunction… one> \\
    --query Environment.Variables
${CHANNEL_ENV.alarmTopicArn} is also the output AlarmTopicArn of PamirTelemetry-<stage>-Stateful, and
${CHANNEL_ENV.iotDataEndpoint} is what
  aws iot describe-endpoint --endpoint-type iot:Data-ATS --query endpointAddress --output text
prints. AWS credentials and region come from the usual chain (AWS_PROFILE, AWS_REGION, ...).
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
    ...subscriptionChangeDeps(service),
    registry: service.registry,
    actor: fleetFileActor(file),
  });
  console.log(
    `${file}: ${result.devices} devices, ${result.subscriptionsPut} subscriptions put, ` +
      `${result.subscriptionsRemoved} removed, ${result.phonesRouted} phones routed in SNS`,
  );
  const devices = await service.registry.list();
  for (const finding of await checkSiteWarningLevels(devices, service.readings, Date.now()))
    console.warn(warningLevelText(finding, RECENT_MEDIAN.days));
  return 0;
}

runCommand(main);
