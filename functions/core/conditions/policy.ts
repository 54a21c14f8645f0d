/**
 * Defaults per metric: how many consecutive breaching samples raise an alarm (on-delay) and by how much a value must
 * come back inside the level to clear it (deadband). Turbidity is noisy, so it waits for three samples.
 */
export const METRIC_POLICY_DEFAULTS: Readonly<Record<string, { samples: number; deadband: number }>> = {
  turbidity_ntu: { samples: 3, deadband: 0.1 },
  ph: { samples: 2, deadband: 0.1 },
  free_chlorine_mg_l: { samples: 2, deadband: 0.05 },
  total_chlorine_mg_l: { samples: 2, deadband: 0.05 },
  chlorine_dioxide_mg_l: { samples: 2, deadband: 0.02 },
};
/** For metrics not listed: two samples, and a deadband of 2 % of the level. */
export const GENERIC_POLICY = { samples: 2, deadbandFraction: 0.02 } as const;
export const DEVICE_DEFAULTS = { offlineIntervals: 3, lowBatteryPct: 20, batteryDeadband: 5 } as const;
/**
 * Bin alarm policy: a fill level must hold two samples (a hand or a bag under the sensor reads as full for one), with
 * a 5 % deadband; a fire needs one sample and clears 10 °C below its level; a tilt needs one sample.
 */
export const BIN_ALARM_POLICY = { fillSamples: 2, fillDeadband: 5, fireDeadband: 10 } as const;
