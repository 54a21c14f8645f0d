import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import { DEVICE_ID_PATTERN } from '../../functions/core/contract';

export interface LocalBroker {
  broker: Aedes;
  port: number;
  stop(): Promise<void>;
}

/** Topics a device may publish to: its own telemetry topics, as the IoT policy allows in the cloud. */
export function mayPublish(clientId: string, topic: string): boolean {
  return topic === `dt/water/${clientId}` || topic === `dt/bin/${clientId}`;
}

/** Topics a client may subscribe to: its own command topics, and live events for consoles. */
export function maySubscribe(clientId: string, topicFilter: string): boolean {
  return (
    topicFilter === `cmd/${clientId}/config` ||
    topicFilter === `cmd/${clientId}/#` ||
    topicFilter.startsWith('evt/')
  );
}

export interface BrokerOptions {
  port?: number;
  /**
   * Called for every accepted publish before the broker acknowledges it (PUBACK for QoS 1), so a message is
   * acknowledged only once the service holds it.
   */
  onPublish?: (packet: AedesPublishPacket, client: Client) => Promise<void>;
  /** Called for a refused publish (the client is disconnected), so the attempt can be quarantined, not lost. */
  onRefused?: (packet: AedesPublishPacket, client: Client) => void;
  log?: (line: string) => void;
}

/**
 * The embedded MQTT broker standing in for AWS IoT Core: MQTT 3.1.1 on loopback, client id = device id, and a
 * device may publish only to `dt/<kind>/<its client id>` (a refused publish disconnects the client, as MQTT 3.1.1
 * has no negative acknowledgement).
 */
export async function startLocalBroker(options: BrokerOptions = {}): Promise<LocalBroker> {
  const broker = await Aedes.createBroker({
    authenticate: (client, _username, _password, done) => {
      if (DEVICE_ID_PATTERN.test(client.id)) return done(null, true);
      const error = Object.assign(new Error(`client id "${client.id}" is not a device id`), {
        returnCode: 2,
      });
      done(error, false);
    },
    authorizePublish: (client, packet, done) => {
      if (client && !mayPublish(client.id, packet.topic)) {
        options.log?.(
          `refused publish by ${client.id} to ${packet.topic}: a device may publish only to its own topics`,
        );
        options.onRefused?.(packet as AedesPublishPacket, client);
        return done(new Error(`client ${client.id} may not publish to ${packet.topic}`));
      }
      // aedes writes the QoS 1 PUBACK before its `published` hook runs, so the message is handed over here.
      if (!client || !options.onPublish) return done(null);
      options.onPublish(packet as AedesPublishPacket, client).then(
        () => done(null),
        (err: Error) => done(err),
      );
    },
    authorizeSubscribe: (client, sub, done) => {
      if (client && !maySubscribe(client.id, sub.topic)) {
        return done(new Error(`client ${client.id} may not subscribe to ${sub.topic}`), null);
      }
      done(null, sub);
    },
  });
  const server: Server = createServer(broker.handle);
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
