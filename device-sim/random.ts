/**
 * Seeded randomness for the simulator. Nothing here reads the clock or `Math.random`, so a seed reproduces a run
 * byte for byte.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/** mulberry32: a tiny 32-bit PRNG, good enough for simulated noise and fast enough for thousands of devices. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a over the parts, finished with murmur3's avalanche: a stable 32-bit key for seeding. */
export function hash32(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = String(part);
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    // A separator, so ('ab', 'c') and ('a', 'bc') differ.
    h ^= 0xff;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A generator whose whole state is derived from the parts: the same parts always give the same numbers. */
export function rngFor(...parts: readonly (string | number)[]): Rng {
  return mulberry32(hash32(...parts));
}

/** One uniform number in [0, 1) keyed by the parts. */
export function uniformAt(...parts: readonly (string | number)[]): number {
  return rngFor(...parts)();
}

/** Parses `--seed`: an unsigned 32-bit integer, or any other text hashed to one. */
export function parseSeed(text: string): number {
  return /^\d{1,10}$/.test(text) && Number(text) <= 0xffffffff ? Number(text) : hash32(text);
}
