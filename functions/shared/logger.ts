import { Logger } from '@aws-lambda-powertools/logger';

/** The one structured logger of the service; handlers append deviceId/alarmId keys as they learn them. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'pamir-telemetry' });
