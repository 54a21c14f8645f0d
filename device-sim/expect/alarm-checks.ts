import type { Device } from '../../functions/core/registry';
import type { OutcomeSpec, ScenarioInstance } from '../scenarios/types';
import { residualMetric } from '../signals/water';
import { type AlarmView, failed } from './api-client';
import {
  audienceFor,
  describeCount,
  type PlanContext,
  type PlannedCheck,
  windowStart,
  within,
} from './check';

/** The metric an alarm outcome names at this device: its residual, the scenario's metric, or a literal one. */
function metricOf(
  spec: Extract<OutcomeSpec, { check: 'alarm' }>,
  instance: ScenarioInstance,
  device: Device,
) {
  if (spec.metric === '$residual') return device.kind === 'water' ? residualMetric(device) : undefined;
  if (spec.metric === '$metric') return instance.params.metric;
  return spec.metric;
}

const describeAlarm = (a: AlarmView) =>
  [a.alarmId, a.severity, a.condition ?? a.metric, a.state, a.late ? 'late' : ''].filter(Boolean).join(' ');

/**
 * Checks the alarms the service raised at a device during the scenario (water-quality alarms and sensor faults
 * alike): how many match the severity, metric and audience the scenario expects, and which others there are.
 */
export function alarmCheck(
  instance: ScenarioInstance,
  spec: Extract<OutcomeSpec, { check: 'alarm' }>,
  device: Device,
  ctx: PlanContext,
): PlannedCheck {
  const metric = metricOf(spec, instance, device);
  const audience = spec.audience ? audienceFor(spec.audience, device.kind) : undefined;
  const start = windowStart(instance, device.id, ctx.simStart);
  const what = [
    spec.severity ?? 'any-severity',
    spec.condition ? `${spec.condition.replace(/:$/, '')}` : '',
    'alarm',
    metric ? `on ${metric}` : '',
    audience ? `for ${audience}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    scenario: instance.label,
    check: 'alarm',
    subject: device.id,
    expected: describeCount(spec.count, what),
    async evaluate(api) {
      const reached = [...(ctx.record.acked.get(device.id)?.values() ?? [])].some((k) => k.ts >= start);
      if (!reached)
        return { ok: false, found: `the scenario never reached ${device.id}: no sample after its start` };
      const listed = await api.alarms(device.id);
      if (failed(listed)) return { ok: false, found: listed.error };
      const since = Math.min(ctx.since, start);
      const all = listed.filter((a) => a.deviceId === device.id);
      const matching = all.filter(
        (a) =>
          (!spec.severity || a.severity === spec.severity) &&
          (!spec.condition || (a.condition ?? '').startsWith(spec.condition)) &&
          (!metric || a.metric === metric) &&
          (!audience || a.audience === audience) &&
          (a.raisedAt ?? since) >= since,
      );
      const others = all.filter((a) => !matching.includes(a));
      return {
        ok: within(matching.length, spec.count),
        found: `${matching.length} matching${matching.length ? ` (${matching.map(describeAlarm).join(', ')})` : ''}${others.length ? `; other alarms at the device: ${others.slice(0, 3).map(describeAlarm).join(', ')}` : ''}`,
      };
    },
  };
}

/** Checks the SMS each recipient of the expected audience got about these devices, from the outbox. */
export function smsCheck(
  instance: ScenarioInstance,
  spec: Extract<OutcomeSpec, { check: 'sms' }>,
  devices: readonly [Device, ...Device[]],
  ctx: PlanContext,
): PlannedCheck {
  const ids = new Set(devices.map((d) => d.id));
  const [first] = devices;
  const audience = audienceFor(spec.audience, first.kind);
  return {
    scenario: instance.label,
    check: 'sms',
    subject: devices.length === 1 ? first.id : `${devices.length} devices`,
    expected: `${describeCount(spec.count, spec.severity ? `${spec.severity} SMS` : 'SMS')} to each ${audience} recipient, naming ${devices.length === 1 ? 'the device' : 'one of them'}`,
    async evaluate(api) {
      const lines = await api.outbox();
      if (lines === undefined) {
        return { ok: within(0, spec.count), found: `no outbox file at ${api.outboxFile}` };
      }
      const matching = lines.filter(
        (l) =>
          ids.has(l.deviceId) &&
          l.audience === audience &&
          (!spec.severity || l.severity === spec.severity) &&
          (Date.parse(l.at) || 0) >= ctx.since,
      );
      // The outbox holds one line per recipient: judge what each recipient received.
      const perRecipient = new Map<string, number>();
      for (const l of matching) perRecipient.set(l.to, (perRecipient.get(l.to) ?? 0) + 1);
      const counts = [...perRecipient.values()];
      const alarms = new Set(matching.map((l) => l.alarmId));
      const [firstLine] = matching;
      return {
        ok: counts.length === 0 ? within(0, spec.count) : counts.every((n) => within(n, spec.count)),
        found: firstLine
          ? `${perRecipient.size} recipient(s) got ${[...new Set(counts)].join(' or ')} SMS each, about ${alarms.size} alarm(s); first: "${firstLine.text.slice(0, 70)}"`
          : 'no SMS',
      };
    },
  };
}
