/**
 * Per provider+key pacing: a submit token bucket, a poll token bucket, a cap on tasks in flight at
 * the provider and a download concurrency cap. Time comes from the injected clock only.
 * A throttle answer pauses the whole provider (every worker) until the advertised wait has passed.
 */
import type { ProviderLimits } from '../catalog/types.ts';
import type { Clock } from '../clock.ts';
import { sleepOrAbort } from './sleep.ts';

/**
 * Reservation-style token bucket: each caller takes a token now (the count may go negative) and is
 * told how long to wait, so callers are served in arrival order without a queue.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly clock: Clock,
    private readonly perMin: number,
    private readonly burst: number,
  ) {
    this.tokens = Math.max(1, burst);
    this.last = clock.now();
  }
  private refill(): void {
    const now = this.clock.now();
    const cap = Math.max(1, this.burst);
    this.tokens = Math.min(cap, this.tokens + ((now - this.last) * this.perMin) / 60_000);
    this.last = now;
  }
  /** Take one token; returns the ms to wait before using it. */
  take(): number {
    if (!(this.perMin > 0) || !Number.isFinite(this.perMin)) return 0;
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 60_000) / this.perMin);
  }
}

/** FIFO counting semaphore. `forceAcquire` admits over the cap (tasks already at the provider on resume). */
export class Semaphore {
  private used = 0;
  private readonly waiters: Array<() => void> = [];
  constructor(private readonly max: number) {}
  get inUse(): number {
    return this.used;
  }
  get waiting(): number {
    return this.waiters.length;
  }
  forceAcquire(): void {
    this.used++;
  }
  /** Resolves true when a slot is held, false when the signal aborted first (no slot held). */
  acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.used < this.max && this.waiters.length === 0) {
      this.used++;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else this.used = Math.max(0, this.used - 1);
  }
}

export type PauseScope = 'submit' | 'poll';

export class ProviderLimiter {
  readonly inFlight: Semaphore;
  readonly downloads: Semaphore;
  private readonly submits: TokenBucket;
  private readonly polls: TokenBucket;
  private readonly pausedUntil: Record<PauseScope, number> = { submit: 0, poll: 0 };

  constructor(
    private readonly clock: Clock,
    readonly limits: ProviderLimits,
  ) {
    this.submits = new TokenBucket(clock, limits.submit_per_min, limits.submit_burst);
    // Polls get a small burst so a wave of completions is not serialized needlessly.
    this.polls = new TokenBucket(clock, limits.polls_per_min, Math.max(1, Math.ceil(limits.polls_per_min / 20)));
    this.inFlight = new Semaphore(Math.max(1, limits.max_in_flight));
    this.downloads = new Semaphore(Math.max(1, limits.downloads));
  }

  /**
   * Record a throttle answer. A submit 429 pauses submits; a poll 429 pauses polls and submits
   * (the provider is telling us the key is saturated).
   */
  pause(scope: PauseScope, ms: number): void {
    const until = this.clock.now() + Math.max(0, ms);
    this.pausedUntil.submit = Math.max(this.pausedUntil.submit, until);
    if (scope === 'poll') this.pausedUntil.poll = Math.max(this.pausedUntil.poll, until);
  }

  /** ms until `scope` may send again because of a throttle (0 when not paused). */
  pausedFor(scope: PauseScope): number {
    return Math.max(0, this.pausedUntil[scope] - this.clock.now());
  }

  /** Wait out any pause on `scope`, re-checking because a pause may be extended while we sleep. */
  async waitPause(scope: PauseScope, signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      const wait = this.pausedFor(scope);
      if (wait <= 0) return !signal?.aborted;
      if (!(await sleepOrAbort(this.clock, wait, signal))) return false;
    }
  }

  /** Take a submit token and wait until it may be used. False when aborted. */
  async acquireSubmit(signal?: AbortSignal): Promise<boolean> {
    const wait = this.submits.take();
    if (wait > 0 && !(await sleepOrAbort(this.clock, wait, signal))) return false;
    return this.waitPause('submit', signal);
  }

  async acquirePoll(signal?: AbortSignal): Promise<boolean> {
    const wait = this.polls.take();
    if (wait > 0 && !(await sleepOrAbort(this.clock, wait, signal))) return false;
    return this.waitPause('poll', signal);
  }
}

/** Merge catalog limits with overrides, ignoring non-positive or missing override values. */
export function effectiveLimits(base: ProviderLimits, override?: Partial<ProviderLimits>): ProviderLimits {
  const out: ProviderLimits = { ...base };
  for (const [k, v] of Object.entries(override ?? {}) as Array<[keyof ProviderLimits, number | undefined]>) {
    if (typeof v === 'number' && v > 0) out[k] = v;
  }
  return out;
}
