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
  return { ...rest, maxima: unpackMaxima(mx) };
}

/** `value` as 18 bits: a 4-digit mantissa (0 for zero) and a decimal exponent; undefined when it does not fit. */
function code(value: number): number | undefined {
  if (value === 0) return 0;
  if (!(value > 0) || !Number.isFinite(value)) return undefined;
  const [digits, exp] = value.toExponential(3).split('e') as [string, string];
  const mantissa = Number(digits.replace('.', ''));
  const exponent = Number(exp) - 3;
  if (exponent < MIN_EXPONENT || exponent > MAX_EXPONENT) return undefined;
  // Only a number that is exactly its 4-digit decimal packs (the detector stores no other).
  if (Number(`${mantissa}e${exponent}`) !== value) return undefined;
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
  const out: number[] = [];
  for (let i = 0; i < packed.length; i += 3) {
    let c = 0;
    for (let j = 0; j < 3; j++) {
      const d = DIGITS.indexOf(packed[i + j] as string);
      if (d < 0) throw new Error(`detector state: packed maxima hold '${packed[i + j]}'`);
      c = (c << 6) | d;
    }
    const mantissa = c & 0x3fff;
    out.push(mantissa === 0 ? 0 : Number(`${mantissa}e${(c >> 14) + MIN_EXPONENT}`));
  }
  return out;
}
