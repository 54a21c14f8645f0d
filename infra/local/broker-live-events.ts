import type { Aedes } from 'aedes';
import { alarmEventTopic } from '../../functions/contract';
import type { AlarmEvent, LiveEvents } from '../../functions/ports/live-events';

/** Live events through the embedded broker, as the IoT Data Plane publishes them in the cloud: QoS 1 JSON. */
export class BrokerLiveEvents implements LiveEvents {
  constructor(private readonly broker: Pick<Aedes, 'publish'>) {}

  alarmChanged(siteId: string, event: AlarmEvent): Promise<void> {
    return this.publish(alarmEventTopic(siteId), event);
  }

  /** Publishes `payload` as JSON at QoS 1: the one way this adapter talks to the broker. */
  publish(topic: string, payload: unknown): Promise<void> {
    return new Promise((resolve, reject) =>
      this.broker.publish(
        {
          cmd: 'publish',
          topic,
          payload: Buffer.from(JSON.stringify(payload)),
          qos: 1,
          retain: false,
          dup: false,
        },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
}
