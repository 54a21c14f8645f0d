import '../../helpers/quiet-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDeps } from '../../../functions/composition';
import type { Device } from '../../../functions/core/registry';
import { buildApiHandler } from '../../../functions/handlers/api-handler';
import { type ApiCaller, apiEvent, lambdaContext } from '../../helpers/aws-events';
import { fileDeadLetters } from '../../helpers/dead-letters';
import { binDevice, waterDevice } from '../../helpers/telemetry';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { type Harness, startHarness } from './harness';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 10, 28, 2, 0, 0);
const outlet: Device = waterDevice('wq-1', { measurementPoint: 'plant_outlet' });
const tap: Device = waterDevice('wq-2', { measurementPoint: 'plant_outlet' });

const viewer: ApiCaller = { username: 'v-1', email: 'clerk@county.example.cn', groups: ['viewer'] };
const crew: ApiCaller = { username: 's-1', email: 'crew@county.example.cn', groups: ['sanitation'] };
const operator: ApiCaller = {
  sub: '7d1e0c55-0000-4000-8000-00000000000a',
  username: 'o-1',
  email: 'ma@county.example.cn',
  groups: ['operator'],
};
const engineer: ApiCaller = { username: 'e-1', email: 'li@county.example.cn', groups: ['engineer'] };

