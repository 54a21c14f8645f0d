import type { MetricValue } from '../contract';
import type { Sample } from './telemetry';

/** One stored sample: exactly one DynamoDB item of at most 1 KB, so one write unit. */
export interface ReadingItem {
  deviceId: string;
  /** `<ts 13 digits>#<seq 16 digits>`: time-ordered, and two samples with the same ts but different seq differ. */
  sk: string;
  ts: number;
  seq: number;
  m: Record<string, MetricValue>;
  bat?: number;
  /** Time received by the broker, epoch ms; lets late data be told apart from live data. */
  rcv: number;
  /** Expiry, epoch seconds (DynamoDB TTL). */
  ttl: number;
}

export function readingSortKey(ts: number, seq: number): string {
  return `${String(ts).padStart(13, '0')}#${String(seq).padStart(16, '0')}`;
}

export function toReadingItem(
  deviceId: string,
  sample: Sample,
  receivedAt: number,
  retentionDays: number,
): ReadingItem {
  const item: ReadingItem = {
    deviceId,
    sk: readingSortKey(sample.ts, sample.seq),
    ts: sample.ts,
    seq: sample.seq,
    m: sample.m,
    rcv: receivedAt,
    ttl: Math.floor(sample.ts / 1000) + retentionDays * 86_400,
  };
  if (sample.batteryPct !== undefined) item.bat = sample.batteryPct;
  return item;
}

export function fromReadingItem(item: ReadingItem): Sample & { receivedAt: number } {
  const sample: Sample & { receivedAt: number } = {
    ts: item.ts,
    seq: item.seq,
    m: item.m,
    receivedAt: item.rcv,
  };
  if (item.bat !== undefined) sample.batteryPct = item.bat;
  return sample;
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** DynamoDB's size of a number: about one byte per two significant digits plus one (at most 21). */
function numberSize(n: number): number {
  const digits = String(Math.abs(n))
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.min(21, Math.ceil(Math.max(digits.length, 1) / 2) + 1);
}

function valueSize(v: unknown): number {
  if (typeof v === 'string') return utf8(v);
  if (typeof v === 'number') return numberSize(v);
  if (typeof v === 'boolean' || v === null) return 1;
  if (typeof v === 'object') {
    // A map costs 3 bytes plus, per element, its name, its value and 1 byte.
    return Object.entries(v as Record<string, unknown>).reduce(
      (sum, [k, x]) => sum + utf8(k) + valueSize(x) + 1,
      3,
    );
  }
  return 0;
}

/** Size of an item as DynamoDB bills it (attribute names plus values), in bytes. */
export function itemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce(
    (sum, [k, v]) => (v === undefined ? sum : sum + utf8(k) + valueSize(v)),
    0,
  );
}

/** Size of the item a sample would be stored as; the worst case of the receive time and TTL is assumed. */
export function readingItemSize(deviceId: string, sample: Sample): number {
  return itemSize({ ...toReadingItem(deviceId, sample, 9_999_999_999_999, 0), ttl: 99_999_999_999 });
}

/** Write units a PutItem of this item consumes on an on-demand table (1 per started KB). */
export function writeUnits(item: Record<string, unknown>): number {
  return Math.max(1, Math.ceil(itemSize(item) / 1024));
}
