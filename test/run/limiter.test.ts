import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { ProviderLimiter, Semaphore, TokenBucket, effectiveLimits } from '../../src/run/limiter.ts';

const limits = { submit_per_min: 60, submit_burst: 3, polls_per_min: 120, max_in_flight: 2, downloads: 1 };

describe('TokenBucket', () => {
  it('serves the burst at once, then one token per 60/rate s, in arrival order', () => {
    const clock = new FakeClock();
    const b = new TokenBucket(clock, 60, 3);
    expect([b.take(), b.take(), b.take(), b.take(), b.take()]).toEqual([0, 0, 0, 1000, 2000]);
  });
  it('refills with time up to the burst', async () => {
    const clock = new FakeClock();
    const b = new TokenBucket(clock, 600, 2);
    b.take();
    b.take();
    await clock.advance(10_000);
    expect([b.take(), b.take(), b.take()]).toEqual([0, 0, 100]);
  });
});

describe('ProviderLimiter on a fake clock', () => {
  it('paces submits and holds every worker during a throttle pause', async () => {
    const clock = new FakeClock();
    const lim = new ProviderLimiter(clock, limits);
    const t0 = clock.now();
    const sentAt: number[] = [];
    const worker = async () => {
      if (await lim.acquireSubmit()) sentAt.push(clock.now() - t0);
    };
    await Promise.all([worker(), worker(), worker()]); // the burst
    expect(sentAt).toEqual([0, 0, 0]);
    const waiting = Promise.all([worker(), worker()]); // waiting for tokens at +1 s and +2 s
    lim.pause('submit', 8000); // then a 429 with Retry-After: 8 arrives
    await clock.advance(20_000);
    await waiting;
    expect(sentAt.slice(3)).toEqual([8000, 8000]);
    sentAt.length = 0;
    await worker(); // after the pause, the bucket paces again
    await Promise.all([worker(), clock.advance(5000)]);
    expect(sentAt[0]).toBeGreaterThanOrEqual(20_000);
  });
  it('a poll throttle pauses polls and submits; a submit throttle only submits', async () => {
    const clock = new FakeClock();
    const lim = new ProviderLimiter(clock, limits);
    lim.pause('submit', 5000);
    expect(lim.pausedFor('submit')).toBe(5000);
    expect(lim.pausedFor('poll')).toBe(0);
    lim.pause('poll', 7000);
    expect(lim.pausedFor('poll')).toBe(7000);
    expect(lim.pausedFor('submit')).toBe(7000);
    let polled = -1;
    const p = lim.acquirePoll().then(() => (polled = clock.now()));
    await clock.advance(6999);
    expect(polled).toBe(-1);
    await clock.advance(1);
    await p;
    expect(polled).toBeGreaterThan(0);
  });
  it('a pause extended while waiting is honoured', async () => {
    const clock = new FakeClock();
    const lim = new ProviderLimiter(clock, limits);
    lim.pause('submit', 1000);
    let at = -1;
    const t0 = clock.now();
    const p = lim.acquireSubmit().then(() => (at = clock.now() - t0));
    await clock.advance(500);
    lim.pause('submit', 3000); // until t0 + 3500
    await clock.advance(5000);
    await p;
    expect(at).toBe(3500);
  });
  it('abort releases a waiter without a token', async () => {
    const clock = new FakeClock();
    const lim = new ProviderLimiter(clock, limits);
    lim.pause('submit', 60_000);
    const ac = new AbortController();
    const p = lim.acquireSubmit(ac.signal);
    ac.abort();
    expect(await p).toBe(false);
  });
  it('overrides apply only positive numbers', () => {
    expect(effectiveLimits(limits, { max_in_flight: 10, submit_per_min: 0 })).toEqual({ ...limits, max_in_flight: 10 });
  });
});

describe('Semaphore', () => {
  it('caps concurrency FIFO and hands slots over on release', async () => {
    const s = new Semaphore(2);
    expect(await s.acquire()).toBe(true);
    expect(await s.acquire()).toBe(true);
    const order: number[] = [];
    const w1 = s.acquire().then(() => order.push(1));
    const w2 = s.acquire().then(() => order.push(2));
    expect(s.waiting).toBe(2);
    s.release();
    await w1;
    expect(order).toEqual([1]);
    s.release();
    await w2;
    expect(order).toEqual([1, 2]);
    expect(s.inUse).toBe(2);
    s.forceAcquire();
    expect(s.inUse).toBe(3);
  });
});
