import { describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from '../../../functions/shared/time';
import type { ReplaySample } from '../../../functions/use-cases/alarm-replay';
import { readFleetFile } from '../../../infra/fleet/read-fleet';
import { type ReplayBacking, replayFleetDevice } from '../../../infra/local/alarm-replay-service';

const T0 = Date.UTC(2026, 0, 5);
const DEVICE = 'wq-town-hospital';

/** One pH sample a minute; a little noise at the sensor's resolution so the stuck rule stays quiet. */
const series = (minutes: number, ph: (i: number) => number, extra: Partial<ReplaySample> = {}) =>
  Array.from({ length: minutes }, (_, i) => ({
    ts: T0 + i * MINUTE_MS,
    values: { ph: Number((ph(i) + 0.01 * (i % 3)).toFixed(2)) },
    ...extra,
  }));

const sent = (r: Awaited<ReturnType<typeof replayFleetDevice>>, audience: string, kind: string) =>
  r.notifier.tally.byAudience.get(audience as never)?.get(kind as never) ?? 0;

async function replay(
  samples: ReplaySample[],
  env: Record<string, string> = {},
  batchSize = 5,
  backing: ReplayBacking = 'memory',
) {
  const { fleet } = await readFleetFile();
  return replayFleetDevice(fleet, DEVICE, samples, { batchSize, tailMs: 0, env, backing });
}

describe('replaying a device through the alarm engine and sweep on the data clock', () => {
  it('sends a flapping limit breach one raise per pacing period, and every raise without pacing', async () => {
    // Over the pH limit for 4 minutes, back for 4, for 2 hours.
    const flapping = series(120, (i) => (i % 8 < 4 ? 9.2 : 7.6));
    const paced = await replay(flapping);
    // One episode, back in alarm before anyone acknowledged it: each return is a raise the pacing period folds.
    expect(paced.alarms.filter((a) => a.condition === 'limit:ph:max')).toHaveLength(1);
    expect(sent(paced, 'operators', 'raised')).toBe(2);
    const unpaced = await replay(flapping, { RAISE_SMS_MIN_INTERVAL_MIN: '0' });
    expect(sent(unpaced, 'operators', 'raised')).toBeGreaterThan(5);
    // Every phone subscribed to the site gets each raise: per phone counts follow the fleet's subscriptions.
    expect(paced.notifier.tally.byPhone.size).toBeGreaterThan(0);
    expect(paced.notifier.tally.unrouted).toBe(0);
  }, 60_000);

  it('reminds an unacknowledged alarm REMINDER_MAX times and escalates it once to supervisors', async () => {
    const high = series(3 * 60, () => 9.2);
    const r = await replay(high, { REMINDER_MAX: '2' }, 10);
    expect(sent(r, 'operators', 'raised')).toBe(1);
    expect(sent(r, 'operators', 'reminder')).toBe(2);
    expect(sent(r, 'supervisors', 'escalation')).toBe(1);
    // Quiet ticks are skipped, but every minute of the open alarm's first hours was swept.
    expect(r.sweeps).toBeLessThan(3 * 60);
    const more = await replay(high, { REMINDER_MAX: '4' }, 10);
    expect(sent(more, 'operators', 'reminder')).toBe(4);
  }, 60_000);

  it('summarises an episode over before a backfill ended in one message, without a raise', async () => {
    const back = T0 + 2 * HOUR_MS;
    // Stored on the device and sent in one message an hour late; the device is live again afterwards.
    const stored = series(40, (i) => (i >= 10 && i < 20 ? 9.2 : 7.6), { receivedAt: back });
    const live = series(50, () => 7.6).map((s) => ({ ...s, ts: back + s.ts - T0 }));
    const r = await replay([...stored, ...live], {}, 40);
    expect(r.alarms.some((a) => a.condition === 'limit:ph:max')).toBe(true);
    expect(sent(r, 'operators', 'raised')).toBe(0);
    expect(sent(r, 'operators', 'digest')).toBe(1);
  }, 60_000);

  it('counts the same SMS, at the same data times, on the in-memory stores as on the DynamoDB adapters', async () => {
    // Flapping (pacing), then a long breach nobody acknowledges (reminders, escalation), then a backfill holding an
    // episode over before it ended (summary) and an episode still active at its end (sent, saying since when).
    const flapping = series(60, (i) => (i % 8 < 4 ? 9.2 : 7.6));
    const later = (from: number, list: ReplaySample[]) =>
      list.map((s) => ({ ...s, ts: s.ts + from * MINUTE_MS }));
    const high = later(
      60,
      series(60, () => 9.2),
    );
    const back = T0 + 160 * MINUTE_MS;
    const stored = later(
      125,
      series(30, (i) => (i >= 5 && i < 10 ? 5.5 : i >= 25 ? 9.3 : 7.6), { receivedAt: back }),
    );
    const live = later(
      160,
      series(30, () => 7.6),
    );
    const samples = [...flapping, ...high, ...stored, ...live];
    const env = { REMINDER_MAX: '2', REMINDER_MIN: '10', ESCALATE_AFTER_MIN: '20' };
    const [memory, dynalite] = [await replay(samples, env, 10), await replay(samples, env, 10, 'dynalite')];
    const summary = (r: typeof memory) => ({
      sent: r.notifier.tally.sent,
      byPhone: [...r.notifier.tally.byPhone].map(([phone, kinds]) => [phone, [...kinds]]).sort(),
      unrouted: r.notifier.tally.unrouted,
      sweeps: r.sweeps,
      alarms: r.alarms
        .map((a) => [a.condition, a.state, a.raisedAt, a.remindersSent, a.escalatedAt, a.notificationCount])
        .sort(),
    });
    expect(summary(memory)).toEqual(summary(dynalite));
    // The series exercises every rule the replay counts: raises, pacing, reminders, escalation, clears, the summary.
    const kinds = new Set(memory.notifier.tally.sent.map((n) => `${n.audience}:${n.kind}`));
    for (const k of [
      'operators:raised',
      'operators:reminder',
      'supervisors:escalation',
      'operators:cleared',
      'operators:digest',
    ])
      expect(kinds).toContain(k);
    expect(sent(memory, 'operators', 'reminder')).toBe(2);
  }, 60_000);
});
