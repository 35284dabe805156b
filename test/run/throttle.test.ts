/**
 * Pacing against what the server allows: waiters leave a pause one at a time at the allowed pace,
 * the server's x-ratelimit-* figures replace the catalog's guesses, a 429 without figures cuts the
 * rate, a concurrency refusal caps the tasks in flight; and, end to end on the emulator, a strict
 * per-key limit (burst 1) is met without a storm of rejected creates.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, systemClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { goDurationMs, rateReport } from '../../src/run/gate.ts';
import { executeRun } from '../../src/run/index.ts';
import { ProviderLimiter } from '../../src/run/limiter.ts';
import { emuBinding, emuJob } from './emu-helpers.ts';
import { tmpRunDir } from './helpers.ts';

/** The catalog's OpenAI defaults. */
const CATALOG = { submit_per_min: 20, submit_burst: 5, polls_per_min: 120, max_in_flight: 8, downloads: 4 };

/** Start `n` submit waiters now; returns the fake-clock offsets at which each was granted. */
function waiters(clock: FakeClock, lim: ProviderLimiter, n: number): { at: number[]; all: Promise<unknown> } {
  const t0 = clock.now();
  const at: number[] = [];
  const all = Promise.all(Array.from({ length: n }, () => lim.acquireSubmit().then(() => at.push(clock.now() - t0))));
  return { at, all };
}

describe('pacing after a pause', () => {
  it('releases waiting submits at the allowed pace when a pause ends, not all at once', async () => {
    const clock = new FakeClock();
    const lim = new ProviderLimiter(clock, { ...CATALOG, submit_per_min: 600, submit_burst: 1 });
    expect(await lim.acquireSubmit()).toBe(true); // the burst of one is spent
    lim.pause('submit', 1000);
    const w = waiters(clock, lim, 4);
    await clock.advance(5000);
    await w.all;
    // 600/min = one per 100 ms, starting when the pause ends.
    expect(w.at).toEqual([1000, 1100, 1200, 1300]);
  });

  it('a waiter that gives up leaves the queue without taking a turn', async () => {
    const clock = new FakeClock();
    const lim = new ProviderLimiter(clock, { ...CATALOG, submit_per_min: 600, submit_burst: 1 });
    await lim.acquireSubmit();
    const ac = new AbortController();
    const gone = lim.acquireSubmit(ac.signal);
    const t0 = clock.now();
    let at = -1;
    const next = lim.acquireSubmit().then(() => (at = clock.now() - t0));
    ac.abort();
    expect(await gone).toBe(false);
    await clock.advance(1000);
    await next;
    expect(at).toBe(100);
  });

  it('under a burst-1 limit the next request waits for the previous answer, however late it comes', async () => {
    const clock = new FakeClock();
    const lim = new ProviderLimiter(clock, { ...CATALOG, submit_per_min: 600, submit_burst: 1 });
    expect(await lim.acquireSubmit()).toBe(true);
    lim.sending('submit');
    let granted = false;
    const next = lim.acquireSubmit().then(() => (granted = true));
    await clock.advance(1000); // ten intervals, but the first answer is still out
    expect(granted).toBe(false);
    lim.answered('submit');
    lim.observe('submit', 201, undefined);
    await next;
    expect(granted).toBe(true);
  });
});

