import type { Device } from '../../functions/core/registry';
import type { ScenarioInstance } from '../scenarios/types';
import { failed } from './api-client';
import { fewAtATime, type PlanContext, type PlannedCheck } from './check';

const key = (r: { ts: number; seq: number }) => `${r.ts}#${r.seq}`;

/** Checks that every acknowledged sample of these devices is readable exactly once, and nothing else arrived. */
export function readingsCheck(
  instance: ScenarioInstance,
  devices: readonly Device[],
  ctx: PlanContext,
): PlannedCheck {
  const subjects = devices.flatMap((d) => {
    const sent = ctx.record.acked.get(d.id);
    return sent ? [{ device: d, sent }] : [];
  });
  const total = subjects.reduce((n, s) => n + s.sent.size, 0);
  const [only] = subjects;
  return {
    scenario: instance.label,
    check: 'readings',
    subject: subjects.length === 1 && only ? only.device.id : `${subjects.length} devices`,
    expected: `${total} acknowledged samples readable, each exactly once, and no other readings from this run`,
    async evaluate(api) {
      if (subjects.length === 0)
        return { ok: false, found: 'no sample was acknowledged, so nothing can be read' };
      const problems: string[] = [];
      let readable = 0;
      await fewAtATime(subjects, async ({ device, sent }) => {
        const keys = [...sent.values()];
        const from = Math.min(...keys.map((k) => k.ts));
        const to = Math.max(...keys.map((k) => k.ts)) + 1;
        const got = await api.readings(device.id, from, to);
        if (failed(got)) {
          problems.push(got.error);
          return;
        }
        const seen = new Map<string, number>();
        for (const r of got) seen.set(key(r), (seen.get(key(r)) ?? 0) + 1);
        const missing = keys.filter((k) => !seen.has(key(k)));
        const doubled = [...seen].filter(([, n]) => n > 1);
        const extra = got.filter((r) => !sent.has(key(r)) && (r.receivedAt ?? 0) >= ctx.since);
        readable += keys.length - missing.length;
        if (missing.length || doubled.length || extra.length) {
          const first = missing[0];
          problems.push(
            `${device.id}: ${missing.length} missing${first ? ` (first seq ${first.seq} at ${new Date(first.ts).toISOString()})` : ''}, ${doubled.length} stored more than once, ${extra.length} unexpected`,
          );
        }
      });
      const head = `${readable}/${total} readable`;
      return problems.length === 0
        ? { ok: true, found: `${head}, none doubled` }
        : {
            ok: false,
            found: `${head}; ${problems.sort().slice(0, 5).join('; ')}${problems.length > 5 ? `; …${problems.length - 5} more` : ''}`,
          };
    },
  };
}

/** Checks that the offline backlog is stored in timestamp order and that `latest` is the newest sample. */
export function backfillCheck(instance: ScenarioInstance, device: Device, ctx: PlanContext): PlannedCheck {
  const backlog = ctx.record.backlog.get(device.id) ?? [];
  const newest = ctx.record.newestTs(device.id);
  return {
    scenario: instance.label,
    check: 'backfill-order',
    subject: device.id,
    expected: `the ${backlog.length}-sample backlog stored in timestamp order; latest = newest sample ${newest === undefined ? '?' : new Date(newest).toISOString()}`,
    async evaluate(api) {
      if (backlog.length === 0 || newest === undefined) {
        return {
          ok: false,
          found:
            'no sample was held back: the run ended before the offline window, or nothing was acknowledged',
        };
      }
      const from = Math.min(...backlog.map((k) => k.ts));
      const got = await api.readings(device.id, from, newest + 1);
      if (failed(got)) return { ok: false, found: got.error };
      const stored = new Set(got.map(key));
      const missing = backlog.filter((k) => !stored.has(key(k))).length;
      const ordered = got.every((r, i) => i === 0 || r.ts >= (got[i - 1]?.ts ?? r.ts));
      const latest = await api.latestTs(device.id);
      const latestText = failed(latest) ? latest.error : `latest = ${new Date(latest).toISOString()}`;
      return {
        ok: missing === 0 && ordered && latest === newest,
        found: `${backlog.length - missing}/${backlog.length} stored, ${ordered ? 'in' : 'NOT in'} timestamp order, ${latestText}`,
      };
    },
  };
}

/** One check per malformed message the run sent to these devices: quarantined once, with the contract's reason. */
export function quarantineChecks(instance: ScenarioInstance, ctx: PlanContext): PlannedCheck[] {
  const ids = new Set(instance.affected.map((a) => a.device.id));
  const sent = ctx.record.malformed.filter((m) => ids.has(m.deviceId));
  if (sent.length === 0) return [nothingToQuarantine(instance)];
  return sent.map((m) => {
    const rogue = m.clientId !== m.deviceId;
    return {
      scenario: instance.label,
      check: 'quarantine',
      subject: rogue ? `${m.clientId} → ${m.topic}` : `${m.deviceId} → ${m.topic}`,
      expected: `one quarantine entry with reason ${m.reason}${rogue ? ', and the publisher disconnected by the broker' : ''}`,
      async evaluate(api) {
        if (m.result === 'failed') return { ok: false, found: 'the message never reached the broker' };
        const listed = await api.quarantine(m.clientId);
        if (failed(listed)) return { ok: false, found: listed.error };
        const payload = Buffer.from(m.payload).toString('base64');
        const entries = listed.filter(
          (e) => e.topic === m.topic && e.payloadBase64 === payload && Date.parse(e.at) >= ctx.since,
        );
        const reasons = entries.map((e) => e.reason);
        const refusedOk = !rogue || m.result === 'refused';
        return {
          ok: entries.length === 1 && reasons[0] === m.reason && refusedOk,
          found: `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}${reasons.length ? ` (${reasons.join(', ')})` : ''}${rogue ? `; publisher ${m.result === 'refused' ? 'disconnected' : `not disconnected (${m.result})`}` : ''}`,
        };
      },
    };
  });
}

/** The run ended before the scenario sent its bad messages: a failure, not a silent pass. */
function nothingToQuarantine(instance: ScenarioInstance): PlannedCheck {
  return {
    scenario: instance.label,
    check: 'quarantine',
    subject: instance.affected.map((a) => a.device.id).join(', '),
    expected: 'bad messages sent and quarantined',
    evaluate: async () => ({
      ok: false,
      found: 'no malformed message was sent: the run ended before the window',
    }),
  };
}
