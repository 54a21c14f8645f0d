/** A device's last seen sample, kept by ingest at most once per heartbeat period (offline detection). */
export interface Heartbeat {
  deviceId: string;
  /** Newest sample time known, epoch ms; 0 when the sweep found the device has never reported. */
  lastSeenTs: number;
  /** The `lastSeenTs` for which an offline alarm was already raised: that silence needs no further look. */
  offlineFor?: number;
}

/**
 * Devices' last seen samples. Ingest records many at once (one batch item per invocation, not one item per device);
 * the sweep keeps its own per-device heartbeat for its bookkeeping (offline marks, never-reported devices, a
 * refresh after it read a device's newest reading) and reads both to find devices gone silent.
 */
export interface Heartbeats {
  /** The sweep's own heartbeat of a device: moves only to a newer time, and then clears `offlineFor`. */
  recordHeartbeat(deviceId: string, lastSeenTs: number): Promise<void>;
  /**
   * Ingest's heartbeats of one invocation, written at `writtenAt` (epoch ms) in as few items as their size allows.
   * The writes are not conditional: a reader keeps the newest time it finds per device. Returns the device ids
   * whose heartbeat stayed unwritten.
   */
  recordHeartbeats(
    beats: readonly { deviceId: string; lastSeenTs: number }[],
    writtenAt: number,
  ): Promise<string[]>;
  /**
   * Every device's heartbeat as this reader knows it, the newest time per device. With `since` (epoch ms) it reads
   * afresh: ingest's heartbeats written since then and every heartbeat the sweep kept. Without, it reads only
   * what ingest wrote since its last read (a reader that has not read yet reads everything still stored), so a warm
   * reader pays for new items only.
   */
  heartbeats(options?: { since?: number }): Promise<Heartbeat[]>;
  /** Notes that the offline alarm for the silence since `lastSeenTs` has been dealt with. */
  markOffline(deviceId: string, lastSeenTs: number): Promise<void>;
}
