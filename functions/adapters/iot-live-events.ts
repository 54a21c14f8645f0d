import { type IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import type { LiveEvents } from '../ports/live-events';

/** Live events through the IoT Data Plane: a QoS 1 JSON message on the topic. */
export class IotLiveEvents implements LiveEvents {
  constructor(private readonly client: IoTDataPlaneClient) {}

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
