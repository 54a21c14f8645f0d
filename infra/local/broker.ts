import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client } from 'aedes';
import {
  type ClientRole,
  DEVICE_ID_PATTERN,
  isPermitted,
  telemetryTopic,
  topicPermissions,
} from '../../functions/contract';
import { CONSOLE_USERNAME } from './mqtt-credentials';
import { MAX_PUBLISH_PAYLOAD_BYTES, MqttSizeGuard, type OversizePublish } from './mqtt-size-guard';

export interface LocalBroker {
  broker: Aedes;
  port: number;
  stop(): Promise<void>;
}

const LOCAL_PERMISSIONS = topicPermissions('local');

/** Topics a client may publish to: a device its own telemetry topics, as the IoT policy allows in the cloud. */
export function mayPublish(role: ClientRole, clientId: string, topic: string): boolean {
  return isPermitted(LOCAL_PERMISSIONS, { action: 'publish', who: role, clientId, topic });
}

/**
 * Topic filters a client may subscribe to. A device: only filters under its own `cmd/<id>/`, as the IoT policy's
 * `cmd/${iot:Connection.Thing.ThingName}/*`; the id level is literal, so a wildcard after it cannot reach another
 * device. A console: live events (`evt/…`) only.
 */
export function maySubscribe(role: ClientRole, clientId: string, topicFilter: string): boolean {
  return isPermitted(LOCAL_PERMISSIONS, { action: 'subscribe', who: role, clientId, topic: topicFilter });
}

/** Topics a client may receive, checked on every delivery as IoT Core checks `iot:Receive`. */
export function mayReceive(role: ClientRole, clientId: string, topic: string): boolean {
  return isPermitted(LOCAL_PERMISSIONS, { action: 'receive', who: role, clientId, topic });
}

interface BrokerAuth {
  /** Local MQTT password of every registered device, by device id (`$DATA_DIR/devices/<id>.secret`). */
  deviceSecrets: ReadonlyMap<string, string>;
  /** Password of console clients (username `console`): the runtime's API token. */
  consoleToken: string;
  /**
   * Accept a device that sends no password (quick experiments). A wrong password is still refused, and a client id
   * that is already connected still cannot be taken over without its secret.
   */
  allowAnonymousDevices?: boolean;
}

export interface BrokerOptions {
  port?: number;
  auth: BrokerAuth;
  /** Largest PUBLISH payload accepted; AWS IoT Core's 128 KB by default. */
  maxPayloadBytes?: number;
  /**
   * Called for every accepted publish before the broker acknowledges it (PUBACK for QoS 1), so a message is
   * acknowledged only once the service holds it.
   */
  onPublish?: (packet: AedesPublishPacket, client: Client) => Promise<void>;
  /** Called for a refused publish (the client is disconnected), so the attempt can be quarantined, not lost. */
  onRefused?: (packet: AedesPublishPacket, client: Client, why: string) => void;
  /** Called for a publish over the size limit (the client is disconnected); the payload itself is not kept. */
  onOversize?: (publish: OversizePublish) => void;
  log?: (line: string) => void;
}

function sameSecret(given: Buffer | undefined, expected: string | undefined): boolean {
  if (given === undefined || expected === undefined) return false;
  // Compare digests so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function refusal(returnCode: 2 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * The embedded MQTT broker standing in for AWS IoT Core, as strict as the cloud policy: MQTT 3.1.1 on loopback;
 * a device authenticates with client id = username = device id and its secret, publishes only to
 * `dt/<kind>/<its id>` and subscribes only under `cmd/<its id>/`; a console authenticates with the API token and
 * subscribes only to `evt/…`. A refused publish disconnects the client (MQTT 3.1.1 has no negative acknowledgement)
 * and is reported; a packet over the size limit is refused before it is buffered.
 */
export async function startLocalBroker(options: BrokerOptions): Promise<LocalBroker> {
  const { auth } = options;
  const roles = new WeakMap<Client, ClientRole>();
  const log = options.log ?? (() => undefined);
  const broker: Aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const id = client.id;
      const refuse = (error: AuthenticateError) => {
        log(`refused connection of ${id}: ${error.message}`);
        done(error, false);
      };
      const isDevice = auth.deviceSecrets.has(id);
      if (username === CONSOLE_USERNAME) {
        if (isDevice) {
          return refuse(
            refusal(5, `client id "${id}" is a device id; a console uses a client id of its own`),
          );
        }
        if (!sameSecret(password, auth.consoleToken)) {
          return refuse(refusal(4, 'console password is not the API token'));
        }
        roles.set(client, 'console');
        return done(null, true);
      }
      if (!DEVICE_ID_PATTERN.test(id)) {
        return refuse(refusal(2, `client id "${id}" is not a device id`));
      }
      if (username !== undefined && username !== id) {
        return refuse(refusal(4, `username "${username}" must be the device id "${id}" (or "console")`));
      }
      if (username === id && sameSecret(password, auth.deviceSecrets.get(id))) {
        roles.set(client, 'device');
        return done(null, true);
      }
      if (password !== undefined) {
        return refuse(
          refusal(4, isDevice ? 'wrong device secret' : `no secret for unregistered device ${id}`),
        );
      }
      if (!auth.allowAnonymousDevices) {
        return refuse(
          refusal(4, 'no password: a device connects with its secret from $DATA_DIR/devices/<id>.secret'),
        );
      }
      // Anonymous devices must not be a way to take over a connected one (aedes closes the older connection).
      if ((broker as unknown as { clients: Record<string, Client | undefined> }).clients[id]) {
        return refuse(refusal(5, `${id} is already connected; taking it over needs the device secret`));
      }
      roles.set(client, 'device');
      done(null, true);
    },
    authorizePublish: (client, packet, done) => {
      if (client) {
        const role = roles.get(client);
        const why =
          role === 'console'
            ? `console client ${client.id} may not publish (consoles subscribe to evt/… only)`
            : mayPublish('device', client.id, packet.topic)
              ? undefined
              : `device ${client.id} may publish only to ${telemetryTopic('water', client.id)} or ${telemetryTopic('bin', client.id)}`;
        if (why) {
          log(`refused publish by ${client.id} to ${packet.topic}: ${why}`);
          options.onRefused?.(packet as AedesPublishPacket, client, why);
          return done(new Error(`client ${client.id} may not publish to ${packet.topic}`));
        }
      }
      // aedes writes the QoS 1 PUBACK before its `published` hook runs, so the message is handed over here.
      if (!client || !options.onPublish) return done(null);
      options.onPublish(packet as AedesPublishPacket, client).then(
        () => done(null),
        (err: Error) => done(err),
      );
    },
    authorizeSubscribe: (client, sub, done) => {
      if (client && !maySubscribe(roles.get(client) ?? 'device', client.id, sub.topic)) {
        log(`refused subscription of ${client.id} to ${sub.topic}`);
        return done(new Error(`client ${client.id} may not subscribe to ${sub.topic}`), null);
      }
      done(null, sub);
    },
    authorizeForward: (client, packet) =>
      mayReceive(roles.get(client) ?? 'device', client.id, packet.topic) ? packet : null,
  });
  const server: Server = createServer((socket) => {
    broker.handle(
      new MqttSizeGuard(socket, {
        maxPayloadBytes: options.maxPayloadBytes ?? MAX_PUBLISH_PAYLOAD_BYTES,
        onOversize: (publish) => options.onOversize?.(publish),
        log,
      }),
    );
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  return {
    broker,
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
