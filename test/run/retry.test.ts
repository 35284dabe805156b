import { describe, expect, it } from 'vitest';
import { backoffDelay, backoffSchedule, FIRST_PROBE_MS, pollPlan, updateEstimate } from '../../src/run/retry.ts';

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
  const base = { catalogMs: 120_000, rng: () => 0.5 };
  it('probes early while nothing is known, then backs off from a quarter of the render time', () => {
    expect(pollPlan({ ...base, poll: 1, elapsedMs: 0 })).toBe(FIRST_PROBE_MS);
    expect(pollPlan({ ...base, poll: 1, elapsedMs: 500, catalogMs: 1000 })).toBe(500); // short renders: at the render time
    expect(pollPlan({ ...base, poll: 2, elapsedMs: 2000 })).toBe(30_000);
    expect(pollPlan({ ...base, poll: 3, elapsedMs: 32_000 })).toBe(30_000); // capped
    expect(pollPlan({ ...base, poll: 2, elapsedMs: 2000, rng: () => 0 })).toBe(24_000); // -20 % jitter
  });
  it('aims just after the learned completion time', () => {
    expect(pollPlan({ ...base, poll: 1, elapsedMs: 100, estimateMs: 2000 })).toBe(2000);
    expect(pollPlan({ ...base, poll: 1, elapsedMs: 100, estimateMs: 2000, rng: () => 0 })).toBe(1900);
  });
  it('treats a provider hint as a floor', () => {
    expect(pollPlan({ ...base, poll: 2, elapsedMs: 0, hintMs: 1234 })).toBe(1234);
    expect(pollPlan({ ...base, poll: 2, elapsedMs: 100, hintMs: 500, estimateMs: 2000 })).toBe(2000); // not before the task can be done
    expect(pollPlan({ ...base, poll: 2, elapsedMs: 0, hintMs: 0 })).toBe(50);
  });
  it('learns render times with an EWMA', () => {
    expect(updateEstimate(undefined, 2000)).toBe(2000);
    expect(updateEstimate(2000, 3000)).toBe(2300);
  });
});
