import type { DetectorState } from '../../../core/event-detector';

/**
 * The detector state as stored: JSON, with its ring of hourly score maxima (336 numbers of 4 significant digits, about
 * 2 KB as a JSON array, most of the state) packed into `mx`, 3 Base64 characters a number. The state is read in every
 * batch and written every hour of a device's data, so this makes the item about 1.5 KB instead of 2.5 KB: 2 write
 * units an hour instead of 3. Lossless: each maximum is a 4-significant-digit decimal (the detector rounds it so), and
 * decodes to the same number; a ring that does not fit (a number outside 1e-12…9.999e6) is stored as a plain array,
 * and a stored plain array (states written before the packing) reads as it is.
 */
const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const MIN_EXPONENT = -12;
const MAX_EXPONENT = 3;

/** The state as the alarms table item stores it. */
export function encodeDetectorState(state: DetectorState): string {
  // Opaque here beyond its ring: a state without one (or not a list) is stored as it is.
  const packed = Array.isArray(state.maxima) ? packMaxima(state.maxima) : undefined;
  if (packed === undefined) return JSON.stringify(state);
  const { maxima: _maxima, ...rest } = state;
  return JSON.stringify({ ...rest, mx: packed });
}

/** The state from the item's JSON, packed or not. */
export function decodeDetectorState(json: string): DetectorState {
  const parsed = JSON.parse(json) as DetectorState & { mx?: unknown };
  if (typeof parsed.mx !== 'string') return parsed;
  const { mx, ...rest } = parsed;
  return { ...rest, maxima: ringOf(mx) };
}

/** Rings decoded lately, by their packed text, oldest first; a warm function meets the same ring in every batch. */
const RINGS = new Map<string, number[]>();
const RINGS_KEPT = 1024;

/**
 * The ring packed as `mx`, frozen: shared by every state decoded from the same text (the detector never changes a
 * ring, it replaces it), so the detector's threshold, fitted to a ring, is fitted once an hour, not once a batch.
 */
function ringOf(mx: string): number[] {
  const known = RINGS.get(mx);
  if (known !== undefined) return known;
  const ring = Object.freeze(unpackMaxima(mx)) as number[];
  if (RINGS.size >= RINGS_KEPT) RINGS.delete(RINGS.keys().next().value as string);
  RINGS.set(mx, ring);
  return ring;
}

/** Each Base64 digit's value by character code; -1 for a character that is not one. */
const DIGIT_VALUE = Int8Array.from({ length: 128 }, (_, code) => DIGITS.indexOf(String.fromCharCode(code)));
/** Powers of ten up to 10^15: each exact as a double, as is every 4-digit mantissa. */
const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);

/**
 * The 4-digit decimal `mantissa`·10^`exponent` as the nearest double, which is what `Number("<mantissa>e<exponent>")`
 * gives: mantissa and 10^|exponent| are exact doubles, and IEEE multiplication and division round their exact result
 * once, to the nearest double. Arithmetic, not string parsing: the state is decoded in every ingest batch.
 */
function decimal(mantissa: number, exponent: number): number {
  return exponent < 0 ? mantissa / (POW10[-exponent] as number) : mantissa * (POW10[exponent] as number);
}

/** `value` as 18 bits: a 4-digit mantissa (0 for zero) and a decimal exponent; undefined when it does not fit. */
function code(value: number): number | undefined {
  if (value === 0) return 0;
  if (!(value > 0) || !Number.isFinite(value)) return undefined;
  // The exponent that puts the mantissa in 1000…9999; log10 may be off by one next to a power of ten.
  let exponent = Math.floor(Math.log10(value)) - 3;
  if (exponent < MIN_EXPONENT - 1 || exponent > MAX_EXPONENT + 1) return undefined;
  const mantissaAt = (e: number) =>
    Math.round(e < 0 ? value * (POW10[-e] as number) : value / (POW10[e] as number));
  let mantissa = mantissaAt(exponent);
  if (mantissa >= 10_000) mantissa = mantissaAt(++exponent);
  else if (mantissa < 1000) mantissa = mantissaAt(--exponent);
  if (exponent < MIN_EXPONENT || exponent > MAX_EXPONENT || mantissa < 1000 || mantissa > 9999)
    return undefined;
  // Only a number that is exactly its 4-digit decimal packs (the detector stores no other).
  if (decimal(mantissa, exponent) !== value) return undefined;
  return ((exponent - MIN_EXPONENT) << 14) | mantissa;
}

function packMaxima(maxima: readonly number[]): string | undefined {
  let out = '';
  for (const value of maxima) {
    const c = code(value);
    if (c === undefined) return undefined;
    out +=
      (DIGITS[(c >> 12) & 63] as string) + (DIGITS[(c >> 6) & 63] as string) + (DIGITS[c & 63] as string);
  }
  return out;
}

function unpackMaxima(packed: string): number[] {
  if (packed.length % 3 !== 0) throw new Error(`detector state: packed maxima of length ${packed.length}`);
  const out: number[] = new Array(packed.length / 3);
  for (let i = 0; i < packed.length; i += 3) {
    let c = 0;
    for (let j = i; j < i + 3; j++) {
      const d = packed.charCodeAt(j) < 128 ? (DIGIT_VALUE[packed.charCodeAt(j)] as number) : -1;
      if (d < 0) throw new Error(`detector state: packed maxima hold '${packed[j]}'`);
      c = (c << 6) | d;
    }
    const mantissa = c & 0x3fff;
    out[i / 3] = mantissa === 0 ? 0 : decimal(mantissa, (c >> 14) + MIN_EXPONENT);
  }
  return out;
}
