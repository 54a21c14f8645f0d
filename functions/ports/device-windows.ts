/** Why a device's samples are not expected for a while: out of service for maintenance, or a known outage. */
export type WindowKind = 'maintenance' | 'outage';

/** A time a device was not expected to report, [from, to), epoch ms; completeness leaves it out and lists it. */
export interface DeviceWindow {
  deviceId: string;
  kind: WindowKind;
  from: number;
  to: number;
  reason?: string;
  /** Who declared it (the token's name). */
  by?: string;
  /** When it was recorded, epoch ms. */
  recordedAt: number;
}

/** The longest window the store looks back for: a maintenance lasts at most 30 days, a declared outage 31. */
export const WINDOW_MAX_MS = 31 * 86_400_000;

/** Maintenance and outage windows per device (completeness of the compliance report). */
export interface DeviceWindows {
  /** Stores a window; the same device, start and kind again replaces it (a retried request writes it once). */
  record(window: DeviceWindow): Promise<void>;
  /**
   * Ends early the device's maintenance windows that are running at `at` (a maintenance turned off): their end
   * becomes `at`. Returns how many were shortened.
   */
  endMaintenance(deviceId: string, at: number): Promise<number>;
  /** The device's windows overlapping [from, to), oldest first. */
  list(deviceId: string, from: number, to: number): Promise<DeviceWindow[]>;
  /** Every device's windows overlapping [from, to), oldest first: one read for a whole report. */
  listAll(from: number, to: number): Promise<DeviceWindow[]>;
}
