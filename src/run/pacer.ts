/**
 * One request kind's pace against one key: a token bucket whose waiters are granted one at a time in
 * arrival order, never during a throttle pause. Granting one at a time is what keeps a pause's end
 * from releasing every waiter at once (each would be refused again, and pause everyone again).
 * The rate starts from the catalog; the server's own report (x-ratelimit-*) replaces it when the
 * limits are the catalog's guesses, and a 429 without a report cuts it (multiplicative decrease,
 * then a slow climb back while requests are accepted).
 */
import type { Clock } from '../clock.ts';
import { sleepOrAbort } from './sleep.ts';

/** What an answer said about the limit behind it. */
export interface RateReport {
  /** Requests allowed per minute. */
  limitPerMin?: number;
  /** Requests left right now. */
  remaining?: number;
  /** ms until the server's bucket is full again (OpenAI's x-ratelimit-reset-requests). */
  resetMs?: number;
}

/** Learned rates are used with this margin: requests reach the server with jitter, and a burst-1 limit forgives none. */
const LEARNED_MARGIN = 0.92;
/** A 429 without a report cuts the rate to this share. */
const DECREASE = 0.7;

interface Waiter {
  resolve: (ok: boolean) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  done: boolean;
}

export class Pacer {
  private tokens: number;
  private last: number;
  private readonly queue: Waiter[] = [];
  private head = 0;
  private live = 0;
  private pumping = false;
  private sleeper: AbortController | undefined;
  /** The rate as configured (catalog or user); a cut climbs back towards it. */
  private readonly baseRate: number;
  private learnedRate = false;
  /** Requests of this kind sent and not yet answered. */
  private pending = 0;
  /** An answer came back: until then, a pacer that may learn sends one request and waits for the server's figures. */
  private heard = false;

  constructor(
    private readonly clock: Clock,
    public perMin: number,
    public burst: number,
    private readonly pausedFor: () => number,
    /** Whether the server's report may replace the configured rate (false: it may only lower it). */
    private readonly learn: boolean,
  ) {
    this.burst = Math.max(1, burst);
    this.baseRate = perMin;
    this.tokens = this.burst;
    this.last = clock.now();
  }

  /** True once the rate came from the server rather than the configuration. */
  get learned(): boolean {
    return this.learnedRate;
  }

  private unlimited(): boolean {
    return !(this.perMin > 0) || !Number.isFinite(this.perMin);
  }

  private refill(): void {
    const now = this.clock.now();
    if (!this.unlimited()) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perMin) / 60_000);
    this.last = now;
  }

  /**
   * ms until the next request may go (pause and tokens both); Infinity while a strict (burst-1) limit
   * has a request on its way: the next waits for its answer (then `answered` wakes the queue).
   */
  private waitMs(): number {
    if ((this.burst <= 1 || (this.learn && !this.heard)) && this.pending > 0) return Infinity;
    const paused = this.pausedFor();
    if (this.unlimited()) return paused;
    this.refill();
    const forToken = this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 60_000) / this.perMin);
    return Math.max(paused, forToken);
  }

  private take(): void {
    if (!this.unlimited()) this.tokens -= 1;
  }

  /** Resolves true when this request may be sent now, false when `signal` aborted first. */
  acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.live === 0 && this.waitMs() <= 0) {
      this.take();
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const w: Waiter = { resolve, signal, done: false };
      if (signal) {
        w.onAbort = () => {
          if (w.done) return;
          w.done = true;
          this.live--;
          resolve(false);
          if (this.live === 0) this.wake(); // nobody left: stop sleeping for them
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.queue.push(w);
      this.live++;
      void this.pump();
    });
  }

  /** Re-evaluate now (a pause or a rate changed). */
  wake(): void {
    this.sleeper?.abort();
  }

  private next(): Waiter | undefined {
    for (let w = this.queue[this.head]; w; w = this.queue[this.head]) {
      if (!w.done) return w;
      this.head++;
    }
    this.queue.length = 0;
    this.head = 0;
    return undefined;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let w = this.next(); w; w = this.next()) {
        const wait = this.waitMs();
        if (wait > 0) {
          this.sleeper = new AbortController();
          // Waiting for an answer: a long sleep as a safety net, cut short by `answered`.
          await sleepOrAbort(this.clock, Number.isFinite(wait) ? wait : 60_000, this.sleeper.signal);
          this.sleeper = undefined;
          continue; // re-check: the pause may have grown, the rate changed, the waiter left
        }
        this.head++;
        w.done = true;
        this.live--;
        if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
        this.take();
        w.resolve(true);
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Bracket each request on the wire. Under a burst-1 limit requests go one at a time, each only after
   * the previous answer: the server's arrival spacing cannot then shrink below ours, however much the
   * event loop or a slow disk delays one request and not the next.
   */
  sending(): void {
    this.pending++;
  }

  answered(): void {
    this.heard = true;
    this.pending = Math.max(0, this.pending - 1);
    this.wake();
  }

  /** Requests of this kind on the wire (the server's `remaining` does not count them yet). */
  get onTheWire(): number {
    return this.pending;
  }

  /** The server's own figures: they replace our guesses (learned limits) and our token count. */
  report(r: RateReport): void {
    const pending = this.pending;
    if (r.limitPerMin !== undefined && r.limitPerMin > 0) {
      const rate = r.limitPerMin * LEARNED_MARGIN;
      if (this.learn || rate < this.perMin) {
        this.perMin = rate;
        this.learnedRate = true;
      }
    }
    if (r.remaining !== undefined && r.remaining >= 0) {
      this.refill();
      // The server had `remaining` left when it answered; requests still on their way will use some.
      if (this.learn && r.remaining + 1 > this.burst) this.burst = r.remaining + 1;
      // Its bucket's size: what is left plus what refills before it is full again (never bursting past it).
      if (this.learn && r.resetMs !== undefined && r.limitPerMin !== undefined && r.limitPerMin > 0) {
        this.burst = Math.max(1, Math.min(r.limitPerMin, Math.round(r.remaining + (r.resetMs * r.limitPerMin) / 60_000)));
      }
      this.tokens = Math.min(this.burst, r.remaining - pending);
    }
    this.wake();
  }

  /**
   * A 429 on this scope: the server's bucket is empty, so stop bursting (a later answer showing room
   * may raise the burst again). Without the server's figures the rate was too high as well: cut it.
   */
  throttled(reported: boolean): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
    this.burst = 1;
    if (reported || this.unlimited()) return;
    this.perMin = Math.max(1, this.perMin * DECREASE);
  }

  /** An accepted request: after a cut, climb back slowly towards the configured rate. */
  accepted(): void {
    if (this.learnedRate || this.unlimited() || this.perMin >= this.baseRate) return;
    this.perMin = Math.min(this.baseRate, this.perMin + this.baseRate / 50);
  }
}
