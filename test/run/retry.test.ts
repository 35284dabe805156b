import { describe, expect, it } from 'vitest';
import { backoffDelay, backoffSchedule } from '../../src/run/retry.ts';

describe('backoff (pure, no sleeping)', () => {
  it('is exponential with full jitter, capped', () => {
    expect(backoffSchedule(8, { rng: () => 0.999999, baseMs: 500, capMs: 30_000 })).toEqual([
      499, 999, 1999, 3999, 7999, 15999, 29999, 29999,
    ]);
    expect(backoffSchedule(4, { rng: () => 0 })).toEqual([0, 0, 0, 0]);
    const mid = backoffSchedule(3, { rng: () => 0.5, baseMs: 1000 });
    expect(mid).toEqual([500, 1000, 2000]);
  });
  it('never comes back before the server hint', () => {
    expect(backoffDelay(1, 8000, { rng: () => 0.5 })).toBe(8000);
    expect(backoffDelay(7, 1000, { rng: () => 0.9, capMs: 30_000 })).toBe(27_000);
  });
  it('stays within [0, ceiling] for random draws', () => {
    for (let a = 1; a <= 10; a++) {
      const d = backoffDelay(a);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.min(30_000, 500 * 2 ** (a - 1)));
    }
  });
});
