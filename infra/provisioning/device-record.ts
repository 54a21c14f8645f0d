import { z } from 'zod';
import { DEVICE_KINDS } from '../../functions/contract';

/** The device's certificate, PEM, in its folder. */
export const CERTIFICATE_FILE = 'certificate.pem.crt';
/** The private key IoT generated, PEM, mode 0600; absent when the device signed a CSR and kept its key. */
export const PRIVATE_KEY_FILE = 'private.pem.key';
/** What the device (and the simulator) needs to connect, and what provisioning needs to find its certificate. */
export const RECORD_FILE = 'device.json';

const certificateRef = z.object({ certificateId: z.string().min(1), certificateArn: z.string().min(1) });
export type CertificateRef = z.infer<typeof certificateRef>;

/** An old certificate a rotation has replaced and still has to detach, deactivate and maybe delete. */
const retiringSchema = certificateRef.extend({ delete: z.boolean() });
export type RetiringCertificate = z.infer<typeof retiringSchema>;

const activeRecord = certificateRef.extend({
  version: z.literal(1),
  status: z.literal('active'),
  deviceId: z.string(),
  thingName: z.string(),
  /** MQTT client id: the thing name, which the device policy requires. */
  clientId: z.string(),
  kind: z.enum(DEVICE_KINDS),
  certificateFile: z.literal(CERTIFICATE_FILE),
  /** Absent: the key never left the device (CSR). */
  privateKeyFile: z.literal(PRIVATE_KEY_FILE).optional(),
  endpoint: z.string(),
  port: z.number().int(),
  topics: z.object({
    /** Publish telemetry here (QoS 1). */
    telemetry: z.string(),
    /** Or here, through Basic Ingest (no messaging charge). */
    telemetryBasicIngest: z.string(),
    /** Subscribe to this filter for commands. */
    commands: z.string(),
  }),
  retiring: z.array(retiringSchema).optional(),
});
export type ActiveRecord = z.infer<typeof activeRecord>;

/** A revoked device: every certificate it had is (or, after a crash, is being) revoked; new ones need --rotate. */
const revokedRecord = z.object({
  version: z.literal(1),
  status: z.literal('revoked'),
  deviceId: z.string(),
  thingName: z.string(),
  certificates: z.array(certificateRef),
  deleteThing: z.boolean(),
});
export type RevokedRecord = z.infer<typeof revokedRecord>;

/** `device.json`: one device's onboarding state on disk. */
export const deviceRecordSchema = z.discriminatedUnion('status', [activeRecord, revokedRecord]);
export type DeviceRecord = z.infer<typeof deviceRecordSchema>;

/**
 * A certificate created but not yet installed (`pending/pending.json`): written before anything is attached to it, so
 * a crash at any later step leaves a record of it, and the next run finishes the job.
 */
export const pendingSchema = certificateRef.extend({
  hasPrivateKey: z.boolean(),
  /** The certificate this one replaces (a rotation), retired once this one is installed. */
  replaces: certificateRef.optional(),
  deleteReplaced: z.boolean().optional(),
});
export type PendingCertificate = z.infer<typeof pendingSchema>;
