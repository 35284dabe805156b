/**
 * The one retry driver: p-retry runs the attempts and keeps the count, while every delay comes from
 * the caller's pure schedule (run/retry.ts) and is slept on the injected clock — p-retry's own
 * timers stay at 0, so tests on a FakeClock never sleep. An attempt either returns (done), throws
 * `RetryLater` (worth another try after a delay), or throws `neverRetry(value)` — the function it is
 * given — a p-retry AbortError: stop now and resolve with `value`.
 */
import pRetry, { AbortError } from 'p-retry';
import type { Clock } from '../clock.ts';
import { sleepOrAbort } from './sleep.ts';

/** A failed attempt worth another try. `counts: false` failures (throttles, "not yet") do not use up the retry budget. */
export class RetryLater extends Error {
  constructor(
    message: string,
    /** What kind of failure, for the caller's schedule and its give-up decision. */
    readonly kind: string,
    /** The server's own wait hint, if it gave one. */
    readonly hintMs?: number,
    readonly counts = true,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/** Makes the error for a failure that must never be retried (e.g. a create that may have been billed): the loop ends with `value`. */
export type NeverRetry<T> = (value: T) => AbortError;

export interface RetryOptions<T> {
  clock: Clock;
  /** Counted failures allowed; the next counted one ends the loop (uncounted ones never do). */
  retries: number;
  /** The wait before the next attempt: `n` is the 1-based number of counted failures so far. */
  delayMs: (failure: RetryLater, n: number) => number;
  /** An interrupted wait ends the loop with this value; without it, the next attempt checks for itself. */
  onInterrupted?: () => T | Promise<T>;
  /** Signals that end a wait early. */
  signals?: Array<AbortSignal | undefined>;
  /** A wait of the caller's own (e.g. one a callback can cut short); resolves false when interrupted. */
  wait?: (ms: number) => Promise<boolean>;
  /** Told of each retry before its wait (events, state changes). */
  onRetry?: (failure: RetryLater, n: number, delayMs: number) => void | Promise<void>;
  /** The last failure, when the budget is used up: the loop's value. */
  exhausted: (last: RetryLater) => T | Promise<T>;
}

export async function retrying<T>(attempt: (neverRetry: NeverRetry<T>) => Promise<T>, o: RetryOptions<T>): Promise<T> {
  let final: { value: T } | undefined;
  const neverRetry: NeverRetry<T> = (value) => {
    final = { value };
    return new AbortError('never retried');
  };
  try {
    return await pRetry(() => attempt(neverRetry), {
      // p-retry's own budget would also end the loop on an uncounted failure once the counted ones are
      // used up (a throttle after five 5xx): the budget is enforced here instead, per counted failure.
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 0,
      maxTimeout: 0,
      shouldConsumeRetry: ({ error }) => !(error instanceof RetryLater) || error.counts,
      shouldRetry: ({ error }) => error instanceof RetryLater,
      onFailedAttempt: async ({ error, retriesConsumed }) => {
        if (!(error instanceof RetryLater)) return;
        const n = retriesConsumed + (error.counts ? 1 : 0);
        if (n > o.retries) throw error; // used up: no wait, no retry event for a retry that never comes
        const delay = o.delayMs(error, n);
        await o.onRetry?.(error, n, delay);
        const waited = o.wait ? await o.wait(delay) : await sleepOrAbort(o.clock, delay, ...(o.signals ?? []));
        if (!waited && o.onInterrupted) throw neverRetry(await o.onInterrupted());
      },
    });
  } catch (e) {
    if (final) return final.value;
    if (e instanceof RetryLater) return o.exhausted(e);
    throw e;
  }
}
