/** The alarm holding a device's condition slot, and when it took it. */
export interface OpenSlot {
  alarmId: string;
  at: number;
}

/** Per device, which alarm holds each condition: at most one alarm per device and condition at a time. */
export interface OpenAlarmIndex {
  /** condition key → id of the alarm holding it (open, or closed but not yet released). */
  openIndex(deviceId: string): Promise<Record<string, OpenSlot>>;
  /** `openIndex` for many devices in as few reads as the store allows; every asked id is in the answer. */
  openIndexes(deviceIds: readonly string[]): Promise<Map<string, Record<string, OpenSlot>>>;
  /** Takes the device/condition slot for `alarmId` unless another alarm holds it; returns the holder. */
  acquire(deviceId: string, condition: string, alarmId: string, at: number): Promise<string>;
  /** Frees the slot if `alarmId` still holds it. */
  release(deviceId: string, condition: string, alarmId: string): Promise<void>;
}