describe('route authorization and the actor from the token (dynalite)', () => {
  let h: Harness;
  let dlqDir: string;
  let handler: ReturnType<typeof buildApiHandler>;
  let alarmId: string;

  async function call(
    caller: ApiCaller | undefined,
    routeKey: string,
    pathParameters: Record<string, string>,
    body?: unknown,
  ) {
    const event = apiEvent(routeKey, { pathParameters, caller });
    if (caller === undefined) delete (event.requestContext as { authorizer?: unknown }).authorizer;
    if (body !== undefined) event.body = JSON.stringify(body);
    const res = await handler(event, lambdaContext('api'));
    return { status: res.statusCode, body: JSON.parse(res.body ?? 'null') as Record<string, unknown> };
  }

  /** Two minutes of chlorine loss at a plant outlet: a critical alarm for operators. */
  async function chlorineLoss(deviceId: string, from: number): Promise<string | undefined> {
    for (const [i, chlorine] of [0.6, 0.1, 0.1, 0.08].entries()) {
      h.clock.t = from + i * MIN + 1000;
      await h.ingest(deviceId, 'water', [
        {
          v: 1,
          ts: from + i * MIN,
          seq: Math.floor(from / MIN) + i,
          m: { free_chlorine_mg_l: chlorine, ph: 7.2 },
        },
      ]);
    }
    const open = await h.service.alarms.list({ status: 'open', deviceId, limit: 10 });
    return open.items[0]?.alarmId;
  }

  beforeAll(async () => {
    h = await startHarness([outlet, tap, binDevice('bin-1')], START);
    dlqDir = await makeTempDir();
    handler = buildApiHandler(apiDeps(h.service, fileDeadLetters(dlqDir)));
    alarmId = (await chlorineLoss('wq-1', START)) as string;
  });

  afterAll(async () => {
    await h?.stop();
    if (dlqDir) await removeTempDir(dlqDir);
  });

  it('raised a critical chlorine alarm for operators to act on', async () => {
    const alarm = await h.service.alarms.head(alarmId);
    expect(alarm).toMatchObject({ audience: 'operators', severity: 'critical', state: 'active_unack' });
  });

  it('answers 401 without the authorizer claims and 403 to an account in no role group', async () => {
    const none = await call(undefined, 'GET /alarms', {});
    const noRole = await call(
      { username: 'x', email: 'new@county.example.cn', groups: ['supervisors'] },
      'GET /alarms',
      {},
    );

    expect(none.status).toBe(401);
    expect(noRole).toEqual({
      status: 403,
      body: { message: expect.stringMatching(/new@county.example.cn has no role.*viewer, sanitation/) },
    });
  });

  it('lets a viewer read alarms but not acknowledge one, and says which roles may', async () => {
    const list = await call(viewer, 'GET /alarms', {});
    const ack = await call(viewer, 'POST /alarms/{id}/ack', { id: alarmId }, { by: viewer.email });

    expect(list.status).toBe(200);
    expect(ack).toEqual({
      status: 403,
      body: {
        message:
          'POST /alarms/{id}/ack needs the role sanitation, operator, engineer or admin (permission alarm:acknowledge); you are viewer',
      },
    });
    expect((await h.service.alarms.head(alarmId))?.state).toBe('active_unack');
  });

  it('keeps a sanitation crew off a water alarm', async () => {
    const ack = await call(crew, 'POST /alarms/{id}/ack', { id: alarmId }, { by: crew.email });

    expect(ack.status).toBe(403);
    expect(ack.body.message).toMatch(
      /goes to operators; to acknowledge it needs the role operator, engineer or admin/,
    );
    expect((await h.service.alarms.head(alarmId))?.state).toBe('active_unack');
  });

  it('refuses a body that acts for somebody else, and records the token’s user as the actor', async () => {
    const forged = await call(operator, 'POST /alarms/{id}/ack', { id: alarmId }, { by: 'chief-engineer' });
    expect(forged.status).toBe(403);
    expect(forged.body.message).toMatch(/body by "chief-engineer" is not the caller.*ma@county.example.cn/);

    // The caller's id (sub) names them too; the name recorded is still the token's e-mail.
    const ack = await call(
      operator,
      'POST /alarms/{id}/ack',
      { id: alarmId },
      { by: operator.sub, comment: 'ok' },
    );
    expect(ack).toMatchObject({
      status: 200,
      body: { state: 'active_ack', ackedBy: 'ma@county.example.cn' },
    });
    const detail = await call(viewer, 'GET /alarms/{id}', { id: alarmId });
    const history = detail.body.history as { to: string; by?: string }[];
    expect(history.find((e) => e.to === 'active_ack')?.by).toBe('ma@county.example.cn');
  });

  it('records the shelving user from the token', async () => {
    const until = h.clock.now() + HOUR;
    const shelve = await call(
      operator,
      'POST /alarms/{id}/shelve',
      { id: alarmId },
      { until, reason: 'chlorinator being refilled', by: 'MA@county.example.cn' },
    );
    expect(shelve).toMatchObject({
      status: 200,
      body: { shelvedBy: 'ma@county.example.cn', shelvedUntil: until },
    });
  });

  it('gives maintenance to engineers only, with an end time that is bounded and defaulted', async () => {
    const now = h.clock.now();
    const byOperator = await call(operator, 'POST /devices/{id}/maintenance', { id: 'wq-2' }, { on: true });
    const tooLong = await call(
      engineer,
      'POST /devices/{id}/maintenance',
      { id: 'wq-2' },
      { on: true, until: now + 31 * DAY },
    );
    const past = await call(
      engineer,
      'POST /devices/{id}/maintenance',
      { id: 'wq-2' },
      { on: true, until: now - 1 },
    );
    const offWithEnd = await call(
      engineer,
      'POST /devices/{id}/maintenance',
      { id: 'wq-2' },
      { on: false, until: now + HOUR },
    );
    const defaulted = await call(engineer, 'POST /devices/{id}/maintenance', { id: 'wq-2' }, { on: true });

    expect(byOperator.status).toBe(403);
    expect(byOperator.body.message).toMatch(/needs the role engineer or admin/);
    expect(tooLong).toEqual({ status: 400, body: { message: expect.stringMatching(/at most 30 days/) } });
    expect(past).toEqual({ status: 400, body: { message: 'body until: must be in the future' } });
    expect(offWithEnd.status).toBe(400);
    expect(defaulted).toMatchObject({
      status: 200,
      body: { maintenance: true, maintenanceUntil: now + DAY, maintenanceBy: 'li@county.example.cn' },
    });
  });

  it('ends a maintenance by itself at its end time: alarms are raised again with no further call', async () => {
    const now = h.clock.now();
    const on = await call(
      engineer,
      'POST /devices/{id}/maintenance',
      { id: 'wq-2' },
      { on: true, until: now + HOUR, reason: 'analyser calibration' },
    );
    expect(on.body).toMatchObject({
      maintenanceUntil: now + HOUR,
      maintenanceReason: 'analyser calibration',
    });

    expect(await chlorineLoss('wq-2', now)).toBeUndefined();
    h.service.registry.invalidate();
    expect(await chlorineLoss('wq-2', now + 2 * HOUR)).toBeDefined();
  });

  it('keeps a device stored in maintenance without an end (before ends existed) in maintenance', async () => {
    await h.service.registry.putMany([{ ...tap, id: 'wq-3', maintenance: true, maintenanceReason: 'old' }]);
    expect(await chlorineLoss('wq-3', h.clock.now() + 40 * DAY)).toBeUndefined();
  });

  it('turns maintenance off, removing its end and actor', async () => {
    const off = await call(engineer, 'POST /devices/{id}/maintenance', { id: 'wq-2' }, { on: false });
    expect(off.status).toBe(200);
    expect(off.body.maintenance).toBe(false);
    expect(off.body).not.toHaveProperty('maintenanceUntil');
    expect(off.body).not.toHaveProperty('maintenanceBy');
  });
});
