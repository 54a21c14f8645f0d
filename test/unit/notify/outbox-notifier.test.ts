import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxNotifier } from '../../../functions/adapters/outbox-notifier';
import type { Notification } from '../../../functions/core/alarm-types';
import type { Subscription } from '../../../functions/core/subscription';
import type { SubscriptionFilter, SubscriptionStore } from '../../../functions/ports/subscription-store';

const NOW = Date.UTC(2025, 10, 28, 4, 0, 5);

function sub(subscriptionId: string, overrides: Partial<Subscription>): Subscription {
  return {
    subscriptionId,
    phone: '+8613800000001',
    audience: 'operators',
    minSeverity: 'warning',
    lang: 'zh',
    createdAt: '2025-11-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A store that answers `list` from memory and remembers the filters it was asked with. */
function memoryStore(
  subs: Subscription[],
): Pick<SubscriptionStore, 'list'> & { filters: SubscriptionFilter[] } {
  const filters: SubscriptionFilter[] = [];
  return {
    filters,
    list: async (filter = {}) => {
      filters.push(filter);
      return subs.filter((s) => filter.audience === undefined || s.audience === filter.audience);
    },
  };
}

const notification: Notification = {
  audience: 'operators',
  severity: 'critical',
  siteId: 'plant-town',
  township: 'Tashkurgan Town',
  deviceId: 'wq-town-outlet',
  alarmId: 'A7K2M9QXR',
  kind: 'raised',
  text: {
    zh: '水质超标：塔什库尔干镇水厂 出厂水 游离氯0.12mg/L',
    en: 'UNSAFE WATER: Tashkurgan Town water plant',
  },
};

describe('outbox notifier', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pamir-outbox-'));
    file = join(dir, 'outbox', 'sms.jsonl');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const readLines = async () => (await readFile(file, 'utf8')).split('\n');

  it('writes exactly one line per matching recipient, in the fixed format, in their language', async () => {
    const store = memoryStore([
      sub('a', { phone: '+8613800000001', siteIds: ['plant-town', 'net-town'] }),
      sub('b', { phone: '+12025550143', siteIds: ['plant-town'], lang: 'en' }),
      sub('c', { phone: '+8613800000002', siteIds: ['plant-dabudar'] }),
      sub('d', { phone: '+8613800000003', townships: ['Tashkurgan Town'], minSeverity: 'critical' }),
      sub('e', { phone: '+8613800000004', audience: 'engineers', minSeverity: 'device' }),
    ]);
    const printed: string[] = [];
    const outbox = new OutboxNotifier({
      file,
      subscriptions: store,
      clock: { now: () => NOW },
      print: (l) => printed.push(l),
    });

    const result = await outbox.send(notification);

    const lines = await readLines();
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l))).toEqual([
      {
        at: '2025-11-28T04:00:05.000Z',
        to: '+8613800000001',
        audience: 'operators',
        severity: 'critical',
        siteId: 'plant-town',
        deviceId: 'wq-town-outlet',
        alarmId: 'A7K2M9QXR',
        lang: 'zh',
        text: notification.text.zh,
      },
      expect.objectContaining({ to: '+12025550143', lang: 'en', text: notification.text.en }),
      expect.objectContaining({ to: '+8613800000003', lang: 'zh' }),
    ]);
    for (const line of lines.slice(0, -1))
      expect(Object.keys(JSON.parse(line))).toEqual([
        'at',
        'to',
        'audience',
        'severity',
        'siteId',
        'deviceId',
        'alarmId',
        'lang',
        'text',
      ]);
    expect(result).toEqual({
      recipients: 3,
      messageIds: ['outbox:A7K2M9QXR:raised:a', 'outbox:A7K2M9QXR:raised:b', 'outbox:A7K2M9QXR:raised:d'],
    });
    expect(store.filters).toEqual([{ audience: 'operators' }]);
    expect(printed).toEqual([
      `SMS to +8613800000001 (operators, zh): ${notification.text.zh}`,
      `SMS to +12025550143 (operators, en): ${notification.text.en}`,
      `SMS to +8613800000003 (operators, zh): ${notification.text.zh}`,
    ]);
  });

  it('appends, keeping what earlier sends wrote', async () => {
    const outbox = new OutboxNotifier({
      file,
      subscriptions: memoryStore([sub('a', {})]),
      clock: { now: () => NOW },
    });

    await outbox.send(notification);
    await outbox.send({ ...notification, kind: 'cleared' });

    expect((await readLines()).filter(Boolean)).toHaveLength(2);
  });

  it('keeps lines whole when sends run concurrently', async () => {
    const many = Array.from({ length: 20 }, (_, i) =>
      sub(`s${i}`, { phone: `+86138000001${String(i).padStart(2, '0')}` }),
    );
    const outbox = new OutboxNotifier({ file, subscriptions: memoryStore(many), clock: { now: () => NOW } });

    await Promise.all(
      Array.from({ length: 10 }, (_, i) => outbox.send({ ...notification, alarmId: `A${i}` })),
    );

    const lines = (await readLines()).filter(Boolean);
    expect(lines).toHaveLength(200);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('writes nothing when nobody is subscribed, and says so on the console', async () => {
    const printed: string[] = [];
    const outbox = new OutboxNotifier({
      file,
      subscriptions: memoryStore([sub('e', { audience: 'engineers' })]),
      clock: { now: () => NOW },
      print: (l) => printed.push(l),
    });

    const result = await outbox.send(notification);

    expect(result).toEqual({ recipients: 0, messageIds: [] });
    await expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/);
    expect(printed).toEqual([
      'SMS not sent, no subscription matches: operators critical plant-town A7K2M9QXR (raised)',
    ]);
  });

  it('sends a phone one line per language however many of its subscriptions match', async () => {
    const outbox = new OutboxNotifier({
      file,
      subscriptions: memoryStore([
        sub('site', { siteIds: ['plant-town'] }),
        sub('town', { townships: ['Tashkurgan Town'], minSeverity: 'critical' }),
        sub('county', {}),
        sub('english', { lang: 'en', siteIds: ['plant-town'] }),
        sub('other', { phone: '+8613800000002', siteIds: ['plant-town'] }),
      ]),
      clock: { now: () => NOW },
    });

    const result = await outbox.send(notification);

    const lines = (await readLines()).filter(Boolean).map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.to} ${l.lang}`)).toEqual([
      '+8613800000001 zh',
      '+8613800000001 en',
      '+8613800000002 zh',
    ]);
    expect(result).toEqual({
      recipients: 2,
      messageIds: [
        'outbox:A7K2M9QXR:raised:site',
        'outbox:A7K2M9QXR:raised:english',
        'outbox:A7K2M9QXR:raised:other',
      ],
    });
  });
});
