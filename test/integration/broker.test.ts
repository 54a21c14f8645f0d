import { createHash } from 'node:crypto';
import { type Socket, connect as tcpConnect } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalBroker, startLocalBroker } from '../../infra/local/broker';
import { BrokerLiveEvents } from '../../infra/local/broker-live-events';
import { MAX_PUBLISH_PAYLOAD_BYTES, type OversizePublish } from '../../infra/local/mqtt-size-guard';
import { closed, connectDevice, type MqttCredentials, publishQos1 } from '../helpers/mqtt';

const CONSOLE_TOKEN = 'console-token-for-tests';
const secrets = new Map<string, string>();
let broker: LocalBroker;
/** How long onPublish takes to hold a message, standing in for the router's spool write. */
let holdMs = 0;
const accepted: { clientId: string; topic: string; payload: string }[] = [];
const refused: { clientId: string; topic: string; why: string }[] = [];
const oversize: OversizePublish[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  broker = await startLocalBroker({
    port: 0,
    auth: { deviceSecrets: secrets, consoleToken: CONSOLE_TOKEN },
    onPublish: async (packet, client) => {
      if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
      accepted.push({ clientId: client.id, topic: packet.topic, payload: packet.payload.toString() });
    },
    onRefused: (packet, client, why) => refused.push({ clientId: client.id, topic: packet.topic, why }),
    onOversize: (publish) => oversize.push(publish),
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  accepted.length = 0;
  refused.length = 0;
  oversize.length = 0;
  holdMs = 0;
});

afterAll(() => broker?.stop());

/** Registers `id` with a secret of its own, as the runtime does for every device of the fleet. */
function registered(id: string): MqttCredentials {
  if (!secrets.has(id)) secrets.set(id, `secret-of-${id}-${Math.random().toString(36).slice(2)}`);
  return { username: id, password: secrets.get(id) as string };
}

async function device(id: string): Promise<MqttClient> {
  const client = await connectDevice(broker.port, id, registered(id));
  clients.push(client);
  return client;
}

async function console_(id: string): Promise<MqttClient> {
  const client = await connectDevice(broker.port, id, { username: 'console', password: CONSOLE_TOKEN });
  clients.push(client);
  return client;
}

/** Subscribes, or reports that the broker closed the connection instead (its answer to a refused filter). */
async function subscribeOutcome(client: MqttClient, filter: string): Promise<'granted' | 'closed'> {
  return Promise.race([
    client.subscribeAsync(filter, { qos: 1 }).then(() => 'granted' as const),
    closed(client).then(() => 'closed' as const),
  ]);
}

function refusalCode(connect: Promise<unknown>): Promise<unknown> {
  return connect.then(
    () => 'connected',
    (err: { code?: unknown }) => err.code,
  );
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
    expect(refused).toEqual([
      {
        clientId: 'wq-intruder',
        topic: 'dt/water/wq-victim',
        why: expect.stringContaining('may publish only to dt/water/wq-intruder'),
      },
    ]);
  });

  it('refuses and reports a publish outside the telemetry topics', async () => {
    const topics = [
      'cmd/wq-other/config',
      'foo/bar',
      '$aws/rules/x/dt/water/wq-other',
      'dt/water/wq-other/extra',
    ];
    for (const topic of topics) {
      const client = await device('wq-other');
      await expect(publishQos1(client, topic, '{}')).rejects.toThrow('connection closed');
    }

    expect(refused.map((r) => r.topic)).toEqual(topics);
    expect(accepted).toEqual([]);
  });

  it('does not let one device disturb another device connection', async () => {
    const victim = await device('wq-victim');
    const intruder = await device('wq-intruder2');

    await expect(publishQos1(intruder, 'dt/water/wq-victim', 'x')).rejects.toThrow();
    await publishQos1(victim, 'dt/water/wq-victim', 'ok');

    expect(accepted.map((a) => a.clientId)).toEqual(['wq-victim']);
  });

  it('lets a device subscribe to its own command topics', async () => {
    const client = await device('wq-cmd');

    const granted = await client.subscribeAsync('cmd/wq-cmd/config', { qos: 1 });
    const all = await client.subscribeAsync('cmd/wq-cmd/#', { qos: 1 });

    expect(granted).toEqual([{ topic: 'cmd/wq-cmd/config', qos: 1 }]);
    expect(all).toEqual([{ topic: 'cmd/wq-cmd/#', qos: 1 }]);
  });

  it.each(['cmd/wq-victim/config', 'cmd/+/config', 'cmd/#', '#', 'evt/#', 'evt/alarms/plant-town'])(
    'disconnects a device subscribing to %s',
    async (filter) => {
      const client = await device('wq-snoop');

      expect(await subscribeOutcome(client, filter)).toBe('closed');
    },
  );
});

