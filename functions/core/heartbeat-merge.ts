/** A device's last seen time as one heartbeat item tells it. */
interface Seen {
  deviceId: string;
  lastSeenTs: number;
  offlineFor?: number;
}

/**
 * Folds one heartbeat into what is known of its device. The newest last seen time wins, whichever item told it
 * (heartbeat batches of several ingest invocations, the sweep's own item), so the order items are read in does not
 * matter. Only the sweep's item carries an offline mark; a mark stays with the silence it was set for, so once a
 * newer time is known the device counts as reporting again.
 */
export function mergeHeartbeat<T extends Seen>(known: Map<string, T>, beat: T): void {
  const prev = known.get(beat.deviceId);
  if (!prev) {
    known.set(beat.deviceId, { ...beat });
    return;
  }
  const merged = { ...prev, lastSeenTs: Math.max(prev.lastSeenTs, beat.lastSeenTs) };
  if (beat.offlineFor !== undefined) merged.offlineFor = beat.offlineFor;
  known.set(beat.deviceId, merged);
}
