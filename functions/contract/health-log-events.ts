/**
 * Log messages that pipeline-health metric filters count (the functions log JSON with a `message` key).
 * `evaluationStuck`: the alarm sweep could not evaluate a device's stored samples for a long time.
 */
export const HEALTH_LOG_EVENTS = { evaluationStuck: 'alarm evaluation stuck' } as const;