describe('learning the server limits', () => {
  it('reads OpenAI x-ratelimit-* headers', () => {
    const h = new Headers({
      'x-ratelimit-limit-requests': '600',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '100ms',
    });
    expect(rateReport(h)).toEqual({ limitPerMin: 600, remaining: 0, resetMs: 100 });
    expect(goDurationMs('6m0s')).toBe(360_000);
    expect(goDurationMs('1.2s')).toBe(1200);
    expect(goDurationMs('soon')).toBeUndefined();
    expect(rateReport(new Headers({ 'retry-after': '1' }))).toBeUndefined();
  });

  it('catalog guesses give way to the rate the server reports; user settings are only ever lowered', () => {
    const clock = new FakeClock();
    const learning = new ProviderLimiter(clock, CATALOG, { learn: true, holdMs: 2000 });
    learning.observe('submit', 201, { limitPerMin: 600, remaining: 599 });
    expect(learning.rates.submitPerMin).toBeGreaterThan(500); // 600 with a margin for arrival jitter
    expect(learning.rates.submitPerMin).toBeLessThan(600);
    expect(learning.rates.submitBurst).toBe(600); // the server showed 599 left after one
    // Little's law: ~9.2/s × 2 s at the provider, with headroom, is more than the catalog's 8.
    expect(learning.rates.maxInFlight).toBeGreaterThan(20);
    const fixed = new ProviderLimiter(clock, CATALOG);
    fixed.observe('submit', 201, { limitPerMin: 600, remaining: 599 });
    expect(fixed.rates.submitPerMin).toBe(20);
    expect(fixed.rates.maxInFlight).toBe(8);
    fixed.observe('submit', 201, { limitPerMin: 10 });
    expect(fixed.rates.submitPerMin).toBeLessThan(10);
  });

  it('the server saying nothing is left makes the next request wait a full interval', async () => {
    const clock = new FakeClock();
    const lim = new ProviderLimiter(clock, CATALOG, { learn: true });
    lim.observe('submit', 201, { limitPerMin: 600, remaining: 0 });
    const w = waiters(clock, lim, 2);
    await clock.advance(1000);
    await w.all;
    const interval = 60_000 / lim.rates.submitPerMin;
    expect(w.at[0]).toBe(Math.ceil(interval));
    expect(w.at[1]! - w.at[0]!).toBeGreaterThanOrEqual(Math.floor(interval));
  });

  it('a 429 without figures cuts the rate and stops bursting; accepted creates climb back', () => {
    const clock = new FakeClock();
    const lim = new ProviderLimiter(clock, { ...CATALOG, submit_per_min: 100 });
    lim.observe('submit', 429, undefined);
    expect(lim.rates.submitPerMin).toBe(70);
    expect(lim.rates.submitBurst).toBe(1);
    for (let i = 0; i < 100; i++) lim.observe('submit', 201, undefined);
    expect(lim.rates.submitPerMin).toBe(100);
  });

  it('a create refused while the server still has requests left is the concurrency cap: in flight is held below it', () => {
    const clock = new FakeClock();
    const lim = new ProviderLimiter(clock, { ...CATALOG, max_in_flight: 50 });
    for (let i = 0; i < 6; i++) lim.observe('submit', 201, undefined);
    lim.observe('submit', 429, { limitPerMin: 600, remaining: 12 });
    expect(lim.rates.maxInFlight).toBe(5);
    expect(lim.rates.submitPerMin).toBe(20); // not a rate problem
  });
});

let emu: EmulatorHandle | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe('a strict server limit, end to end', () => {
  // The submit turn is taken at the wire and a learning pacer sends one create before it has the server's
  // figures (before: the turn came before the intent and mark writes, whose group commit released
  // several creates at once after every pause; and the emulator's 429s claimed room left).
  it(
    '10 creates/s with burst 1 and Retry-After 1 s: every job done, <= 0.1 refusals per create, nothing left unsubmitted',
    { timeout: 120_000 },
    async () => {
      emu = await startEmulator({
        render: 'shared',
        seed: 7,
        faults: { openai: { renderMs: 200, submitPerMin: 600, submitBurst: 1, retryAfterS: 1 } },
      });
      const N = 12;
      const jobs = Array.from({ length: N }, (_, i) => emuJob('openai', i));
      const binding = { ...emuBinding('openai', emu.baseUrls.openai, fetch, CATALOG, 0.2), learnLimits: true };
      const out = await executeRun({
        runDir: await tmpRunDir(),
        jobs,
        approvedUsd: 100,
        bind: () => binding,
        clock: systemClock,
        signal: new AbortController().signal,
        events: () => {},
        rng: () => 0.5,
      });
      expect(out.counts).toEqual({ downloaded: N });
      expect(emu.counts('openai').creates).toBe(N);
      // Counted by the emulator, not timed: at most 0.1 rejected requests per accepted create.
      expect(emu.counts('openai').rejected429).toBeLessThanOrEqual(0.1 * emu.counts('openai').creates);
    },
  );
});
