import { describe, expect, it } from 'vitest';
import { backoffDelay, backoffSchedule, nextPollDelay, pollDelay } from '../../src/run/retry.ts';

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

describe('poll schedule', () => {
  it('first poll at about the render time, then backs off from a quarter of it', () => {
    const o = { renderMs: 60_000, rng: () => 0.5 };
    expect(pollDelay(1, o)).toBe(60_000);
    expect(pollDelay(2, o)).toBe(15_000);
    expect(pollDelay(3, o)).toBe(22_500);
    expect(pollDelay(4, o)).toBe(30_000); // capped
    expect(pollDelay(1, { renderMs: 60_000, rng: () => 0 })).toBe(48_000); // -20 % jitter
  });
  it('prefers the provider hint', () => {
    expect(nextPollDelay(3, 1234, { renderMs: 60_000 })).toBe(1234);
    expect(nextPollDelay(3, 0, { renderMs: 60_000 })).toBe(50);
    expect(nextPollDelay(2, undefined, { renderMs: 4000, rng: () => 0.5 })).toBe(1000);
  });
});
