import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alarmEventTopic } from '../../../functions/contract';
import { type LocalBroker, startLocalBroker } from '../../../infra/local/broker';
import { BrokerLiveEvents } from '../../../infra/local/broker-live-events';

let broker: LocalBroker;

beforeAll(async () => {
  broker = await startLocalBroker({
    port: 0,
    auth: { deviceSecrets: new Map(), consoleToken: 'live-events-token' },
  });
});

afterAll(() => broker?.stop());

describe('live events through the embedded broker', () => {
  it('reach a console subscribed to evt/alarms/<siteId> as JSON', async () => {
    const console = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      clientId: 'console-1',
      username: 'console',
      password: 'live-events-token',
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    try {
      await console.subscribeAsync('evt/alarms/+', { qos: 1 });
      const received = new Promise<{ topic: string; payload: unknown }>((resolve) =>
        console.once('message', (topic, payload) =>
          resolve({ topic, payload: JSON.parse(payload.toString()) }),
        ),
      );

      await new BrokerLiveEvents(broker.broker).publish(alarmEventTopic('plant-town'), {
        event: 'raised',
        alarmId: 'A7K2M9QXR',
      });

      expect(await received).toEqual({
        topic: 'evt/alarms/plant-town',
        payload: { event: 'raised', alarmId: 'A7K2M9QXR' },
      });
    } finally {
      await console.endAsync(true);
    }
  });
});