describe('local MQTT broker authentication', () => {
  it('refuses a client id that is not a device id', async () => {
    const connect = connectDevice(broker.port, 'not a device!', null);

    expect(await refusalCode(connect)).toBe(2);
  });

  it('refuses a registered device with a wrong password, without one, or under another username', async () => {
    const { password } = registered('wq-locked');

    const wrong = await refusalCode(
      connectDevice(broker.port, 'wq-locked', { username: 'wq-locked', password: `${password}x` }),
    );
    const missing = await refusalCode(connectDevice(broker.port, 'wq-locked', null));
    const otherUser = await refusalCode(
      connectDevice(broker.port, 'wq-locked', { username: 'wq-other', password }),
    );

    expect([wrong, missing, otherUser]).toEqual([4, 4, 4]);
  });

  it('refuses a device id that is not registered, whatever the password', async () => {
    const connect = connectDevice(broker.port, 'wq-unregistered', {
      username: 'wq-unregistered',
      password: 'guess',
    });

    expect(await refusalCode(connect)).toBe(4);
  });

  it('refuses a second connection with a connected device id but no valid secret, and keeps the device', async () => {
    const real = await device('wq-taken');

    const without = await refusalCode(connectDevice(broker.port, 'wq-taken', null));
    const wrong = await refusalCode(
      connectDevice(broker.port, 'wq-taken', { username: 'wq-taken', password: 'stolen?' }),
    );
    await publishQos1(real, 'dt/water/wq-taken', 'still here');

    expect([without, wrong]).toEqual([4, 4]);
    expect(real.connected).toBe(true);
    expect(accepted.map((a) => a.payload)).toEqual(['still here']);
  });

  it('lets a console with the API token subscribe to live events and receive them', async () => {
    const client = await console_('console-ops-1');
    await client.subscribeAsync('evt/#', { qos: 1 });
    const received = new Promise<string>((resolve) => client.once('message', (topic) => resolve(topic)));

    await new BrokerLiveEvents(broker.broker).publish('evt/alarms/plant-town', { event: 'raised' });

    expect(await received).toBe('evt/alarms/plant-town');
  });

  it('refuses a console publishing telemetry, and reports the attempt', async () => {
    const client = await console_('console-ops-2');

    await expect(publishQos1(client, 'dt/water/wq-own', '{"v":1}')).rejects.toThrow('connection closed');

    expect(accepted).toEqual([]);
    expect(refused).toEqual([
      { clientId: 'console-ops-2', topic: 'dt/water/wq-own', why: expect.stringContaining('console') },
    ]);
  });

  it('refuses a console subscribing outside evt/', async () => {
    const client = await console_('console-ops-3');

    expect(await subscribeOutcome(client, 'cmd/wq-own/config')).toBe('closed');
  });

  it('refuses a console with a wrong token, and a console using a device id as client id', async () => {
    registered('wq-console-id');
    const wrong = await refusalCode(
      connectDevice(broker.port, 'console-x', { username: 'console', password: 'nope' }),
    );
    const asDevice = await refusalCode(
      connectDevice(broker.port, 'wq-console-id', { username: 'console', password: CONSOLE_TOKEN }),
    );

    expect([wrong, asDevice]).toEqual([4, 5]);
  });
});

describe('local MQTT broker with ALLOW_ANONYMOUS_DEVICES', () => {
  let open: LocalBroker;
  beforeAll(async () => {
    open = await startLocalBroker({
      port: 0,
      auth: {
        deviceSecrets: new Map([['wq-known', 's3cret']]),
        consoleToken: CONSOLE_TOKEN,
        allowAnonymousDevices: true,
      },
    });
  });
  afterAll(() => open?.stop());

  it('accepts a device without a password, but not a wrong one, and never a takeover without the secret', async () => {
    const anonymous = await connectDevice(open.port, 'wq-anyone', null);
    clients.push(anonymous);
    const wrong = await refusalCode(
      connectDevice(open.port, 'wq-known', { username: 'wq-known', password: 'x' }),
    );
    const takeover = await refusalCode(connectDevice(open.port, 'wq-anyone', null));
    const known = await connectDevice(open.port, 'wq-known', { username: 'wq-known', password: 's3cret' });
    clients.push(known);

    expect([wrong, takeover]).toEqual([4, 5]);
    expect(anonymous.connected).toBe(true);
    expect(known.connected).toBe(true);
  });
});

/** A minimal MQTT 3.1.1 CONNECT, written by hand so a test controls every byte on the wire. */
function connectPacket(clientId: string, username: string, password: string): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, 0xc2, 0, 60]),
    str(clientId),
    str(username),
    str(password),
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

/** A QoS 1 PUBLISH header (fixed header, topic, packet id) for a payload of `payloadBytes`. */
function publishHeader(topic: string, payloadBytes: number): Buffer {
  const t = Buffer.from(topic, 'utf8');
  const variable = Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, Buffer.from([0, 1])]);
  return Buffer.concat([Buffer.from([0x32]), remainingLength(variable.length + payloadBytes), variable]);
}

