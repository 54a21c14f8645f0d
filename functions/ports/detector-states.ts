import type { DetectorState } from '../core/event-detector';

/** A device's stored detector state and the revision it was read at (for a conditional write). */
export interface StoredDetectorState {
  state: DetectorState;
  rev: number;
}

/** The event detector's per-device state: read once per device and batch, written only when it changed. */
export interface DetectorStates {
  /** The stored states of these devices, in one batched read; a device with none is absent. */
  detectorStates(deviceIds: readonly string[]): Promise<Map<string, StoredDetectorState>>;
  /**
   * Stores a device's state if it is still at revision `rev` (undefined: nothing stored yet); false when another
   * writer got there first, so the caller reads again and reruns the detector.
   */
  saveDetectorState(deviceId: string, state: DetectorState, rev: number | undefined): Promise<boolean>;
}
