/** Publishes events for live consumers (operator consoles) on MQTT topics such as `evt/alarms/<siteId>`. */
export interface LiveEvents {
  /** `payload` is sent as JSON. */
  publish(topic: string, payload: unknown): Promise<void>;
}
