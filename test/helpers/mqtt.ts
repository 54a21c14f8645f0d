import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import type { LocalRuntime } from '../../infra/local/runtime';

const closings = new WeakMap<MqttClient, Promise<void>>();

/** MQTT username and password: a device's id and secret, or `console` and the API token. */
export interface MqttCredentials {
  username: string;
  password: string;
}

/** A device's credentials as `npm start` wrote them: username = device id, password = its secret file. */
export function deviceCredentials(
  runtime: Pick<LocalRuntime, 'deviceSecretFile'>,
  deviceId: string,
): MqttCredentials {
  return { username: deviceId, password: readFileSync(runtime.deviceSecretFile(deviceId), 'utf8') };
}

/** A console's credentials: username `console`, the API token as password. */
export function consoleCredentials(runtime: Pick<LocalRuntime, 'apiToken'>): MqttCredentials {
  return { username: 'console', password: runtime.apiToken };
}

/**
 * Connects as a device would (MQTT 3.1.1, client id = device id), without automatic reconnects. `credentials` is
 * explicit at every call, null for none, so a test says whether it authenticates.
 */
export async function connectDevice(
  port: number,
  clientId: string,
  credentials: MqttCredentials | null,
): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...(credentials ?? {}),
  });
  closings.set(client, new Promise((resolve) => client.once('close', () => resolve())));
  return client;
}

/** Resolves when the connection has closed, whichever side closed it. */
export function closed(client: MqttClient): Promise<void> {
  return closings.get(client) ?? Promise.reject(new Error('client was not connected with connectDevice'));
}

/**
 * Publishes with QoS 1 and resolves on the broker's PUBACK. Rejects if the connection closes first, which is how
 * a broker refuses a publish under MQTT 3.1.1 (mqtt.js would otherwise keep the message for a reconnect).
 */
export async function publishQos1(
  client: MqttClient,
  topic: string,
  payload: Buffer | string,
): Promise<void> {
  const lost = closed(client).then(() => {
    throw new Error(`connection closed before PUBACK for ${topic}`);
  });
  lost.catch(() => undefined);
  await Promise.race([client.publishAsync(topic, payload, { qos: 1 }), lost]);
}

/** Connects as a registered device of the runtime (with its secret), publishes every payload with QoS 1 in order, and disconnects. */
export async function publishAs(
  runtime: Pick<LocalRuntime, 'mqttPort' | 'deviceSecretFile'>,
  clientId: string,
  messages: readonly { topic: string; payload: Buffer | string }[],
): Promise<void> {
  const client = await connectDevice(runtime.mqttPort, clientId, deviceCredentials(runtime, clientId));
  try {
    for (const m of messages) await publishQos1(client, m.topic, m.payload);
  } finally {
    await client.endAsync();
  }
}
