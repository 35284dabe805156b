/** Seeded PRNG (mulberry32) so fault injection and ids are repeatable for a given `seed`. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** True with probability `p` (0 or undefined: never, without consuming a draw). */
  chance(p: number | undefined): boolean;
  hex(n: number): string;
  /** Lower-case letters and digits. */
  alnum(n: number): string;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (alphabet: string, n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
    return s;
  };
  return {
    next,
    chance: (p) => (p !== undefined && p > 0 ? next() < p : false),
    hex: (n) => pick('0123456789abcdef', n),
    alnum: (n) => pick('abcdefghijklmnopqrstuvwxyz0123456789', n),
  };
}

/** Derive an independent stream per purpose, so e.g. 429 draws don't shift task-failure draws. */
export function deriveSeed(seed: number, label: string): number {
  let h = (seed >>> 0) ^ 0x9e3779b9;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
