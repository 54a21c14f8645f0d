import { type IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { alarmEventTopic } from '../contract';
import type { AlarmEvent, LiveEvents } from '../ports/live-events';

/** Live events through the IoT Data Plane: a QoS 1 JSON message on the contract's topic for the event. */
export class IotLiveEvents implements LiveEvents {
  constructor(private readonly client: IoTDataPlaneClient) {}

  alarmChanged(siteId: string, event: AlarmEvent): Promise<void> {
    return this.publish(alarmEventTopic(siteId), event);
  }

  /** Publishes `payload` as JSON at QoS 1: the one way this adapter talks to the Data Plane. */
  async publish(topic: string, payload: unknown): Promise<void> {
    await this.client.send(
      new PublishCommand({
        topic,
        qos: 1,
        payload: new TextEncoder().encode(JSON.stringify(payload)),
        contentType: 'application/json',
      }),
    );
  }
}
