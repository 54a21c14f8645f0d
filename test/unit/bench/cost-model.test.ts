import { describe, expect, it } from 'vitest';
import {
  batchFill,
  CONSOLE_POLLING,
  consolePollingPerDay,
  DEFAULT_USAGE,
  type Fleet,
  heartbeatWriteUnits,
  monthlyBill,
  SAMPLES_PER_DEVICE_MONTH,
  tracesPerMonth,
} from '../../bench/cost-model';
import { PRICES } from '../../bench/prices';

const fleet = (devices: number, samplesPerMessage = 1): Fleet => ({
  devices,
  samplesPerMinute: 1,
  samplesPerMessage,
});
const lineOf = (bill: ReturnType<typeof monthlyBill>, item: string) => {
  const line = bill.lines.find((l) => l.item === item);
  if (!line) throw new Error(`no line ${item}`);
  return line;
};

describe('cost model', () => {
  it('fills a batch with what arrives in one batching window, between 1 and the batch size', () => {
    // 1,000 devices at 1/min: 16.7 messages/s, so a 1 s window holds ~17 messages, not 100.
    expect(batchFill(1000 / 60, 1, 100)).toBeCloseTo(16.67, 2);
    expect(batchFill(0.3, 1, 100)).toBe(1);
    expect(batchFill(500, 1, 100)).toBe(100);
    expect(monthlyBill(fleet(1000)).batchFill).toBeCloseTo(16.67, 2);
    expect(monthlyBill(fleet(1000)).invocations).toBeCloseTo(
      (1000 * SAMPLES_PER_DEVICE_MONTH) / (1000 / 60),
      0,
    );
  });

  it('doubles every per-sample quantity when the fleet doubles, and leaves fixed lines alone', () => {
    const one = monthlyBill(fleet(1000));
    const two = monthlyBill(fleet(2000));
    for (const item of [
      'IoT Core messaging',
      'IoT Core connectivity',
      'SQS SendMessage (rule)',
      'DynamoDB writes: samples',
      'DynamoDB reads: ingest',
      'DynamoDB PITR',
      'SMS to +86',
    ])
      expect(lineOf(two, item).quantity).toBeCloseTo(2 * lineOf(one, item).quantity, 6);
    for (const l of one.lines.filter((x) => x.fixed)) expect(lineOf(two, l.item).usd).toBe(l.usd);
    expect(two.samples).toBe(2 * one.samples);
  });

  it('bills heartbeats per invocation by the KB of its due devices, not per device', () => {
    // 1,000 one-minute devices: a third are due each minute, ~5.6 per invocation of ~17 messages: one 1 KB item.
    const one = monthlyBill(fleet(1000));
    expect(lineOf(one, 'DynamoDB writes: heartbeats').quantity).toBeCloseTo(2 * one.invocations, 6);
    // Ten times the devices: full batches of 100 messages, 33 due devices each, still one item under 1 KB.
    const ten = monthlyBill(fleet(10_000));
    expect(ten.batchFill).toBe(100);
    expect(lineOf(ten, 'DynamoDB writes: heartbeats').quantity).toBeCloseTo(2 * ten.invocations, 6);
    // Far below the former 3 units per device per threshold.
    expect(lineOf(ten, 'DynamoDB writes: heartbeats').quantity).toBeLessThan(
      (3 * 10_000 * SAMPLES_PER_DEVICE_MONTH) / 3 / 10,
    );
    // An invocation with all its 100 devices due: 2.1 KB, 3 KB billed in the table and in the index.
    expect(heartbeatWriteUnits(100, 1)).toBe(6);
    expect(heartbeatWriteUnits(33, 1)).toBe(2);
    // A quiet fleet: fewer due devices than invocations, so an invocation writes one entry at most.
    expect(heartbeatWriteUnits(10, 1000)).toBe(20);
    expect(heartbeatWriteUnits(0, 1000)).toBe(0);
  });

  it('totals the lines, per device too, with no NaN or negative line', () => {
    for (const devices of [1, 18, 1000, 10_000])
      for (const perMessage of [1, 5, 10]) {
        const bill = monthlyBill(fleet(devices, perMessage));
        for (const l of bill.lines) {
          expect(Number.isFinite(l.quantity), l.item).toBe(true);
          expect(l.usd, l.item).toBeGreaterThanOrEqual(0);
        }
        expect(bill.total).toBeCloseTo(
          bill.lines.reduce((n, l) => n + l.usd, 0),
          9,
        );
        expect(bill.perDevice).toBeCloseTo(bill.total / devices, 9);
      }
  });

  it('prices a line as quantity times its list price', () => {
    const bill = monthlyBill(fleet(1000));
    expect(lineOf(bill, 'DynamoDB writes: samples')).toMatchObject({
      quantity: 1000 * SAMPLES_PER_DEVICE_MONTH,
      usd: 1000 * SAMPLES_PER_DEVICE_MONTH * PRICES.dynamodb.perWriteRequestUnit,
    });
    expect(lineOf(bill, 'KMS key').usd).toBe(DEFAULT_USAGE.kmsKeys * PRICES.kms.perKey);
  });

  it('device-side batching cuts messages, SQS requests and invocations, not the write unit per sample', () => {
    // 18 devices: 0.3 messages/s, one message per invocation; batching 10 samples cuts invocations tenfold.
    const single = monthlyBill(fleet(18, 1));
    const batched = monthlyBill(fleet(18, 10));
    expect(batched.messages).toBeCloseTo(single.messages / 10, 6);
    expect(batched.invocations).toBeCloseTo(single.invocations / 10, 6);
    expect(lineOf(batched, 'IoT Core messaging').quantity).toBeCloseTo(
      lineOf(single, 'IoT Core messaging').quantity / 10,
      6,
    );
    expect(lineOf(batched, 'SQS SendMessage (rule)').usd).toBeLessThan(
      lineOf(single, 'SQS SendMessage (rule)').usd,
    );
    expect(lineOf(batched, 'DynamoDB writes: samples').quantity).toBe(
      lineOf(single, 'DynamoDB writes: samples').quantity,
    );
    expect(batched.total).toBeLessThan(single.total);
  });

  it('counts an idle queue’s long polls even when nothing arrives', () => {
    const idle = monthlyBill({ devices: 1, samplesPerMinute: 0, samplesPerMessage: 1 });
    // 5 pollers × 3 empty receives a minute × 43,200 minutes.
    expect(lineOf(idle, 'SQS receives (batches + idle polls)').quantity).toBe(
      5 * 3 * SAMPLES_PER_DEVICE_MONTH,
    );
    expect(idle.invocations).toBe(0);
    expect(Number.isFinite(idle.total)).toBe(true);
  });

  it('records no trace with tracing off, the deployed default, and the sampled ones with tracing active', () => {
    expect(DEFAULT_USAGE.tracing).toBe('off');
    const off = monthlyBill(fleet(18));
    const active = monthlyBill(fleet(18), { ...DEFAULT_USAGE, tracing: 'active' });
    expect(lineOf(off, 'X-Ray traces recorded')).toMatchObject({ quantity: 0, usd: 0 });
    // 18 devices: 0.3 ingest invocations/s, nearly all traced; plus every sweep run and API call (well below 1/s).
    const xray = lineOf(active, 'X-Ray traces recorded');
    expect(xray.quantity).toBeGreaterThan(0.86 * off.invocations);
    expect(xray.quantity).toBeLessThan(
      off.invocations + DEFAULT_USAGE.sweepRunsPerMonth + DEFAULT_USAGE.apiCallsPerMonth,
    );
    expect(active.total - off.total).toBeCloseTo(xray.quantity * PRICES.xray.perTraceRecorded, 6);
  });

  it('traces nearly every invocation below the reservoir and 5 % of the rest above it', () => {
    const month = 30 * 24 * 3600;
    // 0.3 invocations/s: the 1/s reservoir takes 1 − e^−0.3 ≈ 0.26/s, 5 % of the remaining 0.04/s.
    expect(tracesPerMonth(0.3, 1, 0.05) / (0.3 * month)).toBeGreaterThan(0.86);
    // 100/s: ~1/s from the reservoir plus 5 % of 99/s.
    expect(tracesPerMonth(100, 1, 0.05) / month).toBeCloseTo(1 + 0.05 * 99, 1);
    expect(tracesPerMonth(0, 1, 0.05)).toBe(0);
    expect(tracesPerMonth(10, 0, 0.1) / month).toBeCloseTo(1, 6);
  });

  it('counts an open console’s alarm polls: every 1.5 s while visible, every 15 s in the background', () => {
    const day = consolePollingPerDay();
    // 8 h visible: 28,800 s / 1.5 = 19,200 polls; 16 h hidden: 57,600 s / 15 = 3,840.
    expect(day.calls).toBe(23_040);
    const perCall =
      PRICES.apiGateway.perHttpRequest +
      PRICES.lambda.perRequest +
      (DEFAULT_USAGE.apiMs / 1000) * (DEFAULT_USAGE.apiMemoryMb / 1024) * PRICES.lambda.perGbSecondArm64 +
      CONSOLE_POLLING.readUnitsPerPoll * PRICES.dynamodb.perReadRequestUnit;
    // Logs come on top of the request, the invocation and the read.
    expect(day.perCallUsd).toBeGreaterThan(perCall);
    expect(day.usd).toBeCloseTo(day.calls * day.perCallUsd, 10);
    const allDay = consolePollingPerDay({ ...CONSOLE_POLLING, visibleHoursPerDay: 24 });
    expect(allDay.calls).toBe(57_600);
    expect(allDay.usd / day.usd).toBeCloseTo(57_600 / 23_040, 10);
  });
});
