/** The p-retry driver: delays only on the injected clock, counted vs uncounted failures, never-retry outcomes. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { RetryLater, retrying } from '../../src/run/retrying.ts';

/** Runs the loop while advancing the fake clock, recording each sleep the driver asked for. */
async function drive<T>(clock: FakeClock, p: Promise<T>): Promise<T> {
  let done = false;
  const out = p.finally(() => (done = true));
  while (!done) {
    await new Promise((r) => setImmediate(r));
    if (clock.pending > 0) await clock.advance(60_000);
  }
  return out;
}

describe('retrying (p-retry on the injected clock)', () => {
  it('waits the schedule on the clock between counted failures, and not after the last one', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const waits: number[] = [];
    let calls = 0;
    const out = await drive(
      clock,
      retrying(
        async () => {
          calls++;
          throw new RetryLater(`5xx #${calls}`, 'transient');
        },
        {
          clock,
          retries: 3,
          delayMs: (_f, n) => n * 1000,
          onRetry: (_f, _n, d) => void waits.push(d),
          exhausted: (last) => `gave up after ${last.message}`,
        },
      ),
    );
    expect(out).toBe('gave up after 5xx #4');
    expect(calls).toBe(4);
    expect(waits).toEqual([1000, 2000, 3000]);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(6000); // slept on the fake clock, not for real
  });

  it('uncounted failures (throttles) do not use up the budget; a success ends the loop', async () => {
    const clock = new FakeClock();
    const kinds = ['throttled', 'throttled', 'transient', 'throttled', 'throttled', 'transient'];
    let i = 0;
    const seen: Array<[string, number]> = [];
    const out = await drive(
      clock,
      retrying(
        async () => {
          const k = kinds[i++];
          if (k) throw new RetryLater(k, k, undefined, k !== 'throttled');
          return 'ok';
        },
        { clock, retries: 2, delayMs: () => 0, onRetry: (f, n) => void seen.push([f.kind, n]), exhausted: () => 'exhausted' },
      ),
    );
    expect(out).toBe('ok');
    expect(seen).toEqual([
      ['throttled', 0],
      ['throttled', 0],
      ['transient', 1],
      ['throttled', 1],
      ['throttled', 1],
      ['transient', 2],
    ]);
  });

  it('a never-retry outcome ends at once with its value; an unexpected error propagates', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const value = await retrying(
      async (neverRetry) => {
        calls++;
        throw neverRetry('ambiguous: reconcile');
      },
      { clock, retries: 5, delayMs: () => 1000, exhausted: () => 'exhausted' },
    );
    expect(value).toBe('ambiguous: reconcile');
    expect(calls).toBe(1);
    await expect(
      retrying(
        async () => {
          throw new Error('bug');
        },
        { clock, retries: 5, delayMs: () => 1000, exhausted: () => 'exhausted' },
      ),
    ).rejects.toThrow('bug');
  });

  it('an interrupted wait ends the loop with the interrupted value', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    let calls = 0;
    const p = retrying(
      async () => {
        calls++;
        throw new RetryLater('down', 'transient');
      },
      { clock, retries: 5, signals: [ac.signal], delayMs: () => 60_000, onInterrupted: () => 'interrupted', exhausted: () => 'exhausted' },
    );
    await new Promise((r) => setImmediate(r));
    ac.abort();
    expect(await p).toBe('interrupted');
    expect(calls).toBe(1);
  });
});
