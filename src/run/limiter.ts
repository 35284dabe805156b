/**
 * Per provider+key pacing: a submit pacer, a poll pacer, a cap on tasks in flight at the provider and
 * a download concurrency cap. Time comes from the injected clock only.
 * A throttle answer pauses the provider until the advertised wait has passed; waiting requests are
 * then released one at a time at the allowed pace, never all at once. The catalog's limits are a
 * starting point: what the server reports (x-ratelimit-* headers, 429s) corrects them.
 */
import type { ProviderLimits } from '../catalog/types.ts';
import type { Clock } from '../clock.ts';
import { Pacer, type RateReport } from './pacer.ts';
import { sleepOrAbort } from './sleep.ts';

export { Pacer, type RateReport } from './pacer.ts';

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
  constructor(private max: number) {}
  get inUse(): number {
    return this.used;
  }
  get waiting(): number {
    return this.waiters.length;
  }
  get limit(): number {
    return this.max;
  }
  /** Change the cap; a raise hands the new slots to waiters at once, a cut takes effect as slots come back. */
  setLimit(max: number): void {
    this.max = Math.max(1, Math.floor(max));
    while (this.used < this.max) {
      const next = this.waiters.shift();
      if (!next) break;
      this.used++;
      next();
    }
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
    if (this.used > this.max) {
      this.used--; // over a lowered cap: the slot is retired, not handed on
      return;
    }
    const next = this.waiters.shift();
    if (next)
      next(); // the slot passes straight to the next waiter
    else this.used = Math.max(0, this.used - 1);
  }
}

export type PauseScope = 'submit' | 'poll';

export interface LimiterOptions {
  /**
   * The limits are the catalog's guesses, not the user's settings: what the server reports may raise
   * the rates, and the in-flight cap may grow to what the learned submit rate can keep busy.
   */
  learn?: boolean;
  /** Typical ms a task spends at the provider (catalog render time), until real ones are measured. */
  holdMs?: number;
}

/** Tasks in flight kept above what the submit rate needs (Little's law), so the rate stays the bound. */
const IN_FLIGHT_HEADROOM = 1.5;
/** Growth stops here unless the catalog already allowed more (memory stays bounded whatever N is). */
const MAX_LEARNED_IN_FLIGHT = 2000;

export class ProviderLimiter {
  readonly inFlight: Semaphore;
  readonly downloads: Semaphore;
  private readonly submits: Pacer;
  private readonly polls: Pacer;
  private readonly pausedUntil: Record<PauseScope, number> = { submit: 0, poll: 0 };
  private readonly learn: boolean;
  private holdMs: number | undefined;
  /** Tasks created and not yet seen to end (the server's count of our unfinished tasks is at most this). */
  private atProvider = 0;
  /** Set once the server refused a create for concurrency: the in-flight cap stops growing. */
  private concurrencyCeiling: number | undefined;

  constructor(
    private readonly clock: Clock,
    readonly limits: ProviderLimits,
    opts: LimiterOptions = {},
  ) {
    this.learn = opts.learn ?? false;
    this.holdMs = opts.holdMs;
    this.submits = new Pacer(clock, limits.submit_per_min, limits.submit_burst, () => this.pausedFor('submit'), this.learn);
    // Polls get a small burst so a wave of completions is not serialized needlessly.
    this.polls = new Pacer(
      clock,
      limits.polls_per_min,
      Math.max(1, Math.ceil(limits.polls_per_min / 20)),
      () => this.pausedFor('poll'),
      this.learn,
    );
    this.inFlight = new Semaphore(Math.max(1, limits.max_in_flight));
    this.downloads = new Semaphore(Math.max(1, limits.downloads));
  }

  /** Current pacing (for tests, progress and benchmarks). */
  get rates(): { submitPerMin: number; submitBurst: number; pollsPerMin: number; maxInFlight: number } {
    return {
      submitPerMin: this.submits.perMin,
      submitBurst: this.submits.burst,
      pollsPerMin: this.polls.perMin,
      maxInFlight: this.inFlight.limit,
    };
  }

