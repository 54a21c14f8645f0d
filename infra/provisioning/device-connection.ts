import { commandTopic, telemetryTopic } from '../../functions/contract';
import type { Device } from '../../functions/core/registry';
import {
  type ActiveRecord,
  CERTIFICATE_FILE,
  type CertificateRef,
  PRIVATE_KEY_FILE,
  type RetiringCertificate,
} from './device-record';
import type { ProvisionContext } from './device-run';

/**
 * The record of an onboarded device: its certificate and what the device needs to connect (the thing name is its
 * client id; the device policy allows nothing else), with the topics of the device contract it may use.
 */
export function activeRecord(
  device: Device,
  ctx: ProvisionContext,
  cert: CertificateRef,
  hasPrivateKey: boolean,
  retiring: readonly RetiringCertificate[] = [],
): ActiveRecord {
  return {
    version: 1,
    status: 'active',
    deviceId: device.id,
    thingName: device.id,
    clientId: device.id,
    kind: device.kind,
    certificateId: cert.certificateId,
    certificateArn: cert.certificateArn,
    certificateFile: CERTIFICATE_FILE,
    ...(hasPrivateKey ? { privateKeyFile: PRIVATE_KEY_FILE } : {}),
    endpoint: ctx.endpoint,
    port: ctx.port,
    topics: {
      telemetry: telemetryTopic(device.kind, device.id),
      telemetryBasicIngest: telemetryTopic(device.kind, device.id, true),
      commands: commandTopic(device.id, '+'),
    },
    ...(retiring.length ? { retiring: [...retiring] } : {}),
  };
}