async function rawConnection(): Promise<{ socket: Socket; received: Buffer[]; ended: Promise<void> }> {
  const socket = tcpConnect(broker.port, '127.0.0.1');
  const received: Buffer[] = [];
  socket.on('data', (b) => received.push(b));
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received, ended };
}

/** Writes `bytes` in pieces of `piece` bytes, one write per turn of the event loop, as a slow network delivers. */
async function dribble(socket: Socket, bytes: Buffer, piece: number): Promise<void> {
  for (let at = 0; at < bytes.length; at += piece) {
    socket.write(bytes.subarray(at, at + piece));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('local MQTT broker size limit (AWS IoT Core: 128 KB per message)', () => {
  it('accepts a payload of exactly the limit, with a packet arriving one byte at a time', async () => {
    const client = await device('wq-big-ok');
    const payload = Buffer.alloc(MAX_PUBLISH_PAYLOAD_BYTES, 0x61);

    await publishQos1(client, 'dt/water/wq-big-ok', payload);
    const raw = await rawConnection();
    const { password } = registered('wq-slow');
    await dribble(raw.socket, connectPacket('wq-slow', 'wq-slow', password), 1);
    await dribble(raw.socket, Buffer.concat([publishHeader('dt/water/wq-slow', 2), Buffer.from('{}')]), 1);
    await vi.waitFor(() => expect(accepted.map((a) => a.clientId)).toContain('wq-slow'));
    raw.socket.destroy();

    expect(accepted.map((a) => [a.clientId, a.payload.length])).toEqual([
      ['wq-big-ok', MAX_PUBLISH_PAYLOAD_BYTES],
      ['wq-slow', 2],
    ]);
    expect(oversize).toEqual([]);
  });

  it.each([
    ['one byte over the limit', MAX_PUBLISH_PAYLOAD_BYTES + 1],
    ['1 MB', 1024 * 1024],
    ['20 MB', 20 * 1024 * 1024],
  ])(
    'refuses a publish of %s, reports its length, hash and a 4 KiB prefix, and keeps serving',
    async (_name, size) => {
      const client = await device('wq-huge');
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4096) payload.write(`${i}|`, i);

      await expect(publishQos1(client, 'dt/water/wq-huge', payload)).rejects.toThrow('connection closed');
      await vi.waitFor(() => expect(oversize).toHaveLength(1));
      const next = await device('wq-after');
      await publishQos1(next, 'dt/water/wq-after', 'small');

      expect(oversize[0]).toEqual({
        topic: 'dt/water/wq-huge',
        clientId: 'wq-huge',
        payloadBytes: size,
        receivedBytes: size,
        sha256: createHash('sha256').update(payload).digest('hex'),
        prefix: payload.subarray(0, 4096),
      });
      expect(accepted).toEqual([{ clientId: 'wq-after', topic: 'dt/water/wq-after', payload: 'small' }]);
    },
  );

  it('records an oversize publish cut off by the sender with what arrived', async () => {
    const raw = await rawConnection();
    const { password } = registered('wq-cut');
    raw.socket.write(connectPacket('wq-cut', 'wq-cut', password));
    await vi.waitFor(() => expect(raw.received.length).toBeGreaterThan(0));
    const part = Buffer.alloc(300_000, 0x62);
    await dribble(raw.socket, Buffer.concat([publishHeader('dt/bin/wq-cut', 5_000_000), part]), 65_536);
    raw.socket.end();
    await raw.ended;

    await vi.waitFor(() => expect(oversize).toHaveLength(1));
    expect(oversize[0]).toMatchObject({
      topic: 'dt/bin/wq-cut',
      clientId: 'wq-cut',
      payloadBytes: 5_000_000,
      receivedBytes: part.length,
      sha256: createHash('sha256').update(part).digest('hex'),
    });
  });

  it('closes a connection sending a non-publish packet over the limit', async () => {
    const raw = await rawConnection();
    const { password } = registered('wq-subflood');
    raw.socket.write(connectPacket('wq-subflood', 'wq-subflood', password));
    // SUBSCRIBE (0x82) declaring a body far over the limit.
    raw.socket.write(Buffer.concat([Buffer.from([0x82]), remainingLength(MAX_PUBLISH_PAYLOAD_BYTES * 4)]));

    await raw.ended;
    expect(oversize).toEqual([]);
  });
});

describe('mqtt.js against the size limit', () => {
  it('sees the refusal as a closed connection, as with AWS IoT Core', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      clientId: 'wq-mqttjs',
      ...registered('wq-mqttjs'),
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const gone = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('dt/water/wq-mqttjs', Buffer.alloc(MAX_PUBLISH_PAYLOAD_BYTES + 10), { qos: 1 });

    await gone;
    await vi.waitFor(() => expect(oversize.map((o) => o.clientId)).toEqual(['wq-mqttjs']));
    await client.endAsync(true);
  });
});
