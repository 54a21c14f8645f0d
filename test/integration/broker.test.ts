import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBroker, startLocalBroker } from '../../infra/local/broker';
import { closed, connectDevice, publishQos1 } from '../helpers/mqtt';

let broker: LocalBroker;
/** How long onPublish takes to hold a message, standing in for the router's spool write. */
let holdMs = 0;
const accepted: { clientId: string; topic: string; payload: string }[] = [];
const refused: { clientId: string; topic: string }[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  broker = await startLocalBroker({
    port: 0,
    onPublish: async (packet, client) => {
      if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
      accepted.push({ clientId: client.id, topic: packet.topic, payload: packet.payload.toString() });
    },
    onRefused: (packet, client) => refused.push({ clientId: client.id, topic: packet.topic }),
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  accepted.length = 0;
  refused.length = 0;
  holdMs = 0;
});

afterAll(() => broker?.stop());

async function device(id: string): Promise<MqttClient> {
  const client = await connectDevice(broker.port, id);
  clients.push(client);
  return client;
}

describe('local MQTT broker topic restriction', () => {
  it('acknowledges a publish on the device own water and bin topics after handing it over', async () => {
    const client = await device('wq-own');

    await publishQos1(client, 'dt/water/wq-own', '{"v":1}');
    await publishQos1(client, 'dt/bin/wq-own', '{"v":1}');

    expect(accepted).toEqual([
      { clientId: 'wq-own', topic: 'dt/water/wq-own', payload: '{"v":1}' },
      { clientId: 'wq-own', topic: 'dt/bin/wq-own', payload: '{"v":1}' },
    ]);
    expect(client.connected).toBe(true);
  });

  it('sends PUBACK only once onPublish has held the message, so an acknowledged message is never lost', async () => {
    const client = await device('wq-durable');
    holdMs = 50;

    await publishQos1(client, 'dt/water/wq-durable', 'held');

    expect(accepted.map((a) => a.payload)).toEqual(['held']);
  });

  it('disconnects a device publishing on another device topic, without PUBACK, and reports the attempt', async () => {
    const client = await device('wq-intruder');

    const publish = publishQos1(client, 'dt/water/wq-victim', '{"v":1}');

    await expect(publish).rejects.toThrow('connection closed before PUBACK');
    expect(accepted).toEqual([]);
    expect(refused).toEqual([{ clientId: 'wq-intruder', topic: 'dt/water/wq-victim' }]);
  });

  it('refuses a publish outside the telemetry topics', async () => {
    const client = await device('wq-other');

    await expect(publishQos1(client, 'cmd/wq-other/config', '{}')).rejects.toThrow('connection closed');
  });

  it('does not let one device disturb another device connection', async () => {
    const victim = await device('wq-victim');
    const intruder = await device('wq-intruder2');

    await expect(publishQos1(intruder, 'dt/water/wq-victim', 'x')).rejects.toThrow();
    await publishQos1(victim, 'dt/water/wq-victim', 'ok');

    expect(accepted.map((a) => a.clientId)).toEqual(['wq-victim']);
  });

  it('lets a device subscribe to its own command topic', async () => {
    const client = await device('wq-cmd');

    const granted = await client.subscribeAsync('cmd/wq-cmd/config', { qos: 1 });

    expect(granted).toEqual([{ topic: 'cmd/wq-cmd/config', qos: 1 }]);
  });

  it('disconnects a device subscribing to another device command topic', async () => {
    const client = await device('wq-snoop');
    const connectionClosed = closed(client).then(() => 'closed');

    const outcome = await Promise.race([
      client.subscribeAsync('cmd/wq-victim/config', { qos: 1 }).then(() => 'granted'),
      connectionClosed,
    ]);

    expect(outcome).toBe('closed');
  });

  it('refuses a client id that is not a device id', async () => {
    const connect = connectDevice(broker.port, 'not a device!');

    await expect(connect).rejects.toThrow();
  });
});
