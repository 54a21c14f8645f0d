import { anyDevice } from './common';
import type { ScenarioDef } from './types';

export const offlineBackfill: ScenarioDef = {
  name: 'offline-backfill',
  description:
    'The device loses its uplink and buffers; when it is back it sends its current sample first, then the backlog as samples batches of at most 100, oldest first.',
  appliesTo: anyDevice,
  defaultTarget: 'first',
  defaultStartSamples: 12,
  defaultDurationSamples: 10,
  stream: 'offline',
  expected:
    'the whole backlog stored in timestamp order, and latest = the newest timestamp, not the last received',
  outcomes: [{ check: 'readings' }, { check: 'backfill-order' }],
};

export const duplicateDelivery: ScenarioDef = {
  name: 'duplicate-delivery',
  description: 'Each message in the window is delivered twice: again, byte for byte, after the next one.',
  appliesTo: anyDevice,
  defaultTarget: 'first',
  defaultStartSamples: 6,
  defaultDurationSamples: 5,
  stream: 'duplicate',
  expected: 'each redelivered sample stored once: no duplicate readings',
  outcomes: [{ check: 'readings' }],
};

/** The bad messages `malformed` sends, one per sample, in this order. */
export const MALFORMED_CASES = ['not_json', 'bad_shape', 'wrong_kind', 'topic_mismatch'] as const;
export type MalformedCase = (typeof MALFORMED_CASES)[number];

export const malformed: ScenarioDef = {
  name: 'malformed',
  description:
    "Firmware bugs, one per sample: truncated JSON, a wrong shape (string values, bad metric names), the other kind's topic, and, from a throwaway connection, another device's topic (the broker disconnects that client).",
  appliesTo: anyDevice,
  defaultTarget: 'first',
  defaultStartSamples: 2,
  defaultDurationSamples: MALFORMED_CASES.length,
  params: {
    cases: {
      default: MALFORMED_CASES.join('/'),
      type: 'list',
      choices: MALFORMED_CASES,
      description: `which bad messages to send, /-separated (${MALFORMED_CASES.join(', ')})`,
    },
  },
  stream: 'malformed',
  expected:
    'one quarantine entry per bad message, with reason not_json, bad_shape, wrong_kind or topic_mismatch; the wrong-topic publisher is disconnected',
  outcomes: [{ check: 'quarantine' }],
};
