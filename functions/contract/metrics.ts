/**
 * The service's own CloudWatch metrics (emitted by the functions through Powertools Metrics as EMF log lines; the
 * dashboard and alarms read them). Names are part of what operations depend on: rename only with the dashboard.
 */
export const SERVICE_METRICS = {
  /** CloudWatch namespace of every metric below. */
  namespace: 'PamirTelemetry',
  /** Dimension every metric carries: the deployment stage (`-c stage=`), so two stages never mix. */
  stageDimension: 'stage',
  /** Samples written to the readings table (count). */
  samplesStored: 'SamplesStored',
  /** Messages quarantined; also emitted with a `reason` dimension (count). */
  messagesQuarantined: 'MessagesQuarantined',
  /** Alarms raised; also emitted with a `severity` dimension (count). */
  alarmsRaised: 'AlarmsRaised',
  /** SMS notifications handed to the SMS provider (count of notifications, not of phones). */
  smsSent: 'SmsSent',
  /** SMS notifications the provider refused or that failed to send (count). */
  smsFailed: 'SmsFailed',
} as const;