  /**
   * Record a throttle answer. A submit 429 pauses submits; a poll 429 pauses polls and submits
   * (the provider is telling us the key is saturated).
   */
  pause(scope: PauseScope, ms: number): void {
    const until = this.clock.now() + Math.max(0, ms);
    this.pausedUntil.submit = Math.max(this.pausedUntil.submit, until);
    if (scope === 'poll') this.pausedUntil.poll = Math.max(this.pausedUntil.poll, until);
    this.submits.wake();
    this.polls.wake();
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

  /** A task already at the provider (resume) takes a slot whatever the cap. */
  adoptInFlight(): void {
    this.inFlight.forceAcquire();
    this.atProvider++;
  }

  /** Wait for this request's turn under the submit rate (and any pause). False when aborted. */
  acquireSubmit(signal?: AbortSignal): Promise<boolean> {
    return this.submits.acquire(signal);
  }

  acquirePoll(signal?: AbortSignal): Promise<boolean> {
    return this.polls.acquire(signal);
  }

  /** A request of `scope` leaves for the provider's API (paired with `answered`). */
  sending(scope: PauseScope): void {
    (scope === 'submit' ? this.submits : this.polls).sending();
  }

  /** Its answer (or failure) is back. */
  answered(scope: PauseScope): void {
    (scope === 'submit' ? this.submits : this.polls).answered();
  }

  /** What one answer from the provider's API said about its limits (called after `answered`). */
  observe(scope: PauseScope, status: number, report: RateReport | undefined): void {
    const pacer = scope === 'submit' ? this.submits : this.polls;
    if (report) pacer.report(report);
    if (status === 429) {
      if (scope === 'submit' && this.isConcurrencyRefusal(report)) {
        // The server counts our unfinished tasks: hold the cap just under what it refused.
        this.concurrencyCeiling = Math.max(1, this.atProvider - 1);
        this.inFlight.setLimit(Math.min(this.inFlight.limit, this.concurrencyCeiling));
      } else {
        pacer.throttled(report !== undefined);
      }
    } else if (status >= 200 && status < 300) {
      pacer.accepted();
      if (scope === 'submit') {
        this.atProvider++;
        this.fitInFlight();
      }
    }
  }

  /** A task left the provider after `ms` there: its time feeds the in-flight cap the rate needs. */
  noteHold(ms: number | undefined): void {
    this.atProvider = Math.max(0, this.atProvider - 1);
    if (ms === undefined || !(ms >= 0)) return;
    this.holdMs = this.holdMs === undefined ? ms : 0.8 * this.holdMs + 0.2 * ms;
  }

  /**
   * A 429 on a create while the rate bucket still had room (the server says requests remain), or
   * with no rate report while we hold more tasks than the catalog allowed, is the concurrency cap.
   */
  private isConcurrencyRefusal(report: RateReport | undefined): boolean {
    if (report?.remaining !== undefined) return report.remaining > 0;
    return this.learn && this.inFlight.inUse > this.limits.max_in_flight;
  }

  /**
   * With a rate learned from the server, keep enough tasks in flight for it to be the bound: rate ×
   * time at the provider (Little's law) with headroom, never below the catalog's cap, never above a
   * concurrency refusal.
   */
  private fitInFlight(): void {
    if (!this.learn || !this.submits.learned || this.holdMs === undefined) return;
    const need = Math.ceil((this.submits.perMin / 60_000) * this.holdMs * IN_FLIGHT_HEADROOM) + 2;
    let cap = Math.max(this.limits.max_in_flight, Math.min(need, Math.max(MAX_LEARNED_IN_FLIGHT, this.limits.max_in_flight)));
    if (this.concurrencyCeiling !== undefined) cap = Math.min(cap, Math.max(1, this.concurrencyCeiling));
    if (cap !== this.inFlight.limit) this.inFlight.setLimit(cap);
    // Results are fetched as fast as tasks finish: the catalog's download cap is a floor, not a bound.
    const dl = Math.max(this.limits.downloads, Math.ceil(cap / 4));
    if (dl !== this.downloads.limit) this.downloads.setLimit(dl);
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
