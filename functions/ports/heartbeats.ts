/** A device's last seen sample, kept by ingest at most once per heartbeat period (offline detection). */
export interface Heartbeat {
  deviceId: string;
  /** Newest sample time known, epoch ms; 0 when the sweep found the device has never reported. */
  lastSeenTs: number;
  /** The `lastSeenTs` for which an offline alarm was already raised: that silence needs no further look. */
  offlineFor?: number;
}

/** Devices' last seen samples: ingest records them, the sweep reads them to find devices gone silent. */
export interface Heartbeats {
  /** Records a device's newest sample time unless a newer one is recorded; clears `offlineFor` when it moves on. */
  recordHeartbeat(deviceId: string, lastSeenTs: number): Promise<void>;
  /**
   * Records many heartbeats in as few writes as the store allows. Unlike `recordHeartbeat` the writes are not
   * conditional: when two batches of one device race, a heartbeat may move back by their difference. That costs
   * no alarm, as the sweep checks a stale heartbeat against the device's newest reading before it calls it offline.
   * Returns the device ids whose heartbeat stayed unwritten.
   */
  recordHeartbeats(beats: readonly { deviceId: string; lastSeenTs: number }[]): Promise<string[]>;
  /**
   * Every heartbeat, in one paged query (a few hundred devices per page); with `seenBefore`, only those last seen
   * before that time and after 0 (never-reported devices are left out), which for a healthy fleet is none.
   */
  heartbeats(options?: { seenBefore?: number }): Promise<Heartbeat[]>;
  /** Notes that the offline alarm for the silence since `lastSeenTs` has been dealt with. */
  markOffline(deviceId: string, lastSeenTs: number): Promise<void>;
}
