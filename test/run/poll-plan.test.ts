/** The poll schedule: aim at the expected completion, a hint is a floor, late tasks cost few polls. */
import { describe, expect, it } from 'vitest';
import { pollPlan, updateEstimate } from '../../src/run/poll-plan.ts';

/** Simulate one task: the polls it takes to see a render of `renderMs` done, and when it was seen. */
function follow(renderMs: number, catalogMs: number, hintMs?: number, estimateMs?: number): { polls: number; seenAt: number } {
  let t = 0;
  for (let poll = 1; poll < 1000; poll++) {
    t += pollPlan({ poll, elapsedMs: t, catalogMs, estimateMs, hintMs, rng: () => 0.5 });
    if (t >= renderMs) return { polls: poll, seenAt: t };
  }
  throw new Error('never done');
}

describe('poll schedule', () => {
  it('aims just after the expected completion: one poll when the catalog is right, at any render time', () => {
    for (const s of [1, 10, 30, 120, 600]) {
      const { polls, seenAt } = follow(s * 1000, s * 1000);
      expect(polls).toBe(1);
      expect(seenAt).toBeLessThanOrEqual(s * 1000 * 1.06 + 25);
    }
    expect(pollPlan({ poll: 1, elapsedMs: 100, catalogMs: 120_000, estimateMs: 2000, rng: () => 0 })).toBe(1985); // learned beats catalog
  });

  it('a poll-after hint is a floor, never a schedule', () => {
    // With a 1 s hint and a 30 s render, polling on the hint would take 30 requests.
    expect(follow(30_000, 30_000, 1000).polls).toBe(1);
    expect(pollPlan({ poll: 2, elapsedMs: 0, catalogMs: 1000, hintMs: 5000 })).toBe(5000);
    expect(pollPlan({ poll: 2, elapsedMs: 0, catalogMs: 0, hintMs: 0 })).toBe(50);
  });

  it('a task much later than expected is asked in proportion to its age: a handful of polls, not hundreds', () => {
    expect(follow(10 * 60_000, 10_000).polls).toBeLessThanOrEqual(20); // 60× the catalog time
    expect(follow(30_000, 2000, 1000).polls).toBeLessThanOrEqual(13);
    // and never more often than every 250 ms when nothing is known at all
    expect(pollPlan({ poll: 3, elapsedMs: 100, catalogMs: 0 })).toBe(250);
  });

  it('a probing task looks at 2, 4, 8 … s while nothing is learned, then once at half the estimate', () => {
    expect(pollPlan({ poll: 1, elapsedMs: 0, catalogMs: 60_000, probe: true })).toBe(2000);
    expect(pollPlan({ poll: 2, elapsedMs: 2000, catalogMs: 60_000, probe: true })).toBe(2000);
    expect(pollPlan({ poll: 3, elapsedMs: 4000, catalogMs: 60_000, probe: true })).toBe(4000);
    // a 120 s render costs a prober 7 looks (2, 4, 8, 16, 32, 64 s, then the catalog time)
    let t = 0;
    let polls = 0;
    while (t < 120_000) t += pollPlan({ poll: ++polls, elapsedMs: t, catalogMs: 120_000, probe: true, rng: () => 0.5 });
    expect(polls).toBe(7);
    expect(pollPlan({ poll: 1, elapsedMs: 0, catalogMs: 120_000, estimateMs: 60_000, probe: true })).toBe(30_000);
    expect(pollPlan({ poll: 2, elapsedMs: 30_000, catalogMs: 120_000, estimateMs: 60_000, probe: true, rng: () => 0 })).toBe(31_825);
  });

  it('learns from bracketed completions; a first-look "done" only ever lowers the estimate', () => {
    expect(updateEstimate(undefined, 3000, 1000)).toBe(2000);
    expect(updateEstimate(2000, 4000, 2000)).toBe(2300);
    expect(updateEstimate(2000, 2100)).toBe(2000); // no later than 2.1 s: says nothing new
    expect(updateEstimate(2000, 1800)).toBe(1940);
    expect(updateEstimate(60_000, 30_000)).toBe(30_000); // far faster than thought: at once
    expect(updateEstimate(undefined, 5000)).toBeUndefined();
  });
});
